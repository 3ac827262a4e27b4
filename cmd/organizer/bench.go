package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
	"github.com/organizer-dev/organizer/cmd/organizer/internal/loadgen"
	"github.com/organizer-dev/organizer/server"
)

// benchRules are the rules the benchmarks run: the guide's Pattern 3
// classifier, where every event gets a folder and one more action.
const benchRules = `version: 1
lists:
  training_words: [training, module, onboarding, compliance]
  leadership_words: [town hall, all-hands, ceo, quarterly]
rules:
  - name: training
    on: [content.uploaded, content.transcoded]
    when: containsAny(lower(title), lists.training_words)
    stop: true
    actions: {folder: Training, tags: [training]}
  - name: leadership
    on: [content.uploaded, content.transcoded]
    when: containsAny(lower(title), lists.leadership_words)
    stop: true
    actions: {folder: Leadership, visibility: team}
  - name: library
    on: [content.uploaded, content.transcoded]
    actions: {folder: Library, tags: [library]}
`

const benchSecret = "bench-secret"

func benchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench intake|apply|sweep|impact",
		Short: "Measure the service on this machine: durable intake, apply throughput, a schedule's sweep",
		Long: `Measure the service on this machine, on loopback, with temporary stores.

  bench intake   signed webhooks at full speed against the durable service
                 (embedded SQLite) and against an in-memory reference (HMAC,
                 JSON decode, 202, nothing stored), in alternating rounds; the
                 ratio of each round is durable/reference.
  bench apply    events applied per second through the VaultStream simulator
                 with a latency on every call, and provider calls per action.
  bench sweep    a schedule's sweep (the guide's Pattern 2) through the
                 simulator: the dry-run, the apply, and the original script's
                 serial loop, side by side; fails unless exactly the stale
                 items were archived.`,
	}
	cmd.AddCommand(benchIntakeCommand(), benchApplyCommand(), benchSweepCommand(), benchImpactCommand())
	return cmd
}

func benchIntakeCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "intake", Short: "Durable intake against the in-memory ceiling, side by side", Args: cobra.NoArgs}
	duration := cmd.Flags().Duration("duration", 5*time.Second, "length of each measured run")
	rounds := cmd.Flags().Int("rounds", 3, "rounds of (reference, durable)")
	concurrency := cmd.Flags().Int("concurrency", loadgen.DefaultConcurrency, "parallel senders")
	profile := cmd.Flags().String("cpuprofile", "", "write a CPU profile of the run to this file")
	store := cmd.Flags().String("store", "", "postgres://…: measure the durable intake on PostgreSQL instead of SQLite")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx, out := cmd.Context(), cmd.OutOrStdout()
		if *profile != "" {
			f, err := os.Create(*profile)
			if err != nil {
				return failure{err}
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return failure{err}
			}
			defer pprof.StopCPUProfile()
		}
		opts := loadgen.Options{Concurrency: *concurrency, Duration: *duration, Warmup: time.Second}
		fmt.Fprintf(out, "intake: %d rounds of %s, %d senders, vaultstream webhooks, GOMAXPROCS=%d\n",
			*rounds, *duration, *concurrency, runtime.GOMAXPROCS(0))
		for round := 1; round <= *rounds; round++ {
			fmt.Fprintf(out, "round %d\n", round)
			var ref loadgen.Report
			if *profile == "" { // the profile is of the durable service alone
				var err error
				if ref, err = benchReference(ctx, opts); err != nil {
					return failure{err}
				}
				fmt.Fprintf(out, "  %s\n", ref)
			}
			dur, backlog, err := benchDurable(ctx, opts, *store)
			if err != nil {
				return failure{err}
			}
			fmt.Fprintf(out, "  %s\n    %s\n", dur, backlog)
			if ref.PerSecond > 0 {
				fmt.Fprintf(out, "  ratio durable/reference: %.2f\n", dur.PerSecond/ref.PerSecond)
			}
		}
		return nil
	}
	return cmd
}

// benchReference loads the in-memory reference.
func benchReference(ctx context.Context, opts loadgen.Options) (loadgen.Report, error) {
	reg := registry(func(string) string { return benchSecret })
	url, stop, err := serveHandler(loadgen.Reference(reg, 1<<20))
	if err != nil {
		return loadgen.Report{}, err
	}
	defer stop()
	r, err := loadgen.Run(ctx, loadgen.Target{URL: url, Provider: vaultstream.Name, Secret: benchSecret}, opts)
	r.Name = "in-memory reference"
	return r, err
}

// benchDurable loads the service on a new SQLite store (or the given
// PostgreSQL), record-only, its workers deciding as the webhooks arrive.
// backlog says how far the workers were behind when the load stopped.
func benchDurable(ctx context.Context, opts loadgen.Options, store string) (r loadgen.Report, backlog string, err error) {
	svc, dir, err := benchService(ctx, nil, server.Defaults().Workers, store)
	if err != nil {
		return r, "", err
	}
	defer os.RemoveAll(dir)
	url, stop, err := serveService(ctx, svc)
	if err != nil {
		return r, "", err
	}
	defer stop()
	r, err = loadgen.Run(ctx, loadgen.Target{URL: url, Provider: vaultstream.Name, Secret: benchSecret}, opts)
	r.Name = "durable (SQLite)   "
	if store != "" {
		r.Name = "durable (PostgreSQL)"
	}
	if err != nil {
		return r, "", err
	}
	st, err := svc.Stats(ctx)
	if err != nil {
		return r, "", err
	}
	waiting := st.Events[server.StatusQueued] + st.Events[server.StatusRetrying]
	backlog = fmt.Sprintf("when the load stopped, %d events were waiting for a worker", waiting)
	if store == "" {
		stored := 0
		for _, n := range st.Events {
			stored += n
		}
		if size := dirSize(dir); stored > 0 {
			backlog += fmt.Sprintf("\n    the store holds %.2f KB per event under load (its files, queue rows and write-ahead log included)", float64(size)/float64(stored)/1024)
		}
		// Stopped, the service closes the store, which folds the
		// write-ahead log (a bounded, fixed cost) into the database:
		// what is left is what each event costs.
		stop()
		if size := dirSize(dir); stored > 0 {
			backlog += fmt.Sprintf("\n    and %.2f KB per event once stopped (the database file with its queue rows; the write-ahead log folded in)", float64(size)/float64(stored)/1024)
		}
	}
	return r, backlog, nil
}

