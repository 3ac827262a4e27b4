package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// archiveSchedule adds the guide's Pattern 2 as a schedule, with a change
// budget, and reloads the rules.
func (h *harness) archiveSchedule(cron string, maxChanges int) {
	h.t.Helper()
	text := fmt.Sprintf(`version: 1
schedules:
  - name: stale-content
    cron: %q
    provider: vaultstream
    source: content-usage
    max_changes: %d
    params:
      last_accessed_before: "{{ daysAgo(90) }}"
rules:
  - name: archive-stale
    on: [schedule.stale-content]
    actions: {folder: Archive, visibility: private}
`, cron, maxChanges)
	require.NoError(h.t, os.WriteFile(filepath.Join(h.rules, "schedules.yaml"), []byte(text), 0o644))
	status, body := h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(h.t, http.StatusOK, status, "%v", body)
}

// seedStale adds 250 items nobody watched for 200 days and 3 watched
// yesterday.
func (h *harness) seedStale() {
	now := time.Now().UTC()
	for i := range 250 {
		h.sim.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("old_%03d", i), Title: fmt.Sprintf("Old %d", i), Visibility: "team",
			CreatedAt: now.AddDate(-1, 0, 0), LastAccessed: now.AddDate(0, 0, -200)})
	}
	for i := range 3 {
		h.sim.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("new_%d", i), Title: fmt.Sprintf("New %d", i), Visibility: "team",
			CreatedAt: now.AddDate(0, -1, 0), LastAccessed: now.AddDate(0, 0, -1)})
	}
}

// lastRun waits for the schedule's last run to end, and returns it.
func (h *harness) lastRun(status string) map[string]any {
	h.t.Helper()
	var run map[string]any
	require.Eventually(h.t, func() bool {
		_, list := h.do(http.MethodGet, "/v1/schedules", nil, nil)
		items := list["items"].([]any)
		if len(items) != 1 {
			return false
		}
		run, _ = items[0].(map[string]any)["last_run"].(map[string]any)
		return run != nil && run["status"] == status
	}, 10*time.Second, 20*time.Millisecond, "the run did not end %s: %v", status, run)
	return run
}

