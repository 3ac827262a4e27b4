package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// listener is a local chat webhook: it keeps every request it gets.
type listener struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	types  []string
}

func newListener(t *testing.T) *listener {
	l := &listener{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		l.bodies = append(l.bodies, string(body))
		l.types = append(l.types, r.Header.Get("Content-Type"))
		l.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(l.Close)
	return l
}

func (l *listener) received() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bodies...)
}

// host is the listener's host:port.
func (l *listener) host() string { return strings.TrimPrefix(l.URL, "http://") }

// notifyRules adds a rule that notifies url about transcoded videos, and
// reloads the rules.
func (h *harness) notifyRules(url string) {
	h.t.Helper()
	rule := fmt.Sprintf(`version: 1
rules:
  - name: tell-the-team
    on: [content.transcoded]
    actions:
      notify:
        - url: %q
          text: "{{ title }} is ready"
`, url)
	require.NoError(h.t, os.WriteFile(filepath.Join(h.rules, "notify.yaml"), []byte(rule), 0o644))
	status, body := h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(h.t, http.StatusOK, status, "%v", body)
}

// notifyResult is the event's result of its notification, once it is no
// longer under way.
func (h *harness) notifyResult(id string) ActionResult {
	h.t.Helper()
	var r ActionResult
	require.Eventually(h.t, func() bool {
		for _, res := range h.event(id).Results {
			if res.Kind == "notify" && res.Outcome != "queued" && res.Outcome != "retrying" {
				r = res
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the notification of %s was not settled", id)
	return r
}

// A transcoded webhook with a notify rule posts exactly one JSON
// {"text": …} to an allowed local listener, even when the webhook is
// delivered twice; the delivery is a result in the decision log, and the
// log shows the destination's host, not its secret path.
func TestNotifyDeliveredOnceToAllowedListener(t *testing.T) {
	l := newListener(t)
	h := startHarness(t, func(c *Config) { c.Notify.AllowHosts = []string{l.host()} })
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training day"})
	h.notifyRules(l.URL + "/services/T000/SECRET")

	body := webhook(t, "content.transcoded", map[string]any{"content_id": "c_1", "title": "Training day"})
	_, resp := h.send(body)
	id := resp["event_id"].(string)
	h.waitFor(id, 5*time.Second, StatusApplied)
	status, again := h.send(body)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, again["duplicate"])

	r := h.notifyResult(id)
	require.Equal(t, "sent", r.Outcome, r.Error)
	require.Equal(t, 1, r.Attempts)
	require.NotContains(t, r.Action, "SECRET")
	require.Contains(t, r.Action, l.host())

	got := l.received()
	require.Len(t, got, 1, "one notification for one event")
	var msg map[string]string
	require.NoError(t, json.Unmarshal([]byte(got[0]), &msg))
	require.Equal(t, map[string]string{"text": "Training day is ready"}, msg)
	require.Equal(t, "application/json", l.types[0])

	// A replay is a new decision: it notifies again, once.
	status, _ = h.do(http.MethodPost, "/v1/events/"+id+"/replay", nil, nil)
	require.Equal(t, http.StatusAccepted, status)
	require.Eventually(t, func() bool { return len(l.received()) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, "sent", h.notifyResult(id).Outcome)
}

// A rule notifying a loopback port that is not allowed gets a failed
// result that says why, and nothing reaches the port.
func TestNotifyRefusedDestinationFailsWithoutRequest(t *testing.T) {
	l := newListener(t)
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training day"})
	h.notifyRules("http://localhost:" + l.URL[strings.LastIndex(l.URL, ":")+1:] + "/hook")

	_, resp := h.send(webhook(t, "content.transcoded", map[string]any{"content_id": "c_1", "title": "Training day"}))
	id := resp["event_id"].(string)
	e := h.waitFor(id, 5*time.Second, StatusApplied)
	require.Empty(t, e.Error, "a refused notification does not fail the event's platform actions")

	r := h.notifyResult(id)
	require.Equal(t, "failed", r.Outcome)
	require.Equal(t, 1, r.Attempts, "a refused destination is not retried")
	require.NotEmpty(t, r.Error)
	require.Empty(t, l.received(), "nothing reached the refused destination")
}
