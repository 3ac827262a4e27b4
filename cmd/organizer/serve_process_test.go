package main

// Process-level tests of `organizer serve`: the real binary as a child
// process, killed with SIGKILL or stopped with SIGTERM under load, and two
// replicas sharing a PostgreSQL store, taking webhooks or running a
// schedule's ticks. The VaultStream simulator runs in the test process.
// The tests are independent (each its own simulator, data directory or
// database, and ports) and run in parallel.
// Skipped under -short.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// processConfig makes retries quick. rescue_after must exceed twice
// job_timeout plus 5s.
const processConfig = `workers: 8
max_attempts: 12
job_timeout: 3s
rescue_after: 12s
retry_base: 100ms
retry_max: 1s
order_wait: 20ms
shutdown_timeout: 10s
log_level: info
`

// killConfig is processConfig with the default rescue_after (3m): at
// start, a process that owns its SQLite store makes the attempts a kill cut
// short available again at once, so nothing waits for River's rescuer. An
// attempt is a read and two writes at the simulator's 10 ms latency: a
// job_timeout of 1s is ample.
const killConfig = `workers: 8
max_attempts: 12
job_timeout: 1s
retry_base: 100ms
retry_max: 1s
order_wait: 20ms
shutdown_timeout: 10s
log_level: info
`

// A SIGKILL under load loses no acknowledged webhook: after a restart on
// the same data directory each one is still stored, the provider's
// redeliveries of the unacknowledged ones are taken, attempts the kill cut
// short are rescued, and every item is organized with each write made
// once. Two kill/restart cycles.
func TestServeSIGKILLUnderLoad(t *testing.T) {
	t.Parallel()
	start := time.Now()
	pt := newProcTest(t, killConfig, 10*time.Millisecond, "") // attempts are in flight when the kill comes
	ds := pt.deliveries(t, "c", 300)
	ids := idsOf(ds)

	var acked []string
	todo := ds
	for cycle := 1; cycle <= 2; cycle++ {
		p := pt.start(t, fmt.Sprintf("organizer #%d", cycle))
		requirePresent(t, pt.client, p.url, acked, "acknowledged")
		results, _ := loadUntil(t, pt, p, todo, int64(len(todo)/3), p.kill)
		require.True(t, p.exited())
		a, refused, none, sample := tally(results)
		t.Logf("cycle %d: sent %d, %d acknowledged, %d refused, %d unanswered (e.g. %s); SIGKILL",
			cycle, len(todo), a, refused, none, sample)
		ackedNow, next := splitAcked(t, todo, results)
		acked = append(acked, ackedNow...)
		require.NotEmpty(t, next, "the kill came after the load")
		todo = next
	}

	p := pt.start(t, "organizer #3")
	requirePresent(t, pt.client, p.url, acked, "acknowledged")
	restarted := time.Now()
	// The provider redelivers what was never acknowledged; some of it was
	// stored before the kill and is answered as a duplicate.
	var dups int
	for i, r := range pt.send(todo, to(p)) {
		require.True(t, r.acked(), "redelivery of %s: %v", todo[i].eventID, r.err)
		require.Equal(t, todo[i].eventID, r.eventID)
		if r.duplicate {
			dups++
		}
	}
	t.Logf("redelivered %d unacknowledged events: %d were stored before the kill (duplicate)", len(todo), dups)

	waitApplied(t, pt.client, ids, 30*time.Second, p.url) // the attempts the kills cut short are taken up at start
	t.Logf("all %d events applied %v after the last restart", len(ids), time.Since(restarted).Round(100*time.Millisecond))
	requireItemsOrganized(t, pt.sim, ds)
	var retried int
	for _, id := range ids {
		e, _, err := getEvent(pt.client, p.url, id)
		require.NoError(t, err)
		if e.Attempts > 1 {
			retried++
		}
	}
	t.Logf("%d events record more than one attempt; total %v", retried, time.Since(start).Round(100*time.Millisecond))
	if lines := errorLines(p.stderr.String()); len(lines) > 0 {
		t.Logf("organizer #3 logged %d errors, first: %s", len(lines), lines[0])
	}
}

// pgKillConfig keeps the default rescue_after (3m): on PostgreSQL a
// restarted replica takes up the attempts a SIGKILL cut short because the
// dead process's liveness lock is gone, not because rescue_after passed.
const pgKillConfig = `workers: 8
max_attempts: 12
job_timeout: 5s
retry_base: 100ms
retry_max: 1s
order_wait: 20ms
shutdown_timeout: 10s
log_level: info
`

