package main

// Helpers of the process-level tests of `organizer serve` (see
// serve_process_test.go): the binary built once, child processes on
// loopback ports with their standard error captured, signed webhooks sent
// concurrently, and the checks on the store and the simulator's log.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
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

const procSecret = "process-test webhook secret"

// procRules are the rules every process test serves: each item goes to one
// folder and gets one tag, so each item needs exactly two writes.
const procRules = `version: 1

rules:
  - name: training
    description: Training videos go to Training, tagged
    on: [content.uploaded, content.transcoded]
    when: lower(title) contains "training"
    actions:
      folder: Training
      tags: [training]

  - name: marketing
    description: Marketing videos go to Marketing, tagged
    on: [content.uploaded, content.transcoded]
    when: lower(title) contains "marketing"
    actions:
      folder: Marketing
      tags: [marketing]
`

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// organizerBinary builds the organizer once per test run and returns its
// path. Process tests are skipped under -short.
func organizerBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("process-level tests of organizer serve are skipped in -short mode")
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "organizer-serve-test-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "organizer")
		cmd := exec.Command("go", "build", "-o", buildBin, ".")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out.String())
		}
	})
	require.NoError(t, buildErr)
	return buildBin
}

// procEnv is the environment of a child: this one without ORGANIZER_*
// settings, plus the simulator's API and the webhook secret. The admin
// token stays unset: the admin API answers loopback requests.
func procEnv(sim *vaultstreamtest.Server) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORGANIZER_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"ORGANIZER_VAULTSTREAM_WEBHOOK_SECRET="+procSecret,
		"ORGANIZER_VAULTSTREAM_API_URL="+sim.URL(),
		"ORGANIZER_VAULTSTREAM_API_TOKEN="+sim.Token(),
	)
}

// writeRules writes rules (a rule file's YAML) into a new directory and
// returns it.
func writeRules(t *testing.T, rules string) string {
	t.Helper()
	return filepath.Dir(writeFile(t, t.TempDir(), "rules/media.yaml", rules))
}

// writeConfig writes a config file and returns its path.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	return writeFile(t, t.TempDir(), "organizer.yaml", yaml)
}

// procTest is what every process test starts from: the binary built, a
// VaultStream simulator answering every call after a latency, and the
// arguments and environment of `organizer serve` children that decide with
// procRules (or the rules given) and apply through that simulator, sharing one data directory
// (and store). The simulator is closed at cleanup, after the children are
// killed.
type procTest struct {
	sim    *vaultstreamtest.Server
	env    []string     // the children's environment (procEnv)
	args   []string     // serve's arguments after --addr
	client *http.Client // webhooks and the admin API, loopback only
}

// newProcTest sets a process test up with config (a config file's YAML)
// and the simulator's latency; store, unless empty, is the --store of
// every child. It skips the test under -short.
func newProcTest(t *testing.T, config string, latency time.Duration, store string) *procTest {
	t.Helper()
	return newProcTestRules(t, config, procRules, latency, store)
}

// newProcTestRules is newProcTest with the children serving rules (a rule
// file's YAML) instead of procRules.
func newProcTestRules(t *testing.T, config, rules string, latency time.Duration, store string) *procTest {
	t.Helper()
	organizerBinary(t)
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	sim.SetLatency(latency)
	args := []string{"--config", writeConfig(t, config), "--rules", writeRules(t, rules), "--data", t.TempDir()}
	if store != "" {
		args = append(args, "--store", store)
	}
	client := newSendClient()
	t.Cleanup(client.CloseIdleConnections)
	return &procTest{sim: sim, env: procEnv(sim), args: args, client: client}
}

// start starts a child and waits until it is ready (startServe).
func (pt *procTest) start(t *testing.T, name string) *proc {
	t.Helper()
	return startServe(t, name, pt.env, pt.args...)
}

// launch starts a child without waiting for it (launchServe).
func (pt *procTest) launch(t *testing.T, name string) *proc {
	t.Helper()
	return launchServe(t, name, pt.env, pt.args...)
}

// deliveries seeds n items in the simulator (makeDeliveries).
func (pt *procTest) deliveries(t *testing.T, prefix string, n int) []*delivery {
	t.Helper()
	return makeDeliveries(t, pt.sim, prefix, n)
}

// send delivers ds to the URL target picks for each index (sendAll, 8
// senders).
func (pt *procTest) send(ds []*delivery, target func(i int) string) []sendResult {
	return sendAll(pt.client, ds, 8, target, nil)
}

