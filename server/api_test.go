package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// A broken edit on disk leaves the service deciding with the previous
// rules, and GET /v1/rules reports the errors with their positions; the
// fix is picked up.
func TestRulesBrokenEditKeepsPreviousRules(t *testing.T) {
	h := startHarness(t, recordOnly)
	good := h.svc.rules.Current().Digest()
	file := filepath.Join(h.rules, "media.yaml")
	text, err := os.ReadFile(file)
	require.NoError(t, err)
	broken := strings.Replace(string(text), `when: lower(title) contains "marketing"`, `when: lower(titel) contains "marketing"`, 1)
	writeRenamed(t, file, broken)

	var st map[string]any
	require.Eventually(t, func() bool {
		_, st = h.do(http.MethodGet, "/v1/rules", nil, nil)
		return st["ok"] == false
	}, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, good, st["digest"], "the ruleset in force is unchanged")
	errs := st["errors"].([]any)
	require.NotEmpty(t, errs)
	first := errs[0].(map[string]any)
	require.Equal(t, file+":16:17", first["position"])
	require.Contains(t, first["message"], "titel")

	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing"}))
	e := h.waitFor(resp["event_id"].(string), time.Second, StatusRecorded)
	d := decisionOf(t, e)
	require.Equal(t, good, d.Ruleset)
	require.Equal(t, []string{"marketing"}, d.Matched)

	status, reload := h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "invalid_rules", reload["error"].(map[string]any)["code"])
	require.NotEmpty(t, reload["error"].(map[string]any)["details"])

	fixed := strings.Replace(string(text), `"marketing"`, `"promo"`, 1)
	writeRenamed(t, file, fixed)
	require.Eventually(t, func() bool {
		_, st = h.do(http.MethodGet, "/v1/rules", nil, nil)
		return st["ok"] == true && st["digest"] != good
	}, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, []any{}, st["errors"])
	status, _ = h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(t, http.StatusOK, status)
}