// A SIGKILL on PostgreSQL, with attempts under way at a slow platform:
// after a restart the attempts the kill cut short resume at once (within
// 30 s, far sooner than rescue_after's 3 minutes), and every item is
// organized with each write made once.
func TestServePostgresSIGKILLResumesAtRestart(t *testing.T) {
	t.Parallel()
	store := postgresStore(t)
	pt := newProcTest(t, pgKillConfig, 200*time.Millisecond, store) // every attempt takes over half a second
	ds := pt.deliveries(t, "k", 80)
	ids := idsOf(ds)

	p := pt.start(t, "organizer #1")
	// Kill once half are acknowledged and an API call is under way (the
	// calls take 200 ms): on a busy machine the workers may lag the
	// webhooks, so wait for one, a few seconds at most.
	killMidCall := func() {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			reqs := pt.sim.Requests()
			if len(reqs) > 0 && time.Since(reqs[len(reqs)-1].Time) < 100*time.Millisecond {
				break
			}
		}
		p.kill()
	}
	results, killedAt := loadUntil(t, pt, p, ds, int64(len(ds)/2), killMidCall)
	require.True(t, p.exited())
	acked, todo := splitAcked(t, ds, results)
	var inFlight int
	for _, r := range pt.sim.Requests() {
		if r.Time.Before(killedAt) && r.Time.Add(200*time.Millisecond).After(killedAt) {
			inFlight++
		}
	}
	t.Logf("SIGKILL with %d acknowledged and %d API calls in flight", len(acked), inFlight)
	require.NotZero(t, inFlight, "the kill came while attempts were under way")

	p2 := pt.start(t, "organizer #2")
	restarted := time.Now()
	requirePresent(t, pt.client, p2.url, acked, "acknowledged")
	for i, r := range pt.send(todo, to(p2)) {
		require.True(t, r.acked(), "redelivery of %s: %v", todo[i].eventID, r.err)
	}
	waitApplied(t, pt.client, ids, 30*time.Second, p2.url)
	t.Logf("all %d events applied %v after the restart", len(ids), time.Since(restarted).Round(100*time.Millisecond))
	requireItemsOrganized(t, pt.sim, ds)
	require.Contains(t, p2.stderr.String(), "attempts interrupted by a stopped replica are taken up again")
	if lines := errorLines(p2.stderr.String()); len(lines) > 0 {
		t.Logf("organizer #2 logged %d errors, first: %s", len(lines), lines[0])
	}
}

// SIGTERM under load: the process finishes what is in flight and exits 0
// within the shutdown timeout; every acknowledged webhook is stored, and
// after a restart everything is applied, each write made once.
func TestServeSIGTERMGraceful(t *testing.T) {
	t.Parallel()
	// Slow calls: attempts are in flight, for a few hundred milliseconds,
	// when the SIGTERM comes.
	const latency = 150 * time.Millisecond
	pt := newProcTest(t, processConfig, latency, "")
	ds := pt.deliveries(t, "t", 300)
	ids := idsOf(ds)

	p := pt.start(t, "organizer #1")
	results, termAt := loadUntil(t, pt, p, ds, int64(len(ds)/3), func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	})
	const shutdownTimeout = 10 * time.Second
	state, ok := p.waitExit(shutdownTimeout + 5*time.Second)
	require.True(t, ok, "still running %v after SIGTERM", time.Since(termAt))
	took := time.Since(termAt)
	require.Equal(t, 0, state.ExitCode(), "exit status after SIGTERM: %v", state)
	require.Less(t, took, shutdownTimeout+time.Second)
	require.Contains(t, p.stderr.String(), `"msg":"stopped"`)
	a, refused, none, sample := tally(results)
	t.Logf("SIGTERM: exited 0 within %v; %d acknowledged, %d refused, %d unanswered (e.g. %s)",
		took.Round(time.Millisecond), a, refused, none, sample)
	require.NotZero(t, refused+none, "the SIGTERM came after the load")
	var inFlight int
	for _, r := range pt.sim.Requests() {
		if r.Time.Before(termAt) && r.Time.Add(latency).After(termAt) {
			inFlight++
		}
	}
	t.Logf("%d API calls were in flight at the SIGTERM", inFlight)
	pt.sim.SetLatency(5 * time.Millisecond)

	acked, todo := splitAcked(t, ds, results)
	p2 := pt.start(t, "organizer #2")
	requirePresent(t, pt.client, p2.url, acked, "acknowledged")
	for i, r := range pt.send(todo, to(p2)) {
		require.True(t, r.acked(), "redelivery of %s: %v", todo[i].eventID, r.err)
	}
	// A graceful stop leaves no attempt for the rescuer: no waiting on it.
	waitApplied(t, pt.client, ids, 30*time.Second, p2.url)
	requireItemsOrganized(t, pt.sim, ds)
	// Attempts in flight at the SIGTERM were finished, not abandoned to
	// the rescuer: every event was applied at its first attempt.
	for _, id := range ids {
		e, _, err := getEvent(pt.client, p2.url, id)
		require.NoError(t, err)
		require.Equal(t, 1, e.Attempts, "event %s: %+v", id, e)
	}
}