// to is a target of send: every delivery to p.
func to(p *proc) func(int) string { return func(int) string { return p.url } }

// syncBuffer (simulate_test.go) holds a child's standard error.

// proc is one `organizer serve` child process.
type proc struct {
	name   string
	url    string // http://127.0.0.1:port
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	state  *os.ProcessState
}

// startServe starts `organizer serve --addr <free loopback port> args...`
// and waits until /readyz answers 200. The process is killed at cleanup,
// and its standard error is logged when the test failed.
func startServe(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	p := launchServe(t, name, env, args...)
	for try := 1; ; try++ {
		err := p.waitReady(30 * time.Second)
		if err == nil {
			return p
		}
		// Another process took the port between our probe and the child's
		// listen: try another port.
		if try < 3 && p.exited() && strings.Contains(p.stderr.String(), "address already in use") {
			p = launchServe(t, name, env, args...)
			continue
		}
		t.Fatalf("%s did not become ready: %v", name, err)
	}
}

// launchServe starts the child without waiting for it to be ready.
func launchServe(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	bin := organizerBinary(t)
	addr := freeAddr(t)
	p := &proc{name: name, url: "http://" + addr, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr}, args...)...)
	p.cmd.Env = env
	p.cmd.Stdout = p.stderr
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())
	go func() {
		_ = p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		out := p.stderr.String()
		if strings.Contains(out, "panic:") || strings.Contains(out, "DATA RACE") {
			t.Errorf("%s panicked or raced:\n%s", p.name, tail(out, 64<<10))
		} else if t.Failed() {
			t.Logf("%s (pid %d) standard error, last 48 KiB:\n%s", p.name, p.cmd.Process.Pid, tail(out, 48<<10))
		}
	})
	t.Cleanup(func() { p.kill() }) // runs before the log above
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady polls /readyz until it answers 200, the process exits or the
// time is up.
func (p *proc) waitReady(within time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("%s exited (%v) before it was ready", p.name, p.state)
		}
		resp, err := client.Get(p.url + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s was not ready within %v", p.name, within)
}

// kill sends SIGKILL, unless the process has exited, and waits for it.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// waitExit waits for the process to exit; ok is false if it is still
// running after within.
func (p *proc) waitExit(within time.Duration) (state *os.ProcessState, ok bool) {
	select {
	case <-p.done:
		return p.state, true
	case <-time.After(within):
		return nil, false
	}
}

// delivery is one webhook about one content item.
type delivery struct {
	contentID string
	title     string
	folder    string // the folder and tag the rules give the item
	tag       string
	body      []byte
	eventID   string // the id the service gives the event (adapters.EventID)
}

// makeDeliveries seeds n content items in the simulator, alternately
// training and marketing videos, and returns a content.uploaded webhook
// for each, with the event id the service will answer.
func makeDeliveries(t *testing.T, sim *vaultstreamtest.Server, prefix string, n int) []*delivery {
	t.Helper()
	out := make([]*delivery, n)
	for i := range out {
		d := &delivery{contentID: fmt.Sprintf("%s_%04d", prefix, i)}
		if i%2 == 0 {
			d.title, d.folder, d.tag = fmt.Sprintf("Training session %d", i), "Training", "training"
		} else {
			d.title, d.folder, d.tag = fmt.Sprintf("Marketing launch %d", i), "Marketing", "marketing"
		}
		sim.AddContent(vaultstreamtest.Content{ID: d.contentID, Title: d.title})
		body, err := vaultstreamtest.WebhookBody("content.uploaded", map[string]any{"content_id": d.contentID, "title": d.title})
		require.NoError(t, err)
		d.body, d.eventID = body, adapters.EventID(vaultstream.Name, body)
		out[i] = d
	}
	return out
}

// sendResult is what became of one delivery attempt.
type sendResult struct {
	status    int // 0: no answer (connection refused, reset, timeout)
	err       error
	eventID   string
	duplicate bool
}

func (r sendResult) acked() bool { return r.status >= 200 && r.status < 300 }

// newSendClient is an HTTP client for webhooks: bounded, loopback only.
func newSendClient() *http.Client {
	return &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 32, MaxConnsPerHost: 64},
	}
}

