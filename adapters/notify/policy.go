package notify

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// Policy says which destinations may be posted to.
type Policy struct {
	// AllowHosts lists "host" or "host:port" entries that may be reached even though they
	// are http, loopback, private or link-local (from notify.allow_hosts / ORGANIZER_NOTIFY_ALLOW_HOSTS).
	//
	// A host is a DNS name, an IPv4 address or an IPv6 address (in brackets when a port
	// follows). An entry without a port allows every port of its host; one with a port
	// allows that port only (a URL without a port uses 80 for http and 443 for https).
	// Names match without regard to case or a trailing dot; addresses match in any of
	// their spellings. An entry that ParseAllowHosts would reject allows nothing.
	AllowHosts []string
}

// ParseAllowHosts reads a comma-separated list (the environment variable's form), trimming spaces,
// rejecting malformed entries with a clear error.
//
// Empty entries (a doubled or trailing comma) are skipped, duplicates are dropped, and
// each entry is returned in its canonical form: a lower-case name without a trailing
// dot, or an address as Go prints it, IPv6 in brackets; then ":port" when one was
// given. A blank list is nil. A YAML list can be checked by joining it with commas.
func ParseAllowHosts(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for raw := range strings.SplitSeq(s, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		e, err := parseEntry(raw)
		if err != nil {
			return nil, fmt.Errorf("allowed host %q: %w", raw, err)
		}
		if c := e.String(); !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// entry is one parsed allowed host: a name or an address, and a port or 0
// for any port.
type entry struct {
	name string     // a lower-case DNS name without a trailing dot, or ""
	addr netip.Addr // an address without zone, IPv4-mapped forms unmapped, when name is ""
	port int        // 1–65535, or 0 for every port
}

func (e entry) String() string {
	host := e.name
	if host == "" {
		host = e.addr.String()
		if e.addr.Is6() {
			host = "[" + host + "]"
		}
	}
	if e.port == 0 {
		return host
	}
	return host + ":" + strconv.Itoa(e.port)
}

// matches reports whether the entry allows a URL's host (as url.URL.Hostname
// gives it) on port.
func (e entry) matches(host string, port int) bool {
	if e.port != 0 && e.port != port {
		return false
	}
	if e.name != "" {
		return e.name == strings.TrimSuffix(strings.ToLower(host), ".")
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.WithZone("").Unmap() == e.addr
}

// parseEntry reads one trimmed, non-empty entry of an allow list.
func parseEntry(s string) (entry, error) {
	if strings.Contains(s, "://") {
		return entry{}, errors.New("write the host (and port), not a URL")
	}
	if i := strings.IndexAny(s, "/?#@*\\ \t\r\n"); i >= 0 {
		return entry{}, fmt.Errorf("%q is not allowed in a host; write host or host:port", s[i:i+1])
	}
	host, port, err := splitHostPort(s)
	if err != nil {
		return entry{}, err
	}
	var e entry
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] < '0' || port[0] > '9' {
			return entry{}, fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
		e.port = n
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return entry{}, fmt.Errorf("address %q has a zone, which is not supported", host)
		}
		e.addr = a.Unmap()
		return e, nil
	}
	name, err := checkName(host)
	if err != nil {
		return entry{}, err
	}
	e.name = name
	return e, nil
}

// splitHostPort splits "host", "host:port", "[v6]", "[v6]:port" and a bare
// IPv6 address.
func splitHostPort(s string) (host, port string, err error) {
	if rest, ok := strings.CutPrefix(s, "["); ok {
		host, after, ok := strings.Cut(rest, "]")
		if !ok {
			return "", "", errors.New("missing ] after an IPv6 address")
		}
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() {
			return "", "", fmt.Errorf("%q in brackets is not an IPv6 address", host)
		}
		if after == "" {
			return host, "", nil
		}
		port, ok := strings.CutPrefix(after, ":")
		if !ok || port == "" {
			return "", "", fmt.Errorf("unexpected %q after the IPv6 address; write [address]:port", after)
		}
		return host, port, nil
	}
	switch strings.Count(s, ":") {
	case 0:
		return s, "", nil
	case 1:
		host, port, _ := strings.Cut(s, ":")
		if host == "" {
			return "", "", errors.New("the host is missing before the port")
		}
		if port == "" {
			return "", "", errors.New("the port is missing after the colon")
		}
		return host, port, nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is6() {
		return s, "", nil
	}
	return "", "", errors.New("not a host or host:port (write an IPv6 address with a port as [address]:port)")
}

// checkName checks a DNS name (ASCII letters, digits, hyphens and
// underscores in dot-separated labels) and returns it in lower case without
// a trailing dot.
func checkName(s string) (string, error) {
	name := strings.ToLower(strings.TrimSuffix(s, "."))
	if name == "" || len(name) > 253 {
		return "", fmt.Errorf("%q is not a host name", s)
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("%q is not a host name: empty or overlong label", s)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("%q is not a host name: a label starts or ends with a hyphen", s)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				if r > 0x7f {
					return "", fmt.Errorf("%q is not a host name: write an internationalized name in its xn-- form", s)
				}
				return "", fmt.Errorf("%q is not a host name: %q is not allowed", s, string(r))
			}
		}
	}
	return name, nil
}

