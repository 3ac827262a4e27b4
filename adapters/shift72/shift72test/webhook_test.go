package shift72test_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

const secret = "hook_secret"

// receiver is a webhook endpoint that decodes with the SHIFT72 adapter and
// keeps the outcome of each delivery.
type receiver struct {
	*httptest.Server
	results chan error
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	p := shift72.New(secret)
	rc := &receiver{results: make(chan error, 10)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			_, err = p.Decode(r.Header, body)
		}
		rc.results <- err
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func TestSendWebhook(t *testing.T) {
	rc := newReceiver(t)
	for _, payload := range []any{
		shift72test.Event("upload_completed", "/film/176"),
		[]byte(`{"eventType":"upload_started","slug":"/film/176"}`),
		`{"eventType":"screener_updated","slug":"/film/176"}`,
		json.RawMessage(`{"eventType":"ingestion_updated","slug":"/film/176"}`),
		shift72test.Event("shopping_order_success", "/film/176"),
	} {
		resp, err := shift72test.SendWebhook(context.Background(), rc.URL, secret, payload)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNoContent, resp.StatusCode, "%v", payload)
		require.NoError(t, <-rc.results)
	}
}

func TestSendWebhookEncodingError(t *testing.T) {
	_, err := shift72test.SendWebhook(context.Background(), "http://127.0.0.1:1", secret, map[string]any{"f": func() {}})
	require.Error(t, err)
}

// TestWebhookSignatureCases drives the adapter's Decode with requests built
// by NewWebhookRequest and then spoiled.
func TestWebhookSignatureCases(t *testing.T) {
	p := shift72.New(secret)
	payload := shift72test.Event("upload_completed", "/film/176")
	cases := map[string]struct {
		spoil func(r *http.Request, body []byte) []byte
		want  error // nil: accepted
	}{
		"valid": {func(_ *http.Request, b []byte) []byte { return b }, nil},
		"upper-case hex": {func(r *http.Request, b []byte) []byte {
			r.Header.Set(shift72test.SignatureHeader, strings.ToUpper(r.Header.Get(shift72test.SignatureHeader)))
			return b
		}, nil},
		"tampered body": {func(_ *http.Request, b []byte) []byte {
			return bytes.Replace(b, []byte("/film/176"), []byte("/film/177"), 1)
		}, adapters.ErrBadSignature},
		"wrong secret": {func(r *http.Request, b []byte) []byte {
			r.Header.Set(shift72test.SignatureHeader, shift72test.Signature("other_secret", b))
			return b
		}, adapters.ErrBadSignature},
		"missing header": {func(r *http.Request, b []byte) []byte {
			r.Header.Del(shift72test.SignatureHeader)
			return b
		}, adapters.ErrMissingSignature},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req, err := shift72test.NewWebhookRequest(context.Background(), "http://example.invalid/hook", secret, payload)
			require.NoError(t, err)
			require.Equal(t, "application/json", req.Header.Get("Content-Type"))
			body, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			body = c.spoil(req, body)
			ev, err := p.Decode(req.Header, body)
			if c.want != nil {
				require.ErrorIs(t, err, c.want)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "upload_completed", ev.Type)
			require.Equal(t, "/film/176", ev.Content.ID)
		})
	}
}

// TestWebhookOverHTTPRejected: a receiver refuses a wrong secret over HTTP.
func TestWebhookOverHTTPRejected(t *testing.T) {
	rc := newReceiver(t)
	resp, err := shift72test.SendWebhook(context.Background(), rc.URL, "wrong", shift72test.Event("upload_started", "/film/1"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.ErrorIs(t, <-rc.results, adapters.ErrBadSignature)
}

func TestSignatureIsLowerCaseHex(t *testing.T) {
	sig := shift72test.Signature(secret, []byte(`{}`))
	require.Len(t, sig, 64)
	require.Equal(t, strings.ToLower(sig), sig)
}