// send posts one signed webhook.
func send(client *http.Client, baseURL string, body []byte) sendResult {
	req, err := vaultstreamtest.NewWebhookRequest(context.Background(), baseURL+"/webhooks/vaultstream", procSecret, body)
	if err != nil {
		return sendResult{err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return sendResult{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	r := sendResult{status: resp.StatusCode}
	if err != nil {
		// The status line arrived, the body did not: the client cannot
		// know what was stored, so this is no acknowledgement.
		return sendResult{err: fmt.Errorf("reading the answer (status %d): %w", resp.StatusCode, err)}
	}
	if r.acked() {
		var ans struct {
			EventID   string `json:"event_id"`
			Duplicate bool   `json:"duplicate"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil {
			return sendResult{status: resp.StatusCode, err: fmt.Errorf("answer %q: %w", raw, err)}
		}
		r.eventID, r.duplicate = ans.EventID, ans.Duplicate
	} else {
		r.err = fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	return r
}

// sendAll delivers ds with `workers` concurrent senders, to the URL target
// picks for each index, and calls onAck (unless nil) on each
// acknowledgement as it comes.
func sendAll(client *http.Client, ds []*delivery, workers int, target func(i int) string, onAck func()) []sendResult {
	results := make([]sendResult, len(ds))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				results[i] = send(client, target(i), ds[i].body)
				if results[i].acked() && onAck != nil {
					onAck()
				}
			}
		})
	}
	for i := range ds {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// eventView is the part of GET /v1/events/{id} the tests look at.
type eventView struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
	Results  []struct {
		Action  string `json:"action"`
		Outcome string `json:"outcome"`
	} `json:"results"`
}

// getEvent reads an event through the admin API; found is false on 404.
func getEvent(client *http.Client, baseURL, id string) (e eventView, found bool, err error) {
	resp, err := client.Get(baseURL + "/v1/events/" + id)
	if err != nil {
		return e, false, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return e, false, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return e, true, json.Unmarshal(raw, &e)
	case http.StatusNotFound:
		return e, false, nil
	}
	return e, false, fmt.Errorf("GET /v1/events/%s: %d %s", id, resp.StatusCode, raw)
}

// requirePresent checks that every id is stored.
func requirePresent(t *testing.T, client *http.Client, baseURL string, ids []string, why string) {
	t.Helper()
	var missing []string
	for _, id := range ids {
		_, found, err := getEvent(client, baseURL, id)
		require.NoError(t, err)
		if !found {
			missing = append(missing, id)
		}
	}
	require.Empty(t, missing, "%d of %d %s events are missing from the store", len(missing), len(ids), why)
}

// waitApplied polls until every id is applied; a dead letter or the time
// running out fails the test with what is left. bases are tried in turn
// (the replicas of one store).
func waitApplied(t *testing.T, client *http.Client, ids []string, within time.Duration, bases ...string) {
	t.Helper()
	pending := map[string]eventView{}
	for _, id := range ids {
		pending[id] = eventView{ID: id, Status: "(not read yet)"}
	}
	deadline := time.Now().Add(within)
	for n := 0; len(pending) > 0; n++ {
		base := bases[n%len(bases)]
		for id := range pending {
			e, found, err := getEvent(client, base, id)
			require.NoError(t, err)
			require.True(t, found, "event %s is not in the store", id)
			require.NotEqual(t, "dead", e.Status, "event %s is a dead letter: %s", id, e.Error)
			if e.Status == "applied" {
				delete(pending, id)
				continue
			}
			pending[id] = e
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			counts := map[string]int{}
			var sample []string
			for _, e := range pending {
				counts[e.Status]++
				if len(sample) < 5 {
					sample = append(sample, fmt.Sprintf("%s: %s attempts=%d error=%q", e.ID, e.Status, e.Attempts, e.Error))
				}
			}
			t.Fatalf("%d of %d events not applied within %v (by status %v), e.g.\n%s",
				len(pending), len(ids), within, counts, strings.Join(sample, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// requireItemsOrganized checks each item's folder and tag in the
// simulator, and that its writes were made once each: for each item every
// distinct write (method, path, body) that the simulator executed appears
// once, and there are exactly two (the folder and the tag). A request the
// simulator logged but never answered (its client died during the
// simulator's latency) changed nothing and is not counted.
func requireItemsOrganized(t *testing.T, sim *vaultstreamtest.Server, ds []*delivery) {
	t.Helper()
	folders := map[string]string{}
	for _, f := range sim.Folders() {
		folders[f.Name] = f.ID
	}
	type write struct{ method, path, body string }
	perItem := map[string]map[write]int{}
	var unanswered int
	folderWrites := map[string]int{} // "POST /folders 201": count
	for _, w := range sim.Writes() {
		if w.Status == 0 {
			unanswered++
			continue
		}
		rest, ok := strings.CutPrefix(w.Path, "/content/")
		if !ok {
			folderWrites[fmt.Sprintf("%s %s %d", w.Method, w.Path, w.Status)]++
			continue
		}
		item, _, _ := strings.Cut(rest, "/")
		if perItem[item] == nil {
			perItem[item] = map[write]int{}
		}
		perItem[item][write{w.Method, w.Path, string(bytes.TrimSpace(w.Body))}]++
	}
	t.Logf("simulator: %d folders %v, other writes %v, %d write requests never answered (client gone)",
		len(folders), folders, folderWrites, unanswered)
	var problems []string
	for _, d := range ds {
		c, ok := sim.Content(d.contentID)
		require.True(t, ok, d.contentID)
		if folders[d.folder] == "" || c.FolderID != folders[d.folder] {
			problems = append(problems, fmt.Sprintf("%s: folder %q, want %s (%q)", d.contentID, c.FolderID, d.folder, folders[d.folder]))
		}
		if len(c.Tags) != 1 || c.Tags[0] != d.tag {
			problems = append(problems, fmt.Sprintf("%s: tags %v, want [%s]", d.contentID, c.Tags, d.tag))
		}
		writes := perItem[d.contentID]
		for w, n := range writes {
			if n > 1 {
				problems = append(problems, fmt.Sprintf("%s: %s %s %s written %d times", d.contentID, w.method, w.path, w.body, n))
			}
		}
		if len(writes) != 2 {
			var list []string
			for w, n := range writes {
				list = append(list, fmt.Sprintf("%s %s %s ×%d", w.method, w.path, w.body, n))
			}
			sort.Strings(list)
			problems = append(problems, fmt.Sprintf("%s: %d distinct writes, want 2 (folder, tag): %v", d.contentID, len(writes), list))
		}
	}
	if len(problems) > 20 {
		problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
	}
	require.Empty(t, problems, "items not organized exactly once")
}

// errorLines returns the ERROR-level log lines of a child's standard error.
func errorLines(stderr string) []string {
	var out []string
	for line := range strings.Lines(stderr) {
		var rec struct {
			Level string `json:"level"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Level == "ERROR" {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// idsOf returns the event ids of the deliveries.
func idsOf(ds []*delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
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

// splitAcked sorts a round of deliveries: the ids of those acknowledged,
// each answered with its own event id, and the others, which the provider
// delivers again.
func splitAcked(t *testing.T, ds []*delivery, results []sendResult) (acked []string, again []*delivery) {
	t.Helper()
	for i, r := range results {
		if r.acked() {
			require.Equal(t, ds[i].eventID, r.eventID)
			acked = append(acked, r.eventID)
		} else {
			again = append(again, ds[i])
		}
	}
	return acked, again
}

// loadUntil sends ds to p with 8 senders and runs stop as soon as `after`
// deliveries are acknowledged, while the others are still being sent. It
// returns every delivery's result and when stop was called.
func loadUntil(t *testing.T, pt *procTest, p *proc, ds []*delivery, after int64, stop func()) ([]sendResult, time.Time) {
	t.Helper()
	var acked atomic.Int64
	reached := make(chan struct{}) // closed by the after-th acknowledgement
	done := make(chan struct{})    // closed when every delivery is answered
	var stoppedAt time.Time
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		select {
		case <-reached:
		case <-done:
			select {
			case <-reached: // both at once: the threshold still counts
			default:
				return
			}
		}
		stoppedAt = time.Now()
		stop()
	}()
	results := sendAll(pt.client, ds, 8, to(p), func() {
		if acked.Add(1) == after {
			close(reached)
		}
	})
	close(done)
	<-watcher
	require.False(t, stoppedAt.IsZero(), "the load ended before %d acknowledgements (got %d)", after, acked.Load())
	return results, stoppedAt
}

// postgresStore is a fresh database of the ORGANIZER_TEST_POSTGRES server
// for a process test, which it skips when that is unset (or under -short,
// before a database is made).
func postgresStore(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("ORGANIZER_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set ORGANIZER_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	organizerBinary(t)
	return freshDatabase(t, dsn)
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
		_, err := conn.Exec(ctx, `DROP TABLE IF EXISTS organizer_events, organizer_notifications, organizer_sweeps, organizer_decisions, organizer_workers, organizer_heartbeat, river_job, river_leader, river_migration,
			river_migration_old, river_notification, river_queue, river_client, river_client_queue CASCADE`)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, `DROP SEQUENCE IF EXISTS organizer_worker_keys`)
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