// Two replicas share one PostgreSQL store: webhooks are split between
// them, some redelivered to the other replica and some delivered to both
// at once; each event is stored once, has one job, and is applied once.
func TestServePostgresTwoReplicas(t *testing.T) {
	t.Parallel()
	store := postgresStore(t)
	pt := newProcTest(t, processConfig, 5*time.Millisecond, store)
	ds := pt.deliveries(t, "p", 200)
	both := pt.deliveries(t, "q", 20)
	all := append(append([]*delivery{}, ds...), both...)
	ids := idsOf(all)

	// Started together, the replicas take turns at the schema.
	a := pt.launch(t, "replica A")
	b := pt.launch(t, "replica B")
	require.NoError(t, a.waitReady(30*time.Second))
	require.NoError(t, b.waitReady(30*time.Second))
	urls := []string{a.url, b.url}

	for i, r := range pt.send(ds, func(i int) string { return urls[i%2] }) {
		require.Equal(t, http.StatusAccepted, r.status, "%s: %v", ds[i].eventID, r.err)
		require.False(t, r.duplicate)
		require.Equal(t, ds[i].eventID, r.eventID)
	}
	// The provider redelivers every fourth to the other replica.
	var redo []*delivery
	for i := 0; i < len(ds); i += 4 {
		redo = append(redo, ds[i])
	}
	for i, r := range pt.send(redo, func(i int) string { return urls[(i*4+1)%2] }) {
		require.Equal(t, http.StatusOK, r.status, "%s: %v", redo[i].eventID, r.err)
		require.True(t, r.duplicate)
		require.Equal(t, redo[i].eventID, r.eventID)
	}
	// The same webhook to both replicas at once: one stores it.
	for _, d := range both {
		var wg sync.WaitGroup
		var res [2]sendResult
		for k := range 2 {
			wg.Go(func() { res[k] = send(pt.client, urls[k], d.body) })
		}
		wg.Wait()
		require.ElementsMatch(t, []int{http.StatusAccepted, http.StatusOK}, []int{res[0].status, res[1].status},
			"%s: %v / %v", d.eventID, res[0].err, res[1].err)
		require.NotEqual(t, res[0].duplicate, res[1].duplicate)
		require.Equal(t, d.eventID, res[0].eventID)
		require.Equal(t, d.eventID, res[1].eventID)
	}

	waitApplied(t, pt.client, ids, 60*time.Second, a.url, b.url)
	requireItemsOrganized(t, pt.sim, all)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, store)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var rows, distinct int
	require.NoError(t, conn.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT id) FROM organizer_events`).Scan(&rows, &distinct))
	require.Equal(t, len(all), rows, "one row per event")
	require.Equal(t, len(all), distinct)
	// River's jobs are the service's working state (one per event, or per
	// batch of events): only who worked them is looked at.
	r, err := conn.Query(ctx, `SELECT kind, state, attempted_by[array_length(attempted_by, 1)], COUNT(*)
		FROM river_job GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`)
	require.NoError(t, err)
	workedBy := map[string]int{}
	var jobs []string
	for r.Next() {
		var kind, state string
		var client *string
		var n int
		require.NoError(t, r.Scan(&kind, &state, &client, &n))
		name := "(never attempted)"
		if client != nil {
			name = *client
			workedBy[name] += n
		}
		jobs = append(jobs, fmt.Sprintf("%s %s by %s: %d", kind, state, name, n))
	}
	require.NoError(t, r.Err())
	t.Logf("River jobs: %v", jobs)
	require.Len(t, workedBy, 2, "both replicas processed events")
}

// scheduleRules are the guide's Pattern 2 (archive what nobody watched for
// 90 days) as a schedule that ticks every two seconds.
const scheduleRules = `version: 1

