package vaultstreamtest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
	"github.com/organizer-dev/organizer/engine"
)

// receiver decodes every webhook it gets with the adapter, answering 401
// for a bad signature.
func receiver(t *testing.T, secret string) (*httptest.Server, <-chan engine.Event) {
	t.Helper()
	events := make(chan engine.Event, 10)
	p := vaultstream.New(secret)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ev, err := p.Decode(r.Header, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		events <- ev
	}))
	t.Cleanup(ts.Close)
	return ts, events
}

func TestSendWebhookIsSignedAsVaultStreamSignsThem(t *testing.T) {
	ts, events := receiver(t, "whsec_test")
	resp, err := vaultstreamtest.SendWebhook(context.Background(), ts.URL, "whsec_test", "content.uploaded",
		map[string]any{"content_id": "c_1001", "title": "Onboarding 101", "size_bytes": 1024, "uploaded_by": "u_1"})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ev := <-events
	require.Equal(t, "content.uploaded", ev.Type)
	require.Equal(t, "c_1001", ev.Content.ID)
	require.Equal(t, "Onboarding 101", ev.Content.Title)
	require.Equal(t, 1024.0, ev.Data["size_bytes"])

	resp, err = vaultstreamtest.SendWebhook(context.Background(), ts.URL, "other", "content.uploaded", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a wrong secret does not verify")
}

func TestWebhookHelpers(t *testing.T) {
	body, err := vaultstreamtest.WebhookBody("user.deactivated", nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"type": "user.deactivated", "data": {}}`, string(body))
	sig := vaultstreamtest.Sign("whsec_test", body)
	_, err = vaultstream.New("whsec_test").Decode(http.Header{"Vaultstream-Signature": {sig}}, body)
	require.NoError(t, err)

	_, err = vaultstreamtest.WebhookBody("content.uploaded", map[string]any{"bad": func() {}})
	require.Error(t, err)
	_, err = vaultstreamtest.SendWebhook(context.Background(), "http://127.0.0.1:1/x", "s", "content.uploaded", nil)
	require.Error(t, err)

	// a raw testdata payload, sent with one's own client
	ts, events := receiver(t, "whsec_test")
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "content.transcoded.json"))
	require.NoError(t, err)
	req, err := vaultstreamtest.NewWebhookRequest(context.Background(), ts.URL, "whsec_test", raw)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ev := <-events
	require.Equal(t, adapters.EventID(vaultstream.Name, raw), ev.ID, "the bytes are sent as they are")
}