// writeRenamed saves a file as editors do: a new file renamed over the old.
func writeRenamed(t *testing.T, path, text string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	require.NoError(t, os.WriteFile(tmp, []byte(text), 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

// validate checks rule text without touching the rules in force, as JSON
// or as a YAML body; every error comes back at once with its position.
func TestRulesValidate(t *testing.T) {
	h := startHarness(t, recordOnly)
	before := h.svc.rules.Current().Digest()
	status, ok := h.do(http.MethodPost, "/v1/rules/validate",
		[]byte("version: 1\nrules:\n  - name: a\n    on: [content.uploaded]\n    actions: {folder: A}\n"),
		http.Header{"Content-Type": {"application/yaml"}})
	require.Equal(t, http.StatusOK, status, "%v", ok)
	require.Equal(t, float64(1), ok["rules"])

	files := map[string]any{"files": map[string]string{
		"a.yaml": "version: 1\nrules:\n  - name: a\n    on: [content.uplodaed]\n    actions: {folder: A}\n",
		"b.yaml": "version: 1\nrules:\n  - name: b\n    when: title ==\n    actions: {folder: B}\n",
	}}
	body, _ := json.Marshal(files)
	status, bad := h.do(http.MethodPost, "/v1/rules/validate", body, http.Header{"Content-Type": {"application/json"}})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	details := bad["error"].(map[string]any)["details"].([]any)
	var positions []string
	for _, d := range details {
		positions = append(positions, d.(map[string]any)["position"].(string))
	}
	require.Contains(t, positions, "a.yaml:4:10")
	require.True(t, strings.HasPrefix(positions[len(positions)-1], "b.yaml:4:"), "%v", positions)
	require.Equal(t, before, h.svc.rules.Current().Digest())
}

// dry-run evaluates an event or a raw payload, with the rules in force or
// inline ones, and stores and applies nothing.
func TestDryRun(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training"})
	payload := webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Onboarding"})
	req, _ := json.Marshal(map[string]any{"provider": "vaultstream", "payload": json.RawMessage(payload)})
	status, d := h.do(http.MethodPost, "/v1/dry-run", req, http.Header{"Content-Type": {"application/json"}})
	require.Equal(t, http.StatusOK, status, "%v", d)
	require.Equal(t, []any{"training"}, d["matched"])
	require.Len(t, d["trace"], 2, "the full trace")

	req, _ = json.Marshal(map[string]any{
		"event": map[string]any{"provider": "vaultstream", "type": "content.uploaded", "content": map[string]any{"id": "c_1", "title": "x"}},
		"rules": "version: 1\nrules:\n  - name: all\n    actions: {folder: Everything}\n",
	})
	status, d = h.do(http.MethodPost, "/v1/dry-run", req, http.Header{"Content-Type": {"application/json"}})
	require.Equal(t, http.StatusOK, status, "%v", d)
	require.Equal(t, "Everything", d["plan"].(map[string]any)["folder"])

	status, d = h.do(http.MethodPost, "/v1/dry-run", []byte(`{"event": {}, "rules": "rules: ["}`), nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", d)
	status, _ = h.do(http.MethodPost, "/v1/dry-run", []byte(`{`), nil)
	require.Equal(t, http.StatusBadRequest, status)

	require.Zero(t, h.rows("organizer_events"))
	require.Empty(t, h.sim.Writes())
}

// With a token set, /v1 needs it; without one, only loopback is served.
// Webhooks and probes need neither.
func TestAdminAuth(t *testing.T) {
	h := startHarness(t, recordOnly, func(c *Config) { c.AdminToken = "t0ken" })
	status, body := h.do(http.MethodGet, "/v1/events", nil, nil)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "unauthorized", body["error"].(map[string]any)["code"])
	status, _ = h.do(http.MethodGet, "/v1/events", nil, http.Header{"Authorization": {"Bearer wrong"}})
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = h.do(http.MethodGet, "/v1/events", nil, http.Header{"Authorization": {"Bearer t0ken"}})
	require.Equal(t, http.StatusOK, status)
	status, _ = h.do(http.MethodGet, "/healthz", nil, nil)
	require.Equal(t, http.StatusOK, status)

	open := startHarness(t, recordOnly)
	for _, c := range []struct {
		peer, forwarded string
		want            int
	}{
		{"127.0.0.1:5555", "", http.StatusOK},
		{"[::1]:5555", "", http.StatusOK},
		{"10.1.2.3:5555", "", http.StatusForbidden},
		{"10.1.2.3:5555", "127.0.0.1", http.StatusForbidden}, // a forwarded header is not believed
	} {
		req := httptest.NewRequest(http.MethodGet, "/v1/events", nil)
		req.Host = "localhost" // httptest's example.com is refused without a token (DNS rebinding)
		req.RemoteAddr = c.peer
		if c.forwarded != "" {
			req.Header.Set("X-Forwarded-For", c.forwarded)
		}
		rec := httptest.NewRecorder()
		open.svc.Handler().ServeHTTP(rec, req)
		require.Equal(t, c.want, rec.Code, "%s %s", c.peer, rec.Body)
	}
}

// Listing filters by content id and status, newest first, with a cursor.
func TestListEvents(t *testing.T) {
	h := startHarness(t, recordOnly)
	for i, cid := range []string{"c_1", "c_2", "c_1"} {
		_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": cid, "title": "Training", "n": i}))
		h.waitFor(resp["event_id"].(string), time.Second, StatusRecorded)
	}
	status, list := h.do(http.MethodGet, "/v1/events?content_id=c_1", nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, list["items"], 2)
	status, list = h.do(http.MethodGet, "/v1/events?status=recorded&limit=2", nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, list["items"], 2)
	next := list["next"].(string)
	_, list = h.do(http.MethodGet, "/v1/events?status=recorded&limit=2&before="+next, nil, nil)
	require.Len(t, list["items"], 1)
	status, _ = h.do(http.MethodGet, "/v1/events?status=done", nil, nil)
	require.Equal(t, http.StatusBadRequest, status)
	status, _ = h.do(http.MethodGet, "/v1/events/none", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
}

// Probes and metrics.
func TestProbesAndMetrics(t *testing.T) {
	h := startHarness(t, recordOnly)
	status, ready := h.do(http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, status, "%v", ready)
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Training"}))
	h.waitFor(resp["event_id"].(string), time.Second, StatusRecorded)
	h.send([]byte("{}"))
	res, err := http.Get(h.url + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	raw := new(strings.Builder)
	_, _ = io.Copy(raw, res.Body)
	text := raw.String()
	for _, want := range []string{
		`organizer_webhooks_total{provider="vaultstream",status="202"} 1`,
		`organizer_webhooks_total{provider="vaultstream",status="400"} 1`,
		`organizer_rule_matches_total{rule="training"} 1`,
		`organizer_queue_depth 0`,
		`organizer_dead_letters_current 0`,
		`organizer_intake_seconds_count{provider="vaultstream"} 1`,
	} {
		require.Contains(t, text, want)
	}
}

// A service whose rules do not load is not ready, but keeps every webhook;
// they are decided once valid rules arrive.
func TestStartsWithoutValidRules(t *testing.T) {
	h := startHarness(t, recordOnly, func(c *Config) { c.Rules = filepath.Join(filepath.Dir(c.Rules), "empty") })
	dir := h.svc.cfg.Rules
	status, ready := h.do(http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, status, "%v", ready)
	status, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Training"}))
	require.Equal(t, http.StatusAccepted, status)
	id := resp["event_id"].(string)
	h.waitFor(id, 5*time.Second, StatusRetrying)

	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.CopyFS(dir, os.DirFS("testdata/rules")))
	status, _ = h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(t, http.StatusOK, status)
	e := h.waitFor(id, 5*time.Second, StatusRecorded)
	require.Equal(t, []string{"training"}, decisionOf(t, e).Matched)
	status, _ = h.do(http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, status)
}