// Pattern 2 through the service: POST /v1/schedules/{name}/run archives
// exactly the 250 stale items, each an event in the decision log, and GET
// /v1/schedules shows the run's counts and the next run.
func TestScheduleRunArchivesThroughPipeline(t *testing.T) {
	h := startHarness(t)
	h.seedStale()
	h.archiveSchedule("0 2 * * *", 1000)

	status, resp := h.do(http.MethodPost, "/v1/schedules/stale-content/run", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	runID := resp["run_id"].(string)
	run := h.lastRun("done")
	require.Equal(t, runID, run["run_id"])
	require.EqualValues(t, 250, run["items"])
	require.EqualValues(t, 250, run["changed"])

	require.Eventually(t, func() bool {
		_, list := h.do(http.MethodGet, "/v1/events?status=applied&limit=500", nil, nil)
		return len(list["items"].([]any)) == 250
	}, 15*time.Second, 50*time.Millisecond, "the run's items were not all applied")
	_, list := h.do(http.MethodGet, "/v1/events?content_id=old_042", nil, nil)
	items := list["items"].([]any)
	require.Len(t, items, 1)
	e := h.event(items[0].(map[string]any)["id"].(string))
	require.Equal(t, "schedule.stale-content", e.Type)
	require.Equal(t, []string{"archive-stale"}, decisionOf(t, e).Matched)
	require.Equal(t, "Archive", h.folderOf("old_042"))
	c, _ := h.sim.Content("new_1")
	require.Equal(t, "team", c.Visibility, "a recently watched item is left alone")

	_, list = h.do(http.MethodGet, "/v1/schedules", nil, nil)
	next, err := time.Parse(time.RFC3339, list["items"].([]any)[0].(map[string]any)["next_run"].(string))
	require.NoError(t, err)
	require.Equal(t, 2, next.Hour())

	status, _ = h.do(http.MethodPost, "/v1/schedules/nope/run", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
}

// A run that would change more items than max_changes changes nothing,
// and says why in its record.
func TestScheduleRunRefusedOverBudget(t *testing.T) {
	h := startHarness(t)
	h.seedStale()
	h.archiveSchedule("0 2 * * *", 10)
	status, _ := h.do(http.MethodPost, "/v1/schedules/stale-content/run", nil, nil)
	require.Equal(t, http.StatusAccepted, status)
	run := h.lastRun("refused")
	require.Contains(t, run["message"], "250 items would change, more than max_changes 10")
	require.Empty(t, h.sim.Writes(), "a refused run writes nothing")
	require.Equal(t, 0, h.rows("organizer_events"))
}

// A schedule runs by itself on its ticks, each tick once.
func TestScheduleTicks(t *testing.T) {
	h := startHarness(t)
	h.seedStale()
	h.archiveSchedule("@every 2s", 1000)
	run := h.lastRun("done")
	require.EqualValues(t, 250, run["changed"])
	require.Eventually(t, func() bool {
		n := 0
		for _, c := range h.sim.Contents() {
			if c.Visibility == "private" {
				n++
			}
		}
		return n == 250
	}, 15*time.Second, 50*time.Millisecond)
	// The next tick finds nothing left to change.
	require.Eventually(t, func() bool {
		_, list := h.do(http.MethodGet, "/v1/schedules", nil, nil)
		r, _ := list["items"].([]any)[0].(map[string]any)["last_run"].(map[string]any)
		return r != nil && r["run_id"] != run["run_id"] && r["status"] == "done" && r["changed"] == float64(0)
	}, 10*time.Second, 50*time.Millisecond)
}

// folderOf is the name of the simulator's folder that holds an item.
func (h *harness) folderOf(contentID string) string {
	h.t.Helper()
	c, ok := h.sim.Content(contentID)
	require.True(h.t, ok, "no content %s", contentID)
	for _, f := range h.sim.Folders() {
		if f.ID == c.FolderID {
			return f.Name
		}
	}
	return ""
}

// A tick missed while no service ran runs once when one starts: the
// latest missed one, not every one.
func TestScheduleMissedTickRunsOnceAtStart(t *testing.T) {
	h := startHarness(t)
	h.seedStale()
	now := time.Now().UTC()
	every := 20 * time.Second
	lastRun := now.Add(-3 * every).Truncate(every) // three ticks ago, and none since
	require.NoError(t, h.svc.store.writes.do(t.Context(), func(ctx context.Context, q querier, _ enqueueFunc) error {
		_, err := q.exec(ctx, `INSERT INTO organizer_sweeps (run_id, schedule, tick, manual, status, updated_at) VALUES ($1, 'stale-content', $2, 0, 'done', $3)`,
			tickRunID("stale-content", lastRun), lastRun.UnixMicro(), lastRun.UnixMicro())
		return err
	}))
	h.archiveSchedule("@every 20s", 1000)

	var run map[string]any
	require.Eventually(t, func() bool {
		run = h.lastRun("done")
		return run["run_id"] != tickRunID("stale-content", lastRun)
	}, 10*time.Second, 20*time.Millisecond, "no run for the missed ticks")
	missed := time.Now().UTC().Truncate(every)
	if missed.After(now) { // a tick came while the test ran: the one before it was the missed one
		missed = missed.Add(-every)
	}
	require.Equal(t, tickRunID("stale-content", missed), run["run_id"], "the latest missed tick ran")
	var runs int64
	_, err := queryOne(t.Context(), h.svc.backend.reader(), `SELECT COUNT(*) FROM organizer_sweeps WHERE schedule = 'stale-content'`, nil, &runs)
	require.NoError(t, err)
	require.EqualValues(t, 2, runs, "the run before the downtime, and one run for the ticks missed")
}

// A run leaves an item alone while an earlier run's change to it is still
// on its way: the provider is slow, and the second run would only queue
// the same change again and count it twice.
func TestScheduleRunLeavesPendingItems(t *testing.T) {
	h := startHarness(t)
	now := time.Now().UTC()
	for i := range 5 {
		h.sim.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("old_%d", i), Title: "Old", Visibility: "team",
			CreatedAt: now.AddDate(-1, 0, 0), LastAccessed: now.AddDate(0, 0, -200)})
	}
	h.archiveSchedule("0 2 * * *", 100)
	// Every write fails for now: the first run's events stay retrying.
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Status: http.StatusServiceUnavailable, Times: vaultstreamtest.Forever}))
	status, _ := h.do(http.MethodPost, "/v1/schedules/stale-content/run", nil, nil)
	require.Equal(t, http.StatusAccepted, status)
	first := h.lastRun("done")
	require.EqualValues(t, 5, first["changed"])
	h.waitForCount("retrying", 5)

	time.Sleep(1100 * time.Millisecond) // manual run ids are per second
	status, _ = h.do(http.MethodPost, "/v1/schedules/stale-content/run", nil, nil)
	require.Equal(t, http.StatusAccepted, status)
	var second map[string]any
	require.Eventually(t, func() bool {
		second = h.lastRun("done")
		return second["run_id"] != first["run_id"]
	}, 10*time.Second, 20*time.Millisecond)
	require.EqualValues(t, 0, second["changed"], "%v", second)
	require.Contains(t, second["message"], "5 items left to an earlier run")
	require.Equal(t, 5, h.rows("organizer_events"), "no second event for an item whose change is on its way")

	h.sim.ClearFaults()
	h.waitForCount("applied", 5)
}
