package server

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// Every refused webhook gets its status and the JSON error shape, and
// leaves nothing behind: no event row, no job.
func TestWebhookRefusalsStoreNothing(t *testing.T) {
	h := startHarness(t, recordOnly)
	good := webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Training 101"})
	signed := func(body []byte) http.Header {
		return http.Header{vaultstreamtest.SignatureHeader: {vaultstreamtest.Sign(testSecret, body)}}
	}
	huge := append([]byte(`{"type":"content.uploaded","data":{"title":"`), bytes.Repeat([]byte("x"), 11<<20)...)
	huge = append(huge, `"}}`...)
	cases := []struct {
		name   string
		path   string
		body   []byte
		header http.Header
		status int
		code   string
	}{
		{"bad signature", "/webhooks/vaultstream", good,
			http.Header{vaultstreamtest.SignatureHeader: {vaultstreamtest.Sign("wrong secret", good)}}, 401, "invalid_signature"},
		{"missing signature", "/webhooks/vaultstream", good, nil, 401, "invalid_signature"},
		{"malformed signature", "/webhooks/vaultstream", good,
			http.Header{vaultstreamtest.SignatureHeader: {"sha256=zz"}}, 401, "invalid_signature"},
		{"one byte flipped", "/webhooks/vaultstream", bytes.Replace(good, []byte("101"), []byte("102"), 1), signed(good), 401, "invalid_signature"},
		{"malformed JSON", "/webhooks/vaultstream", []byte(`{"type": "content.uploaded",`), signed([]byte(`{"type": "content.uploaded",`)), 400, "malformed_body"},
		{"no type", "/webhooks/vaultstream", []byte(`{"data": {}}`), signed([]byte(`{"data": {}}`)), 400, "malformed_body"},
		{"11 MiB body", "/webhooks/vaultstream", huge, signed(huge), 413, "body_too_large"},
		{"unknown provider", "/webhooks/youtube", good, signed(good), 404, "unknown_provider"},
		{"shift72 has no secret", "/webhooks/shift72", good, http.Header{"X-Shift-Signature": {"00"}}, 401, "invalid_signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := h.do(http.MethodPost, c.path, c.body, c.header)
			require.Equal(t, c.status, status, "%v", body)
			errObj, ok := body["error"].(map[string]any)
			require.True(t, ok, "error shape: %v", body)
			require.Equal(t, c.code, errObj["code"])
			require.NotEmpty(t, errObj["message"])
			require.NotContains(t, errObj["message"], testSecret)
		})
	}
	require.Zero(t, h.rows("organizer_events"))
	require.Zero(t, h.rows("river_job"))
}

// The body limit is inclusive: a body of exactly the limit is read, one
// byte more is refused.
func TestWebhookBodyLimitBoundary(t *testing.T) {
	h := startHarness(t, recordOnly, func(c *Config) { c.BodyLimit = 4096 })
	pad := func(n int) []byte {
		body := webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": ""})
		title := strings.Repeat("a", n-len(body))
		return webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": title})
	}
	status, _ := h.send(pad(4096))
	require.Equal(t, http.StatusAccepted, status)
	status, _ = h.send(pad(4097))
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	require.Equal(t, 1, h.rows("organizer_events"))
}

// Only POST is served on the webhook path.
func TestWebhookOtherMethods(t *testing.T) {
	h := startHarness(t, recordOnly)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		status, body := h.do(m, "/webhooks/vaultstream", nil, nil)
		require.Equal(t, http.StatusMethodNotAllowed, status, m)
		require.Contains(t, body, "error")
	}
}

// A webhook is answered 202, decided within a second, and its actions are
// applied once; the redelivery answers the first id and changes nothing.
func TestWebhookDecidedAppliedOnceAndRedeliveryIsNoop(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_42", Title: "Onboarding week 1"})
	body := webhook(t, "content.uploaded", map[string]any{"content_id": "c_42", "title": "Onboarding week 1"})

	status, first := h.send(body)
	require.Equal(t, http.StatusAccepted, status)
	require.Equal(t, false, first["duplicate"])
	id := first["event_id"].(string)

	e := h.waitFor(id, time.Second, StatusApplied)
	d := decisionOf(t, e)
	require.Equal(t, []string{"training"}, d.Matched)
	require.Equal(t, h.svc.rules.Current().Digest(), d.Ruleset)
	require.Len(t, e.Results, 2)
	for _, r := range e.Results {
		require.Equal(t, "applied", r.Outcome, r.Action)
		require.Equal(t, 1, r.Attempts)
	}
	c, _ := h.sim.Content("c_42")
	require.Equal(t, []string{"training"}, c.Tags)
	writes := h.sim.Writes()
	var reads int
	for _, r := range h.sim.Requests() {
		if r.String() == "GET /content/c_42" {
			reads++
		}
	}
	require.Equal(t, 1, reads, "the item is read once, for the rules and for the writes: %v", h.sim.Requests())

	status, again := h.send(body)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, again["duplicate"])
	require.Equal(t, id, again["event_id"])
	// The redelivery was answered after its commit: a job queued by it
	// would be in the table now.
	require.Equal(t, 1, h.rows("river_job"), "the redelivery queued no job")
	require.Equal(t, 1, h.rows("organizer_events"))
	require.Equal(t, writes, h.sim.Writes())
}

// Fifty identical deliveries at once: one is stored and applied, all are
// answered 2xx, none 5xx.
func TestWebhookConcurrentDuplicates(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_7", Title: "Marketing launch"})
	body := webhook(t, "content.uploaded", map[string]any{"content_id": "c_7", "title": "Marketing launch"})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	ids := map[string]bool{}
	for range 50 {
		wg.Go(func() {
			status, resp := h.send(body)
			mu.Lock()
			defer mu.Unlock()
			statuses[status]++
			ids[resp["event_id"].(string)] = true
		})
	}
	wg.Wait()
	require.Equal(t, map[int]int{202: 1, 200: 49}, statuses)
	require.Len(t, ids, 1)
	for id := range ids {
		h.waitFor(id, 5*time.Second, StatusApplied)
	}
	require.Equal(t, 1, h.rows("organizer_events"))
	c, _ := h.sim.Content("c_7")
	require.Equal(t, "team", c.Visibility)
	var patches int
	for _, w := range h.sim.Writes() {
		if w.Method == http.MethodPatch {
			patches++
		}
	}
	require.Equal(t, 2, patches, "folder and visibility, once each: %v", h.sim.Writes())
}

// An event type the provider does not document is stored and marked
// ignored; nothing is evaluated or applied.
func TestWebhookUnknownTypeIgnored(t *testing.T) {
	h := startHarness(t)
	status, resp := h.send(webhook(t, "content.archived", map[string]any{"content_id": "c_1"}))
	require.Equal(t, http.StatusAccepted, status)
	id := resp["event_id"].(string)
	e := h.event(id)
	require.Equal(t, StatusIgnored, e.Status)
	require.Empty(t, e.Decision)
	require.Zero(t, h.rows("river_job"))
	require.Empty(t, h.sim.Requests())
}
