package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// appliedReel makes c_1, a private marketing reel in the folder Inbox with
// the tags given, sends its webhook and waits until the marketing rule's
// plan (folder Marketing, visibility team) is applied.
func (h *harness) appliedReel(tags ...string) string {
	h.t.Helper()
	inbox := h.sim.AddFolder("Inbox")
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Marketing reel", FolderID: inbox, Visibility: "private", Tags: tags})
	_, resp := h.send(webhook(h.t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing reel"}))
	id := resp["event_id"].(string)
	h.waitFor(id, 5*time.Second, StatusApplied)
	return id
}

// editRules rewrites the service's rules with old replaced by new and
// reloads them.
func (h *harness) editRules(old, new string) {
	h.t.Helper()
	path := filepath.Join(h.rules, "media.yaml")
	text, err := os.ReadFile(path)
	require.NoError(h.t, err)
	require.Contains(h.t, string(text), old)
	require.NoError(h.t, os.WriteFile(path, []byte(strings.Replace(string(text), old, new, 1)), 0o644))
	status, out := h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(h.t, http.StatusOK, status, "%v", out)
}

// A replay after a rules edit keeps both decisions, each with its
// ruleset and reason; a dry-run replay shows the difference first and
// changes nothing.
func TestReplayKeepsEveryDecision(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Marketing reel"})
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing reel"}))
	id := resp["event_id"].(string)
	first := h.waitFor(id, 5*time.Second, StatusApplied)
	require.Len(t, first.Decisions, 1)
	require.Equal(t, ReasonReceived, first.Decisions[0].Reason)
	require.NotNil(t, first.Decisions[0].DecidedAt)

	h.editRules("folder: Marketing", "folder: Brand")
	status, dry := h.do(http.MethodPost, "/v1/events/"+id+"/replay?dry_run=true", nil, nil)
	require.Equal(t, http.StatusOK, status, "%v", dry)
	require.Equal(t, []any{map[string]any{"field": "folder", "before": "Marketing", "after": "Brand"}}, dry["changes"])
	require.Equal(t, "Brand", dry["decision"].(map[string]any)["plan"].(map[string]any)["folder"])
	require.Len(t, h.event(id).Decisions, 1, "a dry run stores nothing")
	require.Equal(t, "Marketing", h.folderOf("c_1"), "a dry run applies nothing")

	status, _ = h.do(http.MethodPost, "/v1/events/"+id+"/replay", nil, nil)
	require.Equal(t, http.StatusAccepted, status)
	e := h.waitFor(id, 5*time.Second, StatusApplied)
	require.Len(t, e.Decisions, 2)
	require.Equal(t, []Reason{ReasonReceived, ReasonReplay}, []Reason{e.Decisions[0].Reason, e.Decisions[1].Reason})
	require.NotEqual(t, e.Decisions[0].Ruleset, e.Decisions[1].Ruleset, "each decision keeps the digest of its rules")
	require.Equal(t, first.Decisions[0].Ruleset, e.Decisions[0].Ruleset)
	require.JSONEq(t, `"Marketing"`, string(field0(t, e.Decisions[0].Plan, "folder")))
	require.JSONEq(t, `"Brand"`, string(field0(t, e.Decisions[1].Plan, "folder")))
	require.Equal(t, "applied", e.Decisions[0].Results[0].Outcome, "the first decision keeps its results")
	require.Equal(t, "Brand", h.folderOf("c_1"))
}

// A revert puts the item back as the platform had it before organizer
// changed it, as a new decision; reverting again changes nothing more.
func TestRevertRestoresTheItem(t *testing.T) {
	h := startHarness(t)
	id := h.appliedReel("raw")
	c, _ := h.sim.Content("c_1")
	require.Equal(t, "Marketing", h.folderOf("c_1"))
	require.Equal(t, "team", c.Visibility)

	status, out := h.do(http.MethodPost, "/v1/events/"+id+"/revert", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", out)
	e := h.waitFor(id, 5*time.Second, StatusApplied)
	require.Equal(t, ReasonRevert, e.Decisions[len(e.Decisions)-1].Reason)
	c, _ = h.sim.Content("c_1")
	require.Equal(t, "Inbox", h.folderOf("c_1"))
	require.Equal(t, "private", c.Visibility)
	require.Equal(t, []string{"raw"}, c.Tags)

	writes := len(h.sim.Writes())
	status, out = h.do(http.MethodPost, "/v1/events/"+id+"/revert", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", out)
	require.Equal(t, true, out["already"])
	time.Sleep(200 * time.Millisecond) // a second revert must enqueue nothing that could write
	require.Equal(t, writes, len(h.sim.Writes()), "a second revert writes nothing")
	require.Len(t, h.event(id).Decisions, 2)
}

// A value someone else changed since organizer set it is not overwritten:
// the revert reports it as a conflict and puts back the rest.
func TestRevertLeavesOthersChanges(t *testing.T) {
	h := startHarness(t)
	id := h.appliedReel()

	// An editor makes it public by hand, through the platform's API.
	status, _ := doJSON(t, http.MethodPatch, h.sim.URL()+"/content/c_1", []byte(`{"visibility": "org"}`),
		http.Header{"Authorization": {"Bearer " + h.sim.Token()}, "Content-Type": {"application/json"}})
	require.Equal(t, http.StatusOK, status)

	status, out := h.do(http.MethodPost, "/v1/events/"+id+"/revert", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", out)
	e := h.waitFor(id, 5*time.Second, StatusApplied)
	c, _ := h.sim.Content("c_1")
	require.Equal(t, "Inbox", h.folderOf("c_1"), "what nobody else touched is put back")
	require.Equal(t, "org", c.Visibility, "the editor's change stays")
	outcomes := map[string]string{}
	for _, r := range e.Results {
		outcomes[r.Kind] = r.Outcome
	}
	require.Equal(t, map[string]string{"folder": "applied", "visibility": "conflict"}, outcomes)
}

// An event still on its way, or one that changed nothing, has nothing to
// revert: 409, and nothing recorded.
func TestRevertRefusesWhatCannotBeReverted(t *testing.T) {
	h := startHarness(t, recordOnly)
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing reel"}))
	id := resp["event_id"].(string)
	h.waitFor(id, 5*time.Second, StatusRecorded)
	status, out := h.do(http.MethodPost, "/v1/events/"+id+"/revert", nil, nil)
	require.Equal(t, http.StatusConflict, status, "%v", out)
	require.Len(t, h.event(id).Decisions, 1)
	status, _ = h.do(http.MethodPost, "/v1/events/nope/revert", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
}

func field0(t *testing.T, plan json.RawMessage, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(plan, &m))
	return m[name]
}

// A schedule's run is reverted as a whole: every item it archived goes
// back to its folder and visibility.
func TestRevertRun(t *testing.T) {
	h := startHarness(t)
	library := h.sim.AddFolder("Library")
	now := time.Now().UTC()
	for i := range 20 {
		h.sim.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("old_%02d", i), Title: "Old", FolderID: library, Visibility: "team",
			CreatedAt: now.AddDate(-1, 0, 0), LastAccessed: now.AddDate(0, 0, -200)})
	}
	h.archiveSchedule("0 2 * * *", 100)
	status, resp := h.do(http.MethodPost, "/v1/schedules/stale-content/run", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	runID := resp["run_id"].(string)
	h.lastRun("done")
	h.waitForCount("applied", 20)
	require.Equal(t, "Archive", h.folderOf("old_07"))

	status, out := h.do(http.MethodPost, "/v1/sweeps/"+url.PathEscape(runID)+"/revert", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", out)
	require.EqualValues(t, 20, out["reverted"])
	require.Eventually(t, func() bool {
		for i := range 20 {
			c, _ := h.sim.Content(fmt.Sprintf("old_%02d", i))
			if c.FolderID != library || c.Visibility != "team" {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "the run's items did not all go back")

	status, _ = h.do(http.MethodPost, "/v1/sweeps/nope/revert", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
}

// waitForCount waits until n events have the status.
func (h *harness) waitForCount(status string, n int) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		_, list := h.do(http.MethodGet, "/v1/events?status="+status+"&limit=500", nil, nil)
		return len(list["items"].([]any)) == n
	}, 15*time.Second, 20*time.Millisecond, "fewer than %d events are %s", n, status)
}

// The log keeps a decision without its event (the row and payload hold
// it), and GET shows the decision whole: the event with its data, and the
// content as the rules saw it, the platform's copy.
func TestStoredDecisionShownWhole(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Marketing reel", Metadata: map[string]any{"department": "Brand"}})
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing reel"}))
	id := resp["event_id"].(string)
	e := h.waitFor(id, 5*time.Second, StatusApplied)
	var d struct {
		Event struct {
			ID       string         `json:"id"`
			Type     string         `json:"type"`
			Content  map[string]any `json:"content"`
			Data     map[string]any `json:"data"`
			Received string         `json:"received_at"`
		} `json:"event"`
	}
	require.NoError(t, json.Unmarshal(e.Decision, &d))
	require.Equal(t, id, d.Event.ID)
	require.Equal(t, "content.uploaded", d.Event.Type)
	require.Equal(t, "c_1", d.Event.Data["content_id"])
	require.Equal(t, map[string]any{"department": "Brand"}, d.Event.Content["metadata"], "the platform's copy, as the rules saw it")
	require.NotEmpty(t, d.Event.Received)

	var stored string
	_, err := queryOne(t.Context(), h.svc.backend.reader(), `SELECT decision FROM organizer_events WHERE id = $1`, []any{id}, &stored)
	require.NoError(t, err)
	require.NotContains(t, stored, `"event"`, "the row and payload already hold the event")
	require.NotContains(t, stored, `"remove_tags"`, "the log leaves empty fields out")

	var whole struct {
		Plan    map[string]any `json:"plan"`
		Sources map[string]any `json:"sources"`
		HeldBy  []any          `json:"held_by"`
		Trace   []any          `json:"trace"`
	}
	require.NoError(t, json.Unmarshal(e.Decision, &whole))
	require.Equal(t, map[string]any{"folder": "Marketing", "visibility": "team", "tags": []any{}, "remove_tags": []any{},
		"permissions": []any{}, "metadata": map[string]any{}, "derivatives": []any{}, "notify": []any{}}, whole.Plan,
		"GET shows every field of the plan")
	require.Contains(t, whole.Sources, "remove_tags")
	require.NotNil(t, whole.HeldBy)
	require.NotNil(t, whole.Trace)
}

// After a rules edit and a replay, a revert puts the item back as the
// platform had it before the event's first decision, not just before the
// replay: the event's changes are undone as a whole.
func TestRevertAfterReplayRestoresTheOriginal(t *testing.T) {
	h := startHarness(t)
	id := h.appliedReel()
	h.editRules("folder: Marketing", "folder: Brand")
	status, _ := h.do(http.MethodPost, "/v1/events/"+id+"/replay", nil, nil)
	require.Equal(t, http.StatusAccepted, status)
	h.waitFor(id, 5*time.Second, StatusApplied)
	require.Equal(t, "Brand", h.folderOf("c_1"))

	status, out := h.do(http.MethodPost, "/v1/events/"+id+"/revert", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", out)
	e := h.waitFor(id, 5*time.Second, StatusApplied)
	require.Equal(t, []Reason{ReasonReceived, ReasonReplay, ReasonRevert}, []Reason{e.Decisions[0].Reason, e.Decisions[1].Reason, e.Decisions[2].Reason})
	c, _ := h.sim.Content("c_1")
	require.Equal(t, "Inbox", h.folderOf("c_1"), "back where it was before organizer moved it, twice")
	require.Equal(t, "private", c.Visibility)
}

// The stored decision credits each tag to its rule: evaluation keeps the
// credits apart, and storing must write them.
func TestStoredDecisionCreditsTags(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_2", Title: "Training day"})
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_2", "title": "Training day"}))
	id := resp["event_id"].(string)
	h.waitFor(id, 5*time.Second, StatusApplied)
	var stored string
	_, err := queryOne(t.Context(), h.svc.backend.reader(), `SELECT decision FROM organizer_events WHERE id = $1`, []any{id}, &stored)
	require.NoError(t, err)
	var d struct {
		Sources struct {
			Tags map[string]string `json:"tags"`
		} `json:"sources"`
	}
	require.NoError(t, json.Unmarshal([]byte(stored), &d))
	require.Equal(t, map[string]string{"training": "training"}, d.Sources.Tags)
}
