package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/cmd/organizer/internal/loadgen"
	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/server"
)

// impactTarget is the time an impact preview of 10,000 logged events may
// take.
const impactTarget = 2 * time.Second

func benchImpactCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "impact", Short: "An impact preview of logged events, through the API and the command", Args: cobra.NoArgs}
	events := cmd.Flags().Int("events", 10_000, "events to log, then preview")
	rounds := cmd.Flags().Int("rounds", 3, "previews of each kind")
	store := cmd.Flags().String("store", "", "postgres://…: log the events on PostgreSQL instead of SQLite")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := benchImpact(cmd.Context(), cmd.OutOrStdout(), *events, *rounds, *store); err != nil {
			return failure{err}
		}
		return nil
	}
	return cmd
}

// benchImpact logs events through a record-only service's intake, waits
// until every one is decided, then times previews of an edit (leadership
// titles to Executive) through POST /v1/impact and through the path
// organizer impact takes (the store opened read-only, the recorded
// ruleset compiled), in alternating rounds.
func benchImpact(ctx context.Context, out io.Writer, events, rounds int, store string) error {
	svc, dir, err := benchService(ctx, nil, server.Defaults().Workers, store)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	url, stop, err := serveService(ctx, svc)
	if err != nil {
		return err
	}
	defer stop()
	sent, err := loadgen.Run(ctx, loadgen.Target{URL: url, Provider: vaultstream.Name, Secret: benchSecret},
		loadgen.Options{Requests: events, Seed: fmt.Sprintf("impact-%d", time.Now().UnixNano()), Concurrency: 16})
	if err != nil {
		return err
	}
	if sent.Accepted != events {
		return fmt.Errorf("only %d of %d webhooks were accepted: %s", sent.Accepted, events, sent.FirstError)
	}
	if err := waitRecorded(ctx, svc, events, 5*time.Minute); err != nil {
		return err
	}
	proposed := strings.Replace(benchRules, "folder: Leadership", "folder: Executive", 1)
	kind := "SQLite"
	if store != "" {
		kind = "PostgreSQL"
	}
	fmt.Fprintf(out, "impact: %d logged events on %s, a preview of each event with both rulesets; target %s\n", events, kind, impactTarget)
	var api, cli []time.Duration
	for round := 1; round <= rounds; round++ {
		took, r, err := timeAPIPreview(ctx, url, proposed, events)
		if err != nil {
			return err
		}
		api = append(api, took)
		fmt.Fprintf(out, "  round %d  POST /v1/impact   %6.0f ms  (%d events, %d changed)\n", round, ms(took), r.Events, r.Changed)
		took, r, err = timeCLIPreview(ctx, dir, store, proposed, events)
		if err != nil {
			return err
		}
		cli = append(cli, took)
		fmt.Fprintf(out, "  round %d  organizer impact %6.0f ms  (%d events, %d changed)\n", round, ms(took), r.Events, r.Changed)
	}
	for _, m := range []struct {
		name  string
		times []time.Duration
	}{{"POST /v1/impact  ", api}, {"organizer impact ", cli}} {
		med := median(m.times)
		fmt.Fprintf(out, "  median %s %6.0f ms: %.2f of the target\n", m.name, ms(med), float64(med)/float64(impactTarget))
	}
	return nil
}

// waitRecorded waits until n events are decided (record-only).
func waitRecorded(ctx context.Context, svc *server.Service, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		st, err := svc.Stats(ctx)
		if err != nil {
			return err
		}
		if st.Events[server.StatusRecorded] >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s only %d of %d events were decided", limit, st.Events[server.StatusRecorded], n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// timeAPIPreview times one POST /v1/impact, answer decoded.
func timeAPIPreview(ctx context.Context, url, proposed string, events int) (time.Duration, *server.ImpactReport, error) {
	body, err := json.Marshal(map[string]any{"rules": map[string]string{"rules.yaml": proposed}, "limit": events})
	if err != nil {
		return 0, nil, err
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/impact", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var r server.ImpactReport
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK {
		return 0, nil, fmt.Errorf("POST /v1/impact answered %d: %v", resp.StatusCode, err)
	}
	took := time.Since(start)
	return took, &r, checkPreview(&r, events)
}

// timeCLIPreview times what organizer impact does: open the store
// read-only, compile the recorded ruleset and the proposed one, preview.
func timeCLIPreview(ctx context.Context, dir, store, proposed string, events int) (time.Duration, *server.ImpactReport, error) {
	start := time.Now()
	log, err := server.OpenEventLog(ctx, dir, store, providers())
	if err != nil {
		return 0, nil, err
	}
	defer log.Close()
	rec, err := log.LatestRuleset(ctx)
	if err != nil {
		return 0, nil, err
	}
	files := map[string][]byte{}
	for name, text := range rec.Files {
		files[name] = []byte(text)
	}
	current, errs := engine.LoadFiles(files, compileOptions()...)
	next, more := engine.LoadFiles(map[string][]byte{"rules.yaml": []byte(proposed)}, compileOptions()...)
	if errs = append(errs, more...); len(errs) > 0 {
		return 0, nil, errs.Err()
	}
	r, err := log.Impact(ctx, current.Ruleset, next.Ruleset, server.ImpactWindow{Limit: events})
	if err != nil {
		return 0, nil, err
	}
	took := time.Since(start)
	return took, r, checkPreview(r, events)
}

// checkPreview makes sure the preview did the work it is timed for.
func checkPreview(r *server.ImpactReport, events int) error {
	if r.Events != events || r.Changed == 0 || r.Changed == events {
		return fmt.Errorf("the preview decided %d of %d events and found %d changed", r.Events, events, r.Changed)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
