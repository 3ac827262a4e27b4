package server

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// addRules writes one more rule file where the service watches, and
// reloads.
func (h *harness) addRules(name, text string) {
	h.t.Helper()
	require.NoError(h.t, os.WriteFile(filepath.Join(h.rules, name), []byte(text), 0o644))
	status, body := h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(h.t, http.StatusOK, status, "%v", body)
}

const launchRules = `version: 1
guards:
  - name: unapproved-public
    when: plan.visibility == "public" && metadata.approved != true
    message: public content needs metadata.approved
rules:
  - name: launch-public
    on: [content.uploaded]
    when: lower(title) contains "launch"
    actions: {visibility: public}
`

// heldLaunch sends a launch video's webhook under launchRules and waits
// for its event to be held; c_1 is private until then.
func (h *harness) heldLaunch() string {
	h.t.Helper()
	h.addRules("launch.yaml", launchRules)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Launch day", Visibility: "private"})
	_, resp := h.send(webhook(h.t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Launch day"}))
	id := resp["event_id"].(string)
	h.waitFor(id, 5*time.Second, StatusHeld)
	return id
}

// A guard holds the decision: nothing is applied until approved; the
// approval applies the same plan and is in the history.
func TestHeldEventApproved(t *testing.T) {
	h := startHarness(t)
	id := h.heldLaunch()
	e := h.event(id)
	require.JSONEq(t, `["unapproved-public"]`, string(e.Decisions[0].HeldBy))
	c, _ := h.sim.Content("c_1")
	require.Equal(t, "private", c.Visibility, "a held plan is not applied")
	require.Empty(t, h.sim.Writes())

	status, out := h.do(http.MethodPost, "/v1/events/"+id+"/approve", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", out)
	e = h.waitFor(id, 5*time.Second, StatusApplied)
	c, _ = h.sim.Content("c_1")
	require.Equal(t, "public", c.Visibility)
	require.Equal(t, []Reason{ReasonReceived, ReasonApprove}, []Reason{e.Decisions[0].Reason, e.Decisions[1].Reason})
	require.Equal(t, e.Decisions[0].Ruleset, e.Decisions[1].Ruleset, "the approved plan is the one that was held")

	status, _ = h.do(http.MethodPost, "/v1/events/"+id+"/approve", nil, nil)
	require.Equal(t, http.StatusConflict, status, "an applied event cannot be approved again")
}

// A rejected hold applies nothing, ever.
func TestHeldEventRejected(t *testing.T) {
	h := startHarness(t)
	id := h.heldLaunch()

	status, out := h.do(http.MethodPost, "/v1/events/"+id+"/reject", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", out)
	e := h.event(id)
	require.Equal(t, StatusRejected, e.Status)
	require.Equal(t, ReasonReject, e.Decisions[1].Reason)
	time.Sleep(200 * time.Millisecond)
	require.Empty(t, h.sim.Writes(), "a rejected plan is never applied")
	status, _ = h.do(http.MethodPost, "/v1/events/"+id+"/approve", nil, nil)
	require.Equal(t, http.StatusConflict, status)
}

// A content.updated that reports only what organizer just wrote is an
// echo: not decided again. One that reports someone else's change is.
func TestEchoNotDecidedAgain(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Marketing reel", Visibility: "private"})
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing reel"}))
	h.waitFor(resp["event_id"].(string), 5*time.Second, StatusApplied)

	_, resp = h.send(webhook(t, "content.updated", map[string]any{"content_id": "c_1", "changed_fields": []string{"folder_id", "visibility"}}))
	e := h.waitFor(resp["event_id"].(string), 5*time.Second, StatusEcho, StatusApplied)
	require.Equal(t, StatusEcho, e.Status)
	require.Empty(t, e.Decision, "an echo is not decided")

	_, resp = h.send(webhook(t, "content.updated", map[string]any{"content_id": "c_1", "changed_fields": []string{"title"}}))
	e = h.waitFor(resp["event_id"].(string), 5*time.Second, StatusEcho, StatusApplied)
	require.Equal(t, StatusApplied, e.Status, "someone else's change is decided")
}

// Rules that keep changing an item are held as a probable loop, naming
// the rules, once organizer changed it loop_limit times in loop_window.
func TestLoopHeld(t *testing.T) {
	h := startHarness(t, func(c *Config) { c.LoopLimit = 3 })
	h.addRules("flipflop.yaml", `version: 1
rules:
  - name: flip
    on: [content.uploaded]
    when: int(data.n) % 2 == 0
    actions: {visibility: team}
  - name: flop
    on: [content.uploaded]
    when: int(data.n) % 2 == 1
    actions: {visibility: org}
`)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_9", Title: "Flip", Visibility: "private"})
	var last Event
	for n := range 4 {
		_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_9", "title": "Flip", "n": n}))
		last = h.waitFor(resp["event_id"].(string), 5*time.Second, StatusApplied, StatusHeld)
	}
	require.Equal(t, StatusHeld, last.Status, "the fourth change in a row is held: %s %+v", last.Decision, last.Results)
	require.Contains(t, string(last.Decision), `"loop"`)
	require.Contains(t, string(last.Decision), "flip, flop")
	c, _ := h.sim.Content("c_9")
	require.Equal(t, "team", c.Visibility, "the third change was the last applied")
}
