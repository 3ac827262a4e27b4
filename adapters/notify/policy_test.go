package notify

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The address check refuses every internal address, by itself and in the
// dialer's Control function, without connecting anywhere.
func TestCheckAddrRefusesInternalAddresses(t *testing.T) {
	cases := map[string]string{ // address → what the refusal says
		"127.0.0.1":              "loopback",
		"127.255.255.254":        "loopback",
		"::1":                    "loopback",
		"10.0.0.1":               "private",
		"10.255.255.255":         "private",
		"172.16.0.1":             "private",
		"172.31.255.255":         "private",
		"192.168.1.10":           "private",
		"fc00::1":                "private",
		"fd12:3456::1":           "private",
		"169.254.169.254":        "cloud metadata",
		"169.254.0.1":            "link-local",
		"fe80::1":                "link-local",
		"fe80::1%eth0":           "link-local",
		"0.0.0.0":                "unspecified",
		"0.1.2.3":                "unspecified",
		"::":                     "unspecified",
		"224.0.0.1":              "multicast",
		"239.255.255.250":        "multicast",
		"ff02::1":                "multicast",
		"100.64.0.1":             "CGNAT",
		"100.127.255.254":        "CGNAT",
		"255.255.255.255":        "reserved",
		"240.0.0.1":              "reserved",
		"192.0.2.1":              "reserved",
		"198.18.0.1":             "reserved",
		"2001:db8::1":            "reserved",
		"::ffff:127.0.0.1":       "loopback",
		"::ffff:10.1.2.3":        "private",
		"::ffff:169.254.169.254": "cloud metadata",
		"::ffff:0.0.0.0":         "unspecified",
		"::127.0.0.1":            "IPv6 form of 127.0.0.1",
		"64:ff9b::a9fe:a9fe":     "IPv6 form of 169.254.169.254",
		"64:ff9b:1:7f00:0:100::": "IPv6 form of 127.0.0.1",
		"2002:c0a8:0101::1":      "IPv6 form of 192.168.1.1",
	}
	for addr, why := range cases {
		t.Run(addr, func(t *testing.T) {
			a := netip.MustParseAddr(addr)
			err := checkAddr(a)
			require.Error(t, err)
			require.Contains(t, err.Error(), why)
			var r *refusal
			require.True(t, errors.As(err, &r))

			network := "tcp4"
			if a.Is6() {
				network = "tcp6"
			}
			err = dialControl(network, netip.AddrPortFrom(a, 443).String(), nil)
			require.Error(t, err, "the dialer must refuse %s too", addr)
			require.Contains(t, err.Error(), why)
		})
	}
}

func TestCheckAddrAllowsPublicAddresses(t *testing.T) {
	for _, addr := range []string{
		"8.8.8.8", "1.1.1.1", "52.94.236.248",
		"100.63.255.255", "100.128.0.0", // just outside CGNAT
		"172.15.255.255", "172.32.0.1", // just outside 172.16/12
		"169.253.255.255", "169.255.0.1", // just outside link-local
		"11.0.0.1", "192.169.0.1", "223.255.255.254",
		"2606:4700:4700::1111", "2a00:1450:4007:80e::200e",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2002:0808:0808::1",
	} {
		a := netip.MustParseAddr(addr)
		require.NoError(t, checkAddr(a), addr)
		require.NoError(t, dialControl("tcp", netip.AddrPortFrom(a, 443).String(), nil), addr)
	}
}

func TestDialControlRefusesWhatItCannotRead(t *testing.T) {
	for _, address := range []string{"", "localhost:443", "10.0.0.1", "[::1]", "example.com:443"} {
		require.Error(t, dialControl("tcp", address, nil), "%q", address)
	}
}

func TestParseAllowHosts(t *testing.T) {
	cases := map[string][]string{
		"":          nil,
		"   ":       nil,
		",, ,":      nil,
		"localhost": {"localhost"},
		" Chat.Internal , chat.internal.,10.0.0.5:8080 ,": {"chat.internal", "10.0.0.5:8080"},
		"127.0.0.1:08080": {"127.0.0.1:8080"},
		"[::1]:9000, ::1": {"[::1]:9000", "[::1]"},
		"[fd00::5]":       {"[fd00::5]"},
		"::ffff:10.0.0.1": {"10.0.0.1"},
		"mattermost:8065": {"mattermost:8065"},
		"my_host.corp":    {"my_host.corp"},
		"a.b:1,a.b:65535": {"a.b:1", "a.b:65535"},
	}
	for in, want := range cases {
		got, err := ParseAllowHosts(in)
		require.NoError(t, err, "%q", in)
		require.Equal(t, want, got, "%q", in)
	}
}

