package server

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// Decided events are deleted once past the retention; a dead letter is
// kept until someone handles it.
func TestRetentionDeletesDecidedEventsKeepsDeadLetters(t *testing.T) {
	h := startHarness(t, func(c *Config) { c.Retention = Duration(2 * time.Second) })
	var decided []string
	for i := range 20 {
		cid := fmt.Sprintf("c_%d", i)
		h.sim.AddContent(vaultstreamtest.Content{ID: cid, Title: "Training " + cid})
		_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": cid, "title": "Training " + cid}))
		decided = append(decided, resp["event_id"].(string))
	}
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_dead", Title: "Marketing reel"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "PATCH /content/c_dead", Status: http.StatusForbidden}))
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_dead", "title": "Marketing reel"}))
	dead := resp["event_id"].(string)
	for _, id := range decided {
		h.waitFor(id, 5*time.Second, StatusApplied)
	}
	h.waitFor(dead, 5*time.Second, StatusDead)

	require.Eventually(t, func() bool {
		for _, id := range decided {
			if status, _ := h.do(http.MethodGet, "/v1/events/"+id, nil, nil); status != http.StatusNotFound {
				return false
			}
		}
		return true
	}, 10*time.Second, 50*time.Millisecond, "decided events past the retention were not deleted")
	require.Equal(t, StatusDead, h.event(dead).Status, "a dead letter is kept")
	require.Equal(t, 1, h.rows("organizer_events"))
}