// parseEntries reads a Policy's entries, skipping those that do not parse:
// they allow nothing.
func parseEntries(list []string) []entry {
	var out []entry
	for _, item := range list {
		for raw := range strings.SplitSeq(item, ",") {
			if raw = strings.TrimSpace(raw); raw == "" {
				continue
			}
			if e, err := parseEntry(raw); err == nil {
				out = append(out, e)
			}
		}
	}
	return out
}

// The special-purpose ranges a destination outside the allow list may not
// resolve to, beyond what netip's predicates cover.
var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
	reserved4 = []netip.Prefix{
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation (TEST-NET-1)
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation (TEST-NET-2)
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation (TEST-NET-3)
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	}
	reserved6 = []netip.Prefix{
		netip.MustParsePrefix("100::/64"),      // discard-only
		netip.MustParsePrefix("2001:db8::/32"), // documentation
		netip.MustParsePrefix("fec0::/10"),     // deprecated site-local
	}
	// IPv6 forms that carry an IPv4 address, which is checked in its turn.
	compat4 = netip.MustParsePrefix("::/96")          // deprecated IPv4-compatible
	nat64   = netip.MustParsePrefix("64:ff9b::/96")   // NAT64 well-known prefix
	nat64l  = netip.MustParsePrefix("64:ff9b:1::/48") // NAT64 local-use prefix
	sixto4  = netip.MustParsePrefix("2002::/16")      // 6to4
)

// refusal says why an address may not be posted to. Addr is the address
// that was refused, Why what it is ("a loopback address").
type refusal struct {
	Addr netip.Addr
	Why  string
}

func (r *refusal) Error() string {
	if !r.Addr.IsValid() {
		return r.Why
	}
	return fmt.Sprintf("%s is %s", r.Addr, r.Why)
}

// checkAddr returns nil for a public unicast address and a *refusal for any
// other: unspecified, loopback, private, link-local (the cloud metadata
// address 169.254.169.254 among them), multicast, shared (CGNAT),
// documentation, benchmarking and reserved ranges, and IPv6 forms that carry
// such an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
func checkAddr(a netip.Addr) error {
	orig := a
	a = a.WithZone("").Unmap()
	why := classify(a)
	if why == "" && a.Is6() {
		if v4, ok := embedded4(a); ok {
			if w := classify(v4); w != "" {
				why = "an IPv6 form of " + v4.String() + ", " + w
			}
		}
	}
	if why == "" {
		return nil
	}
	return &refusal{Addr: orig, Why: why}
}

// classify names the kind of a non-public address, or is "" for a public one.
func classify(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "not an address"
	case a.IsUnspecified() || a.Is4() && thisNet.Contains(a):
		return "an unspecified address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a == metadata:
		return "the cloud metadata address (link-local)"
	case a.IsLinkLocalUnicast():
		return "a link-local address"
	case a.IsMulticast():
		return "a multicast address"
	case cgnat.Contains(a):
		return "a shared (CGNAT) address"
	}
	for _, p := range reserved4 {
		if p.Contains(a) {
			return "a reserved address"
		}
	}
	for _, p := range reserved6 {
		if p.Contains(a) {
			return "a reserved address"
		}
	}
	if !a.IsGlobalUnicast() {
		return "not a public unicast address"
	}
	return ""
}

var metadata = netip.MustParseAddr("169.254.169.254")

// embedded4 returns the IPv4 address an IPv6 address carries, when it is of
// a form that does (IPv4-mapped addresses are unmapped before).
func embedded4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case compat4.Contains(a), nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case nat64l.Contains(a):
		// RFC 6052 with a /48 prefix: the address is in bytes 6, 7, 9 and 10.
		return netip.AddrFrom4([4]byte{b[6], b[7], b[9], b[10]}), true
	case sixto4.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// dialControl is the guarded dialer's Control function: it runs after the
// name was resolved and before each connection attempt, on the address
// actually dialled, so that a name resolving (or re-resolving) to an
// internal address is refused.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &refusal{Why: fmt.Sprintf("not an address that can be checked (%s %q)", network, address)}
	}
	return checkAddr(ap.Addr())
}
