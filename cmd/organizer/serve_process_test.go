package main

// Process-level tests of `organizer serve`: the real binary as a child
// process, killed with SIGKILL or stopped with SIGTERM under load, and two
// replicas sharing a PostgreSQL store. The VaultStream simulator runs in
// the test process. The three tests are independent (each its own
// simulator, data directory or database, and ports) and run in parallel.
// Skipped under -short.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
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

// killConfig is processConfig with a killed attempt rescued as soon as
// the service allows: River's rescuer looks for stuck attempts when a
// process becomes the leader and then every 30 s, so with rescue_after
// (job_timeout 1s: at least 7s) shorter than the time a restarted process
// waits for the killed leader's lease to expire, the attempts cut short
// by the kills are rescued at the first look, not 30 s later. An attempt
// is a read and two writes at the simulator's 10 ms latency: 1s is ample.
const killConfig = `workers: 8
max_attempts: 12
job_timeout: 1s
rescue_after: 8s
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

	waitApplied(t, pt.client, ids, 100*time.Second, p.url)
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
	dsn := os.Getenv("ORGANIZER_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set ORGANIZER_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	organizerBinary(t) // skips under -short before a database is made
	store := freshDatabase(t, dsn)
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
