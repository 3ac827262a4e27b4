package adapters

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Signature errors. None of them says what the expected signature was.
var (
	ErrNoSecret           = errors.New("no webhook secret is configured, so every webhook is refused")
	ErrMissingSignature   = errors.New("the signature header is missing")
	ErrMalformedSignature = errors.New("the signature header is malformed")
	ErrBadSignature       = errors.New("the signature does not match the body")
)

// IsSignatureError reports whether err is a webhook refused for its
// signature (or for want of a secret to check it with): a 401, where any
// other Decode error is a malformed body.
func IsSignatureError(err error) bool {
	for _, e := range []error{ErrNoSecret, ErrMissingSignature, ErrMalformedSignature, ErrBadSignature} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// HMACVerifier checks the HMAC-SHA256 signature a platform sends with each
// webhook: VaultStream as `VaultStream-Signature: sha256=<hex>`, SHIFT72 as
// `X-Shift-Signature: <hex>`. The MAC covers the raw body, so it must be
// checked on the bytes as received, before any parsing.
type HMACVerifier struct {
	Header  string   // the header that carries the signature
	Prefix  string   // "sha256=" for VaultStream, "" for SHIFT72
	Secrets []string // any of them may have signed: the current and the previous one, while rotating
}

// Verify reports whether the body carries a valid signature. It compares in
// constant time, accepts hex in either case, and refuses everything when no
// secret is configured.
func (v HMACVerifier) Verify(header http.Header, body []byte) error {
	secrets := v.secrets()
	if len(secrets) == 0 {
		return ErrNoSecret
	}
	values := header.Values(v.Header)
	switch {
	case len(values) == 0 || values[0] == "":
		return fmt.Errorf("%s: %w", v.Header, ErrMissingSignature)
	case len(values) > 1:
		return fmt.Errorf("%s: sent %d times: %w", v.Header, len(values), ErrMalformedSignature)
	}
	got, err := v.decode(values[0])
	if err != nil {
		return fmt.Errorf("%s: %w", v.Header, err)
	}
	for _, secret := range secrets {
		if hmac.Equal(got, Sign(secret, body)) {
			return nil
		}
	}
	return fmt.Errorf("%s: %w", v.Header, ErrBadSignature)
}

func (v HMACVerifier) secrets() []string {
	var out []string
	for _, s := range v.Secrets {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// decode turns the header's value into the 32 bytes of a SHA-256 MAC.
func (v HMACVerifier) decode(value string) ([]byte, error) {
	hexMAC, ok := strings.CutPrefix(value, v.Prefix)
	if !ok {
		return nil, fmt.Errorf("want %q followed by the hex digest: %w", v.Prefix, ErrMalformedSignature)
	}
	mac, err := hex.DecodeString(hexMAC)
	if err != nil || len(mac) != sha256.Size {
		return nil, fmt.Errorf("want %d hex digits: %w", 2*sha256.Size, ErrMalformedSignature)
	}
	return mac, nil
}

// Sign returns the HMAC-SHA256 of body under secret: what a platform sends,
// hex-encoded, and what simulators and tests use to sign webhooks.
func Sign(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// SignatureHeader returns the header value v expects for body, signed with
// secret.
func (v HMACVerifier) SignatureHeader(secret string, body []byte) string {
	return v.Prefix + hex.EncodeToString(Sign(secret, body))
}