schedules:
  - name: stale-content
    cron: "@every 2s"
    provider: vaultstream
    source: content-usage
    max_changes: 1000
    params:
      last_accessed_before: "{{ daysAgo(90) }}"

rules:
  - name: archive-stale
    on: [schedule.stale-content]
    actions: {folder: Archive, visibility: private}
`

// sweepRow is a row of organizer_sweeps.
type sweepRow struct {
	runID, status, message            string
	tick                              time.Time
	manual                            int
	items, changed, unchanged, failed int
}

// Two replicas on one PostgreSQL store run a schedule's ticks: each tick
// is recorded once, its job enqueued once and run once, by one replica,
// and the ticks come two seconds apart, not once per replica. The first
// tick archives every stale item, an event each, each write made once;
// the later ticks find nothing to change. A tick run by both replicas
// shows as a second River job of its run, a second "a schedule ran" line
// in the logs, or ticks closer than two seconds.
func TestServePostgresScheduleTicksOnce(t *testing.T) {
	t.Parallel()
	organizerBinary(t) // builds first, so begin is the database's time only
	begin := time.Now()
	store := postgresStore(t)
	pt := newProcTestRules(t, processConfig, scheduleRules, 5*time.Millisecond, store)
	now := time.Now().UTC()
	stale := make([]string, 40)
	for i := range stale {
		stale[i] = fmt.Sprintf("stale_%03d", i)
		pt.sim.AddContent(vaultstreamtest.Content{ID: stale[i], Title: fmt.Sprintf("Old %d", i), Visibility: "team",
			CreatedAt: now.AddDate(-1, 0, 0), LastAccessed: now.AddDate(0, 0, -200)})
	}
	var recent []string
	for i := range 3 {
		recent = append(recent, fmt.Sprintf("recent_%d", i))
		pt.sim.AddContent(vaultstreamtest.Content{ID: recent[i], Title: fmt.Sprintf("New %d", i), Visibility: "team",
			CreatedAt: now.AddDate(0, -1, 0), LastAccessed: now.AddDate(0, 0, -1)})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, store)
	require.NoError(t, err)
	defer conn.Close(context.Background())

	// Replica A starts and records the first tick, T. Replica B is started
	// a second and a quarter after T (a wait for an instant derived from
	// T, not for a guess): it takes 0.15–0.4 s to start, so it first looks
	// for a due tick in the second between two of A's ticks. Each must
	// then reckon the ticks from the ones recorded, T+2s, T+4s, …, not from
	// its own start (T+3s, T+5s, …: the schedule would run every second).
	a := pt.start(t, "replica A")
	launched := time.Now()
	var first time.Time
	for {
		var tick int64
		err := conn.QueryRow(ctx, `SELECT tick FROM organizer_sweeps WHERE schedule = 'stale-content' ORDER BY tick LIMIT 1`).Scan(&tick)
		if err == nil {
			first = time.UnixMicro(tick).UTC()
			break
		}
		require.ErrorIs(t, err, pgx.ErrNoRows)
		require.Less(t, time.Since(launched), 5*time.Second, "replica A recorded no tick")
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Until(first.Add(1250 * time.Millisecond)))
	b := pt.start(t, "replica B")
	replicas := []*proc{a, b}
	for line := range strings.Lines(b.stderr.String()) {
		var rec struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "organizer is serving" {
			t.Logf("replica B started %v after A's first tick", rec.Time.Sub(first).Round(time.Millisecond))
		}
	}

	// The observation window: until wantDone ticks have run to the end
	// (the first one archiving, the later ones finding nothing to do) and
	// every stale item is archived: the first tick comes within 2 s of A's
	// start, the others 2 s apart, so about 8 s.
	const wantDone = 4
	archived := func() int {
		folder := ""
		for _, f := range pt.sim.Folders() {
			if f.Name == "Archive" {
				folder = f.ID
			}
		}
		n := 0
		for _, id := range stale {
			if c, _ := pt.sim.Content(id); folder != "" && c.FolderID == folder && c.Visibility == "private" {
				n++
			}
		}
		return n
	}
	deadline := launched.Add(12 * time.Second)
	for {
		var done int
		require.NoError(t, conn.QueryRow(ctx, `SELECT COUNT(*) FROM organizer_sweeps WHERE schedule = 'stale-content' AND status = 'done'`).Scan(&done))
		n := archived()
		if done >= wantDone && n == len(stale) {
			break
		}
		require.False(t, time.Now().After(deadline), "after %v: %d ticks done (want %d), %d of %d items archived",
			time.Since(launched).Round(100*time.Millisecond), done, wantDone, n, len(stale))
		time.Sleep(100 * time.Millisecond)
	}
	// Both replicas show the same schedule; what they show of the last run
	// is checked against the table below.
	shown := map[string]string{}
	for _, p := range replicas {
		resp, err := pt.client.Get(p.url + "/v1/schedules")
		require.NoError(t, err)
		var list struct {
			Items []struct {
				Name    string `json:"name"`
				LastRun *struct {
					RunID string `json:"run_id"`
				} `json:"last_run"`
			} `json:"items"`
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		_ = resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Len(t, list.Items, 1)
		require.Equal(t, "stale-content", list.Items[0].Name)
		require.NotNil(t, list.Items[0].LastRun, "%s shows no last run", p.name)
		shown[p.name] = list.Items[0].LastRun.RunID
	}

	// Stop both, gracefully, so that what the checks read stays put: a run
	// in progress finishes; a tick recorded just before may stay queued.
	for _, p := range replicas {
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	}
	for _, p := range replicas {
		state, ok := p.waitExit(15 * time.Second)
		require.True(t, ok, "%s still running after SIGTERM", p.name)
		require.Equal(t, 0, state.ExitCode(), "%s: %v", p.name, state)
	}
	stopped := time.Now()

	// The runs as organizer_sweeps has them, each with the replicas that
	// logged it as run ("a schedule ran").
	rs, err := conn.Query(ctx, `SELECT run_id, tick, manual, status, items, changed, unchanged, failed, message
		FROM organizer_sweeps WHERE schedule = 'stale-content' ORDER BY tick, run_id`)
	require.NoError(t, err)
	var runs []sweepRow
	for rs.Next() {
		var r sweepRow
		var tick int64
		require.NoError(t, rs.Scan(&r.runID, &tick, &r.manual, &r.status, &r.items, &r.changed, &r.unchanged, &r.failed, &r.message))
		r.tick = time.UnixMicro(tick).UTC()
		runs = append(runs, r)
	}
	require.NoError(t, rs.Err())
	ranBy := map[string][]string{} // run id: the replicas that logged it
	perReplica := map[string]int{}
	for _, p := range replicas {
		for line := range strings.Lines(p.stderr.String()) {
			var rec struct {
				Msg   string `json:"msg"`
				RunID string `json:"run_id"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "a schedule ran" {
				ranBy[rec.RunID] = append(ranBy[rec.RunID], p.name)
				perReplica[p.name]++
			}
		}
		if lines := errorLines(p.stderr.String()); len(lines) > 0 {
			t.Errorf("%s logged %d errors, first: %s", p.name, len(lines), lines[0])
		}
	}
	var ticks []string
	for _, r := range runs {
		ticks = append(ticks, fmt.Sprintf("%s %s changed=%d by %v", r.tick.Format("15:04:05.000"), r.status, r.changed, ranBy[r.runID]))
	}
	t.Logf("ticks: %v; runs per replica: %v", ticks, perReplica)

	// One row per tick, in the window, ticks at least 2 s apart (a replica
	// reckoning ticks of its own would put them closer), every one but the
	// last run to the end, by one replica.
	require.GreaterOrEqual(t, len(runs), wantDone)
	for i, r := range runs {
		require.Equal(t, 0, r.manual, "%+v", r)
		require.Equal(t, "stale-content@"+r.tick.Format(time.RFC3339), r.runID, "the run is named by its tick")
		require.True(t, r.tick.Equal(r.tick.Truncate(time.Second)), "tick %v is not a whole second", r.tick)
		require.True(t, r.tick.After(begin) && r.tick.Before(stopped), "tick %v outside the test's run %v–%v", r.tick, begin, stopped)
		if i > 0 {
			gap := r.tick.Sub(runs[i-1].tick)
			require.True(t, gap >= 2*time.Second && gap <= 4*time.Second,
				"ticks %v and %v are %v apart, want 2 s (@every 2s); the ticks: %v", runs[i-1].tick.Format(time.TimeOnly), r.tick.Format(time.TimeOnly), gap, ticks)
		}
		if i == len(runs)-1 && r.status != "done" {
			require.Contains(t, []string{"queued", "running"}, r.status, "%+v", r)
			require.Empty(t, ranBy[r.runID], "%+v", r)
			continue
		}
		require.Equal(t, "done", r.status, "%+v", r)
		require.Len(t, ranBy[r.runID], 1, "run %s was logged as run by %v", r.runID, ranBy[r.runID])
		delete(ranBy, r.runID)
		require.Equal(t, len(stale), r.items, "%+v", r)
		require.Zero(t, r.failed, "%+v", r)
		want := 0
		if i == 0 {
			want = len(stale)
		}
		require.Equal(t, want, r.changed, "the first tick changes every stale item, the later ones none: %v", ticks)
		require.Equal(t, len(stale)-want, r.unchanged, "%+v", r)
	}
	require.Empty(t, ranBy, "runs logged that organizer_sweeps does not have")
	for name, id := range shown {
		require.True(t, slices.ContainsFunc(runs, func(r sweepRow) bool { return r.runID == id }), "%s shows last run %s, not in organizer_sweeps", name, id)
	}

	// One River job per run.
	jr, err := conn.Query(ctx, `SELECT args->>'run_id', state, COUNT(*) FROM river_job WHERE kind = 'organizer_sweep' GROUP BY 1, 2`)
	require.NoError(t, err)
	jobs := map[string]int{}
	var jobStates []string
	for jr.Next() {
		var id, state string
		var n int
		require.NoError(t, jr.Scan(&id, &state, &n))
		jobs[id] += n
		jobStates = append(jobStates, fmt.Sprintf("%s %s ×%d", id, state, n))
	}
	require.NoError(t, jr.Err())
	for _, r := range runs {
		require.Equal(t, 1, jobs[r.runID], "run %s: its jobs %v", r.runID, jobStates)
	}
	require.Len(t, jobs, len(runs), "one job per run: %v", jobStates)

	// One event per stale item, applied; none for the recent ones.
	er, err := conn.Query(ctx, `SELECT content_id, type, status, id FROM organizer_events`)
	require.NoError(t, err)
	events := map[string][]string{}
	for er.Next() {
		var contentID, typ, status, id string
		require.NoError(t, er.Scan(&contentID, &typ, &status, &id))
		require.Equal(t, "schedule.stale-content", typ, id)
		require.Equal(t, "applied", status, id)
		require.Equal(t, "sweep:"+runs[0].runID+":"+contentID, id, "made by the first tick")
		events[contentID] = append(events[contentID], id)
	}
	require.NoError(t, er.Err())
	for _, id := range stale {
		require.Len(t, events[id], 1, "events of %s", id)
	}
	require.Len(t, events, len(stale), "events of items other than the stale ones")

	// The simulator: each stale item archived with each write made once,
	// the recent ones untouched.
	folders := pt.sim.Folders()
	require.Len(t, folders, 1)
	require.Equal(t, "Archive", folders[0].Name)
	type write struct{ method, path, body string }
	perItem := map[string]map[write]int{}
	for _, w := range pt.sim.Writes() {
		require.NotZero(t, w.Status, "%s: never answered", w)
		rest, ok := strings.CutPrefix(w.Path, "/content/")
		if !ok {
			continue // creating the folder
		}
		item, _, _ := strings.Cut(rest, "/")
		if perItem[item] == nil {
			perItem[item] = map[write]int{}
		}
		perItem[item][write{w.Method, w.Path, string(bytes.TrimSpace(w.Body))}]++
	}
	for _, id := range stale {
		c, _ := pt.sim.Content(id)
		require.Equal(t, folders[0].ID, c.FolderID, id)
		require.Equal(t, "private", c.Visibility, id)
		require.Len(t, perItem[id], 2, "%s: want two writes, the folder and the visibility: %v", id, perItem[id])
		for w, n := range perItem[id] {
			require.Equal(t, 1, n, "%s: %s %s %s written %d times", id, w.method, w.path, w.body, n)
		}
	}
	for _, id := range recent {
		c, _ := pt.sim.Content(id)
		require.Equal(t, "team", c.Visibility, id)
		require.Empty(t, c.FolderID, id)
		require.Empty(t, perItem[id], id)
	}
	t.Logf("%d ticks in %v, writes per item e.g. %v; total %v", len(runs), stopped.Sub(launched).Round(100*time.Millisecond),
		perItem[stale[0]], time.Since(begin).Round(100*time.Millisecond))
}
