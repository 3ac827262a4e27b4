package adapters

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	vaultstream = HMACVerifier{Header: "VaultStream-Signature", Prefix: "sha256="}
	shift72     = HMACVerifier{Header: "X-Shift-Signature"}
)

func header(name string, values ...string) http.Header {
	h := http.Header{}
	for _, v := range values {
		h.Add(name, v)
	}
	return h
}

// TestKnownAnswers uses GitHub's documented vector (its guide to validating
// webhook deliveries) and two computed by CPython's hmac module.
func TestKnownAnswers(t *testing.T) {
	for _, c := range []struct{ secret, body, mac string }{
		{"It's a Secret to Everybody", "Hello, World!", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		{"secret", `{"a": "z"}`, "f417af3a21bd70379b5796d5f013915e7029f62c580fb0f500f59a35a6f04c89"},
		{"secret", "", "f9e66e179b6747ae54108f82f8ade8b3c25d76fd30afde6c395822c530196169"},
	} {
		vs, s72 := vaultstream, shift72
		vs.Secrets, s72.Secrets = []string{c.secret}, []string{c.secret}
		require.NoError(t, vs.Verify(header(vs.Header, "sha256="+c.mac), []byte(c.body)))
		require.NoError(t, s72.Verify(header(s72.Header, c.mac), []byte(c.body)))
		require.NoError(t, s72.Verify(header(s72.Header, strings.ToUpper(c.mac)), []byte(c.body)), "upper-case hex")
		require.Equal(t, "sha256="+c.mac, vs.SignatureHeader(c.secret, []byte(c.body)))
	}
}

func TestRejections(t *testing.T) {
	body := []byte(`{"type":"content.transcoded","data":{"content_id":"c1","title":"Équipe"}}`)
	vs := vaultstream
	vs.Secrets = []string{"whsec_current"}
	good := vs.SignatureHeader("whsec_current", body)
	require.NoError(t, vs.Verify(header(vs.Header, good), body))

	flipped := append([]byte{}, body...)
	flipped[10] ^= 1
	reserialized := []byte(`{"type": "content.transcoded", "data": {"content_id": "c1", "title": "\u00c9quipe"}}`)
	s72 := shift72
	s72.Secrets = []string{"whsec_current"}
	for name, c := range map[string]struct {
		v    HMACVerifier
		h    http.Header
		body []byte
		want error
	}{
		"flipped byte":         {vs, header(vs.Header, good), flipped, ErrBadSignature},
		"re-serialized JSON":   {vs, header(vs.Header, good), reserialized, ErrBadSignature},
		"wrong secret":         {vs, header(vs.Header, vs.SignatureHeader("other", body)), body, ErrBadSignature},
		"missing header":       {vs, http.Header{}, body, ErrMissingSignature},
		"empty header":         {vs, header(vs.Header, ""), body, ErrMissingSignature},
		"prefix only":          {vs, header(vs.Header, "sha256="), body, ErrMalformedSignature},
		"no prefix":            {vs, header(vs.Header, strings.TrimPrefix(good, "sha256=")), body, ErrMalformedSignature},
		"sha1 prefix":          {vs, header(vs.Header, "sha1="+strings.TrimPrefix(good, "sha256=")), body, ErrMalformedSignature},
		"not hex":              {vs, header(vs.Header, "sha256="+strings.Repeat("zz", 32)), body, ErrMalformedSignature},
		"63 hex digits":        {vs, header(vs.Header, good[:len(good)-1]), body, ErrMalformedSignature},
		"65 hex digits":        {vs, header(vs.Header, good+"0"), body, ErrMalformedSignature},
		"sent twice":           {vs, header(vs.Header, good, good), body, ErrMalformedSignature},
		"sha256= on SHIFT72":   {s72, header(s72.Header, good), body, ErrMalformedSignature},
		"no secret configured": {HMACVerifier{Header: vs.Header, Prefix: "sha256="}, header(vs.Header, good), body, ErrNoSecret},
		"only an empty secret": {HMACVerifier{Header: vs.Header, Prefix: "sha256=", Secrets: []string{""}}, header(vs.Header, vs.SignatureHeader("", body)), body, ErrNoSecret},
	} {
		t.Run(name, func(t *testing.T) {
			err := c.v.Verify(c.h, c.body)
			require.ErrorIs(t, err, c.want)
			for _, secret := range append(c.v.Secrets, "whsec_current") {
				if secret != "" {
					require.NotContains(t, err.Error(), secret, "errors never reveal a secret")
				}
			}
			require.NotContains(t, err.Error(), strings.TrimPrefix(good, "sha256="), "errors never reveal the expected MAC")
		})
	}
}

// TestRotation: while a secret is rotated both are configured, and a body
// signed with either verifies; once the old one is removed it no longer does.
func TestRotation(t *testing.T) {
	body := []byte(`{"slug":"/film/176","eventType":"ingestion_updated"}`)
	old := shift72.SignatureHeader("whsec_old", body)
	rotating := HMACVerifier{Header: shift72.Header, Secrets: []string{"whsec_new", "whsec_old"}}
	require.NoError(t, rotating.Verify(header(shift72.Header, old), body))
	require.NoError(t, rotating.Verify(header(shift72.Header, shift72.SignatureHeader("whsec_new", body)), body))
	rotated := HMACVerifier{Header: shift72.Header, Secrets: []string{"whsec_new"}}
	require.True(t, errors.Is(rotated.Verify(header(shift72.Header, old), body), ErrBadSignature))
}

func FuzzVerify(f *testing.F) {
	f.Add("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", []byte("Hello, World!"))
	f.Add("sha256=", []byte{})
	f.Add("SHA256=00", []byte("x"))
	f.Fuzz(func(t *testing.T, value string, body []byte) {
		v := HMACVerifier{Header: "VaultStream-Signature", Prefix: "sha256=", Secrets: []string{"It's a Secret to Everybody"}}
		err := v.Verify(header(v.Header, value), body)
		if err == nil {
			require.Equal(t, v.SignatureHeader(v.Secrets[0], body), strings.ToLower(value), "only the right signature verifies")
		}
	})
}
