package main

// Process-level tests of `organizer serve`: the real binary as a child
// process, killed with SIGKILL or stopped with SIGTERM under load, and two
// replicas sharing a PostgreSQL store. The VaultStream simulator runs in
// the test process. Skipped under -short.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// processConfig makes a killed attempt rescued soon (River's rescuer runs
// every 30 s) and retries quick. rescue_after must exceed twice
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

// idsOf computes the event ids the service gives the deliveries.
func idsOf(ds []*delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		d.eventID = adapters.EventID(vaultstream.Name, d.body)
		ids[i] = d.eventID
	}
	return ids
}

// tally summarizes a round of deliveries for the log.
func tally(results []sendResult) (acked, refused, noAnswer int, sample string) {
	for _, r := range results {
		switch {
		case r.acked():
			acked++
		case r.status != 0:
			refused++
			if sample == "" {
				sample = r.err.Error()
			}
		default:
			noAnswer++
			if sample == "" && r.err != nil {
				sample = r.err.Error()
			}
		}
	}
	return acked, refused, noAnswer, sample
}

// loadUntil sends ds to p with 8 senders and runs stop once `after`
// deliveries are acknowledged, while the others are still being sent.
func loadUntil(t *testing.T, client *http.Client, p *proc, ds []*delivery, after int64, stop func()) ([]sendResult, time.Time) {
	t.Helper()
	var acked atomic.Int64
	var stoppedAt time.Time
	done := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		for {
			if acked.Load() >= after {
				stoppedAt = time.Now()
				stop()
				return
			}
			select {
			case <-done:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	results := sendAll(client, ds, 8, func(int) string { return p.url }, &acked)
	close(done)
	<-watcher
	require.False(t, stoppedAt.IsZero(), "the load ended before %d acknowledgements (got %d)", after, acked.Load())
	return results, stoppedAt
}

// A SIGKILL under load loses no acknowledged webhook: after a restart on
// the same data directory each one is still stored, the provider's
// redeliveries of the unacknowledged ones are taken, attempts the kill cut
// short are rescued, and every item is organized with each write made
// once. Two kill/restart cycles.
func TestServeSIGKILLUnderLoad(t *testing.T) {
	organizerBinary(t)
	start := time.Now()
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	sim.SetLatency(10 * time.Millisecond) // attempts are in flight when the kill comes
	env := procEnv(sim)
	args := []string{"--config", writeConfig(t, processConfig), "--rules", writeRules(t), "--data", t.TempDir()}
	ds := makeDeliveries(t, sim, "c", 300)
	ids := idsOf(ds)
	client := newSendClient()
	defer client.CloseIdleConnections()

	acked := map[string]bool{}
	ackedIDs := func() []string {
		var out []string
		for id := range acked {
			out = append(out, id)
		}
		return out
	}
	todo := ds
	for cycle := 1; cycle <= 2; cycle++ {
		p := startServe(t, fmt.Sprintf("organizer #%d", cycle), env, args...)
		requirePresent(t, client, p.url, ackedIDs(), "acknowledged")
		results, _ := loadUntil(t, client, p, todo, int64(len(todo)/3), p.kill)
		require.True(t, p.exited())
		var next []*delivery
		for i, r := range results {
			if r.acked() {
				require.Equal(t, todo[i].eventID, r.eventID)
				acked[r.eventID] = true
			} else {
				next = append(next, todo[i])
			}
		}
		a, refused, none, sample := tally(results)
		t.Logf("cycle %d: sent %d, %d acknowledged, %d refused, %d unanswered (e.g. %s); SIGKILL",
			cycle, len(todo), a, refused, none, sample)
		require.NotEmpty(t, next, "the kill came after the load")
		todo = next
	}

	p := startServe(t, "organizer #3", env, args...)
	requirePresent(t, client, p.url, ackedIDs(), "acknowledged")
	restarted := time.Now()
	// The provider redelivers what was never acknowledged; some of it was
	// stored before the kill and is answered as a duplicate.
	results := sendAll(client, todo, 8, func(int) string { return p.url }, nil)
	var dups int
	for i, r := range results {
		require.True(t, r.acked(), "redelivery of %s: %v", todo[i].eventID, r.err)
		require.Equal(t, todo[i].eventID, r.eventID)
		if r.duplicate {
			dups++
		}
	}
	t.Logf("redelivered %d unacknowledged events: %d were stored before the kill (duplicate)", len(todo), dups)

	waitApplied(t, client, ids, 100*time.Second, p.url)
	t.Logf("all %d events applied %v after the last restart", len(ids), time.Since(restarted).Round(time.Second))
	requireItemsOrganized(t, sim, ds)
	var retried int
	for _, id := range ids {
		e, _, err := getEvent(client, p.url, id)
		require.NoError(t, err)
		if e.Attempts > 1 {
			retried++
		}
	}
	t.Logf("%d events record more than one attempt; total %v", retried, time.Since(start).Round(time.Second))
	if lines := errorLines(p.stderr.String()); len(lines) > 0 {
		t.Logf("organizer #3 logged %d errors, first: %s", len(lines), lines[0])
	}
}

// SIGTERM under load: the process finishes what is in flight and exits 0
// within the shutdown timeout; every acknowledged webhook is stored, and
// after a restart everything is applied, each write made once.
func TestServeSIGTERMGraceful(t *testing.T) {
	organizerBinary(t)
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	// Slow calls: attempts are in flight, for a few hundred milliseconds,
	// when the SIGTERM comes.
	sim.SetLatency(150 * time.Millisecond)
	env := procEnv(sim)
	args := []string{"--config", writeConfig(t, processConfig), "--rules", writeRules(t), "--data", t.TempDir()}
	ds := makeDeliveries(t, sim, "t", 300)
	ids := idsOf(ds)
	client := newSendClient()
	defer client.CloseIdleConnections()

	p := startServe(t, "organizer #1", env, args...)
	results, termAt := loadUntil(t, client, p, ds, int64(len(ds)/3), func() {
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
	for _, r := range sim.Requests() {
		if r.Time.Before(termAt) && r.Time.Add(150*time.Millisecond).After(termAt) {
			inFlight++
		}
	}
	t.Logf("%d API calls were in flight at the SIGTERM", inFlight)
	sim.SetLatency(5 * time.Millisecond)

	var ackedIDs []string
	var todo []*delivery
	for i, r := range results {
		if r.acked() {
			require.Equal(t, ds[i].eventID, r.eventID)
			ackedIDs = append(ackedIDs, r.eventID)
		} else {
			todo = append(todo, ds[i])
		}
	}
	p2 := startServe(t, "organizer #2", env, args...)
	requirePresent(t, client, p2.url, ackedIDs, "acknowledged")
	for i, r := range sendAll(client, todo, 8, func(int) string { return p2.url }, nil) {
		require.True(t, r.acked(), "redelivery of %s: %v", todo[i].eventID, r.err)
	}
	// A graceful stop leaves no attempt for the rescuer: no waiting on it.
	waitApplied(t, client, ids, 30*time.Second, p2.url)
	requireItemsOrganized(t, sim, ds)
	// Attempts in flight at the SIGTERM were finished, not abandoned to
	// the rescuer: every event was applied at its first attempt.
	for _, id := range ids {
		e, _, err := getEvent(client, p2.url, id)
		require.NoError(t, err)
		require.Equal(t, 1, e.Attempts, "event %s: %+v", id, e)
	}
}

// Two replicas share one PostgreSQL store: webhooks are split between
// them, some redelivered to the other replica and some delivered to both
// at once; each event is stored once, has one job, and is applied once.
func TestServePostgresTwoReplicas(t *testing.T) {
	dsn := os.Getenv("ORGANIZER_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set ORGANIZER_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	organizerBinary(t)
	store := freshDatabase(t, dsn)
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	sim.SetLatency(5 * time.Millisecond)
	env := procEnv(sim)
	args := []string{"--config", writeConfig(t, processConfig), "--rules", writeRules(t), "--data", t.TempDir(), "--store", store}
	ds := makeDeliveries(t, sim, "p", 200)
	both := makeDeliveries(t, sim, "q", 20)
	all := append(append([]*delivery{}, ds...), both...)
	ids := idsOf(all)
	client := newSendClient()
	defer client.CloseIdleConnections()

	// Started together, the replicas take turns at the schema.
	a := launchServe(t, "replica A", env, args...)
	b := launchServe(t, "replica B", env, args...)
	require.NoError(t, a.waitReady(30*time.Second))
	require.NoError(t, b.waitReady(30*time.Second))
	urls := []string{a.url, b.url}

	for i, r := range sendAll(client, ds, 8, func(i int) string { return urls[i%2] }, nil) {
		require.Equal(t, http.StatusAccepted, r.status, "%s: %v", ds[i].eventID, r.err)
		require.False(t, r.duplicate)
		require.Equal(t, ds[i].eventID, r.eventID)
	}
	// The provider redelivers every fourth to the other replica.
	var redo []*delivery
	for i := 0; i < len(ds); i += 4 {
		redo = append(redo, ds[i])
	}
	for i, r := range sendAll(client, redo, 8, func(i int) string { return urls[(i*4+1)%2] }, nil) {
		require.Equal(t, http.StatusOK, r.status, "%s: %v", redo[i].eventID, r.err)
		require.True(t, r.duplicate)
		require.Equal(t, redo[i].eventID, r.eventID)
	}
	// The same webhook to both replicas at once: one stores it.
	for _, d := range both {
		var wg sync.WaitGroup
		var res [2]sendResult
		for k := range 2 {
			wg.Go(func() { res[k] = send(client, urls[k], d.body) })
		}
		wg.Wait()
		require.ElementsMatch(t, []int{http.StatusAccepted, http.StatusOK}, []int{res[0].status, res[1].status},
			"%s: %v / %v", d.eventID, res[0].err, res[1].err)
		require.NotEqual(t, res[0].duplicate, res[1].duplicate)
		require.Equal(t, d.eventID, res[0].eventID)
		require.Equal(t, d.eventID, res[1].eventID)
	}

	waitApplied(t, client, ids, 60*time.Second, a.url, b.url)
	requireItemsOrganized(t, sim, all)

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

// freshDatabase creates a database for this test run next to the one dsn
// names, dropped at cleanup, and returns its DSN. A role that may not
// create databases gets dsn's database with organizer's and River's tables
// dropped instead.
func freshDatabase(t *testing.T, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err, "connecting to ORGANIZER_TEST_POSTGRES")
	defer conn.Close(context.Background())
	name := "organizer_test_" + randomSuffix()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Logf("cannot create a database (%v): dropping organizer's and River's tables in %s instead", err, dsn)
		_, err := conn.Exec(ctx, `DROP TABLE IF EXISTS organizer_events, river_job, river_leader, river_migration,
			river_migration_old, river_notification, river_queue, river_client, river_client_queue CASCADE`)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, `DROP TYPE IF EXISTS river_job_state CASCADE`)
		require.NoError(t, err)
		return dsn
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("dropping %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