func TestParseAllowHostsRejectsMalformedEntries(t *testing.T) {
	cases := map[string]string{ // input → part of the error
		"https://chat.internal": "not a URL",
		"chat.internal/hooks":   `"/" is not allowed`,
		"user@chat.internal":    `"@" is not allowed`,
		"*.internal":            `"*" is not allowed`,
		"chat internal":         `" " is not allowed`,
		"chat.internal:":        "port is missing",
		":8080":                 "host is missing",
		"chat.internal:http":    `port "http" is not a number`,
		"chat.internal:0":       `port "0"`,
		"chat.internal:65536":   `port "65536"`,
		"chat.internal:+80":     `port "+80"`,
		"chat.internal:-1":      `port "-1"`,
		"a:b:c":                 "not a host or host:port",
		"::1:8080:x":            "not a host or host:port",
		"[::1":                  "missing ]",
		"[::1]8080":             "write [address]:port",
		"[::1]:":                "write [address]:port",
		"[10.0.0.1]:80":         "not an IPv6 address",
		"[fe80::1%eth0]":        "zone",
		"-chat.internal":        "hyphen",
		"chat..internal":        "empty or overlong label",
		"ok.example, bad$host":  `"$" is not allowed`,
		"bücher.example":        "xn-- form",
		strings.Repeat("a", 64): "overlong label",
	}
	for in, want := range cases {
		got, err := ParseAllowHosts(in)
		require.Error(t, err, "%q gave %q", in, got)
		require.Contains(t, err.Error(), want, "%q", in)
		require.Nil(t, got)
	}
}

func TestEntryMatches(t *testing.T) {
	type hostPort struct {
		host string
		port int
	}
	cases := []struct {
		entry      string
		match, not []hostPort
	}{
		{"chat.internal", []hostPort{{"chat.internal", 443}, {"CHAT.internal.", 80}}, []hostPort{{"chat.internal.evil", 443}, {"x.chat.internal", 443}}},
		{"chat.internal:8080", []hostPort{{"chat.internal", 8080}}, []hostPort{{"chat.internal", 443}}},
		{"127.0.0.1", []hostPort{{"127.0.0.1", 1}, {"::ffff:127.0.0.1", 80}}, []hostPort{{"127.0.0.2", 80}, {"localhost", 80}}},
		{"[::1]:9000", []hostPort{{"::1", 9000}, {"0:0::1", 9000}}, []hostPort{{"::1", 9001}, {"127.0.0.1", 9000}}},
	}
	for _, c := range cases {
		e, err := parseEntry(c.entry)
		require.NoError(t, err)
		for _, hp := range c.match {
			require.True(t, e.matches(hp.host, hp.port), "%s should allow %v", c.entry, hp)
		}
		for _, hp := range c.not {
			require.False(t, e.matches(hp.host, hp.port), "%s should not allow %v", c.entry, hp)
		}
	}
}

// An entry the Policy holds that ParseAllowHosts would reject allows
// nothing, and a Policy entry may itself be a comma-separated list.
func TestParseEntriesSkipsMalformed(t *testing.T) {
	got := parseEntries([]string{"https://evil.example", "a.example, b.example:81", "", "*"})
	var names []string
	for _, e := range got {
		names = append(names, e.String())
	}
	require.Equal(t, []string{"a.example", "b.example:81"}, names)
}

// ParseAllowHosts never panics, and what it returns is canonical: parsing
// it again gives it back.
func FuzzParseAllowHosts(f *testing.F) {
	for _, s := range []string{"", "localhost", "a.b:80, [::1]:9000", "::1", "[::1", "x:0", "https://x", "a,,b", "::ffff:1.2.3.4", "Ü.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseAllowHosts(s)
		if err != nil {
			require.Nil(t, got)
			return
		}
		for _, e := range got {
			require.NotEmpty(t, e)
			require.NotContains(t, e, ",")
			require.Equal(t, strings.TrimSpace(e), e)
		}
		again, err := ParseAllowHosts(strings.Join(got, ","))
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}