// dirSize is the bytes of the files in dir.
func dirSize(dir string) int64 {
	entries, _ := os.ReadDir(dir)
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}

func benchApplyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "apply", Short: "Events applied per second through the simulator", Args: cobra.NoArgs}
	events := cmd.Flags().Int("events", 5000, "events to apply")
	latency := cmd.Flags().Duration("latency", 50*time.Millisecond, "latency of every simulator call")
	workers := cmd.Flags().Int("workers", server.Defaults().Workers, "events processed at once")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		r, err := benchApply(cmd.Context(), *events, *latency, *workers)
		if err != nil {
			return failure{err}
		}
		fmt.Fprint(cmd.OutOrStdout(), r)
		return nil
	}
	return cmd
}

// benchApply sends events for items the simulator holds, and times them
// from the first webhook to the last event applied.
func benchApply(ctx context.Context, events int, latency time.Duration, workers int) (string, error) {
	sim := vaultstreamtest.NewServer()
	defer sim.Close()
	seed := "apply-bench"
	reg := registry(func(string) string { return benchSecret })
	for i := range events {
		ev, err := reg.DecodePayload(vaultstream.Name, loadgen.Body(vaultstream.Name, seed, i))
		if err != nil {
			return "", err
		}
		sim.AddContent(vaultstreamtest.Content{ID: ev.Content.ID, Title: ev.Content.Title})
	}
	sim.SetLatency(latency)
	client := vaultstream.NewClient(sim.URL(), sim.Token())
	svc, dir, err := benchService(ctx, map[string]adapters.Client{vaultstream.Name: client}, workers, "")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	url, stop, err := serveService(ctx, svc)
	if err != nil {
		return "", err
	}
	defer stop()
	start := time.Now()
	sent, err := loadgen.Run(ctx, loadgen.Target{URL: url, Provider: vaultstream.Name, Secret: benchSecret},
		loadgen.Options{Requests: events, Seed: seed, Concurrency: 16})
	if err != nil {
		return "", err
	}
	if sent.Accepted != events {
		return "", fmt.Errorf("only %d of %d webhooks were accepted: %s", sent.Accepted, events, sent.FirstError)
	}
	counts, err := waitSettled(ctx, svc, events, 10*time.Minute)
	if err != nil {
		return "", err
	}
	took := time.Since(start)
	reqs := sim.Requests()
	var writes int
	for _, r := range reqs {
		if r.IsWrite() {
			writes++
		}
	}
	st, err := svc.Stats(ctx)
	if err != nil {
		return "", err
	}
	actions := st.Actions
	return fmt.Sprintf("apply: %d events, simulator latency %s, %d workers\n"+
		"  applied %d, dead %d in %.1fs: %.0f events/s\n"+
		"  provider calls %d for %d actions: %.2f calls per action (%d writes: %.2f per action; %.2f reads per event)\n",
		events, latency, workers, counts[server.StatusApplied], counts[server.StatusDead], took.Seconds(),
		float64(counts[server.StatusApplied])/took.Seconds(), len(reqs), actions, float64(len(reqs))/float64(actions),
		writes, float64(writes)/float64(actions), float64(len(reqs)-writes)/float64(events)), nil
}

// waitSettled waits until n events are applied or dead.
func waitSettled(ctx context.Context, svc *server.Service, n int, limit time.Duration) (map[server.Status]int, error) {
	deadline := time.Now().Add(limit)
	for {
		st, err := svc.Stats(ctx)
		if err != nil {
			return nil, err
		}
		counts := st.Events
		if counts[server.StatusApplied]+counts[server.StatusDead] >= n {
			return counts, nil
		}
		if time.Now().After(deadline) {
			return counts, fmt.Errorf("after %s only %d of %d events were applied", limit, counts[server.StatusApplied], n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// benchService makes a service on a new SQLite store in a temporary
// directory with the bench rules.
func benchService(ctx context.Context, clients map[string]adapters.Client, workers int, store string) (*server.Service, string, error) {
	dir, err := os.MkdirTemp("", "organizer-bench-")
	if err != nil {
		return nil, "", err
	}
	rulesFile := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(rulesFile, []byte(benchRules), 0o600); err != nil {
		return nil, dir, err
	}
	cfg := server.Defaults()
	cfg.Data, cfg.Rules, cfg.Workers, cfg.Store = dir, rulesFile, workers, store
	cfg.Providers = map[string]server.ProviderConfig{vaultstream.Name: {Secret: benchSecret}}
	reg := registry(func(string) string { return benchSecret })
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	svc, err := server.New(ctx, cfg, reg, clients, log)
	return svc, dir, err
}

// serveService serves a service on a loopback port.
func serveService(ctx context.Context, svc *server.Service) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln) }()
	var once sync.Once
	return "http://" + ln.Addr().String(), func() { once.Do(func() { cancel(); <-done }) }, nil
}

// serveHandler serves a handler on a loopback port.
func serveHandler(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
