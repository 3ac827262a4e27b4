package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/server/sweep"
)

// benchSweepRules is the guide's Pattern 2 as a schedule, as
// examples/rules/stale.yaml has it (without the time zone, which changes
// nothing here): what nobody watched for 90 days goes to Archive, private.
const benchSweepRules = `version: 1
schedules:
  - name: stale-content
    cron: "0 2 * * *"
    provider: vaultstream
    source: content-usage
    params:
      last_accessed_before: "{{ daysAgo(90) }}"
rules:
  - name: archive-stale
    on: [schedule.stale-content]
    provider: vaultstream
    actions: {folder: Archive, visibility: private}
`

// The folder the rules archive into, and the schedule the bench runs.
const (
	benchArchive  = "Archive"
	benchSchedule = "stale-content"
)

// Defaults of bench sweep. The workers are those of a run of organizer
// sweep --apply --workers N; organizer sweep's own default is 16.
const (
	benchSweepItems       = 10000
	benchSweepWorkers     = 64
	benchSweepSerialItems = 200
)

// sweepBenchOptions are the flags of bench sweep.
type sweepBenchOptions struct {
	Items       int           // items in the simulator
	Latency     time.Duration // the simulator's latency on every request
	Workers     int           // items applied at once
	PageSize    int           // items per page of the organizer's query; 0 is the client's default
	SerialItems int           // items the serial reference archives; 0 is every stale item

	// beforeApply, when set, is called with the organizer's simulator
	// between the dry-run and the apply (a test injects faults with it).
	beforeApply func(*vaultstreamtest.Server)
}

func benchSweepCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "sweep", Short: "A schedule's sweep through the simulator against a serial script, side by side", Args: cobra.NoArgs,
		Long: `Seed the VaultStream simulator with --items items, most of them unwatched for
200 days and one in a hundred watched recently, with --latency on every request,
and run the guide's Pattern 2 (the schedule stale-content: content-usage with
last_accessed_before daysAgo(90), then folder Archive, visibility private) as
organizer sweep does:

  dry-run    the whole query decided (organizer sweep without --apply)
  apply      the decided items applied, --workers at once (--apply)
  serial     the original Flask script's loop on a fresh simulator with the
             same seed: one request at a time, every page of the usage report
             (100 rows each), and for each item a read and one PATCH

It prints a table and the ratio organizer/serial, and fails unless every stale
item ended up archived and no recent one was touched. The serial loop makes
about ten items a second at 50 ms; it archives --serial-items of them (0: all)
and its rate is projected to the rest.`}
	items := cmd.Flags().Int("items", benchSweepItems, "items in the simulator")
	latency := cmd.Flags().Duration("latency", 50*time.Millisecond, "latency of every simulator request")
	workers := cmd.Flags().Int("workers", benchSweepWorkers, "items applied at once (organizer sweep --workers; its default is 16)")
	pageSize := cmd.Flags().Int("page-size", 0, "items per page of the organizer's query, up to 1000 (default: the client's, 100)")
	serialItems := cmd.Flags().Int("serial-items", benchSweepSerialItems, "items the serial reference archives (0: every stale item)")
	profile := cmd.Flags().String("cpuprofile", "", "write a CPU profile of the run to this file")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		opts := sweepBenchOptions{Items: *items, Latency: *latency, Workers: *workers, PageSize: *pageSize, SerialItems: *serialItems}
		if err := opts.check(); err != nil {
			return err
		}
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
		r, err := benchSweep(cmd.Context(), opts)
		fmt.Fprint(cmd.OutOrStdout(), r)
		if err != nil {
			return failure{err}
		}
		return nil
	}
	return cmd
}

func (o sweepBenchOptions) check() error {
	switch {
	case o.Items < 2:
		return errors.New("--items must be at least 2 (some stale, one recent)")
	case o.Latency < 0:
		return errors.New("--latency must not be negative")
	case o.Workers < 1:
		return errors.New("--workers must be at least 1")
	case o.PageSize < 0 || o.PageSize > 1000:
		return errors.New("--page-size must be from 1 to 1000 (0: the client's default)")
	case o.SerialItems < 0:
		return errors.New("--serial-items must not be negative")
	}
	return nil
}

// sweepSeed is the simulator's content: stale items (last watched 200 to
// 260 days ago) and, one in a hundred (at least one), recent ones (1 to 30
// days ago), in folders or none, of mixed visibilities. It is the same for
// the same n and now.
func sweepSeed(n int, now time.Time) (vaultstreamtest.Seed, map[string]bool) {
	rng := rand.New(rand.NewPCG(2026, 12))
	words := []string{"Onboarding", "Quarterly", "Review", "Product", "Demo", "Town hall", "Safety", "Training",
		"Roadmap", "Q3", "Launch", "Interview", "Webinar", "Recap", "Finance", "Sales"}
	folders := []string{"", "", "Library", "Training", "Marketing"}
	visibilities := []string{"team", "team", "org", "public"}
	sd := vaultstreamtest.Seed{Folders: []string{benchArchive, "Library", "Training", "Marketing"}}
	recentEvery := n / max(1, n/100)
	recent := map[string]bool{}
	for i := range n {
		c := vaultstreamtest.SeedContent{
			ID:         fmt.Sprintf("c_%06d", i),
			Title:      words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))] + fmt.Sprintf(" %d", i),
			Metadata:   map[string]any{"department": []string{"HR", "Sales", "Finance", "Engineering"}[rng.IntN(4)]},
			Folder:     folders[rng.IntN(len(folders))],
			Visibility: visibilities[rng.IntN(len(visibilities))],
		}
		if i%recentEvery == recentEvery/2 {
			recent[c.ID] = true
			c.LastAccessed = now.Add(-time.Duration(1+rng.IntN(30*24)) * time.Hour)
		} else {
			c.LastAccessed = now.AddDate(0, 0, -200).Add(-time.Duration(rng.IntN(60*24*60)) * time.Minute)
		}
		c.CreatedAt = c.LastAccessed.AddDate(-1, 0, -rng.IntN(365))
		sd.Content = append(sd.Content, c)
	}
	return sd, recent
}

// sweepBenchResult is what bench sweep measured.
type sweepBenchResult struct {
	opts           sweepBenchOptions
	stale, recent  int
	pageSize       int
	dry            phase // the organizer's dry-run
	pages          int   // of the dry-run
	apply          phase // the organizer's apply of what the dry-run decided
	failed         int   // items whose apply failed
	serial         phase // the serial reference
	serialPages    int
	complete       bool // every phase ran
	organizerCheck error
	serialCheck    error
}

// phase is one measured run: items done in took, with the simulator's
// requests.
type phase struct {
	items         int
	took          time.Duration
	reads, writes int
}

func (p phase) perSecond() float64 {
	if p.took <= 0 {
		return 0
	}
	return float64(p.items) / p.took.Seconds()
}

func (p phase) per(n int) float64 {
	if p.items == 0 {
		return 0
	}
	return float64(n) / float64(p.items)
}

// benchSweep runs the three phases and checks the simulators' end states.
// The result holds what was measured even when it returns an error.
func benchSweep(ctx context.Context, opts sweepBenchOptions) (sweepBenchResult, error) {
	r := sweepBenchResult{opts: opts}
	now := time.Now().UTC().Truncate(time.Second)
	seed, recent := sweepSeed(opts.Items, now)
	r.stale, r.recent = opts.Items-len(recent), len(recent)

	loaded, errs := engine.LoadFiles(map[string][]byte{"stale.yaml": []byte(benchSweepRules)}, compileOptions()...)
	if len(errs) > 0 {
		return r, fmt.Errorf("the bench's rules: %v", errs)
	}
	query, _, err := sweepQuery(loaded.Ruleset, benchSchedule, "", "", now)
	if err != nil {
		return r, err
	}

	// The organizer: organizer sweep's client, decide, then apply.
	sim := vaultstreamtest.NewServer()
	defer sim.Close()
	sim.Load(seed)
	sim.SetLatency(opts.Latency)
	var clientOpts []adapters.ClientOption
	if opts.PageSize > 0 {
		clientOpts = append(clientOpts, adapters.WithPageSize(opts.PageSize))
	}
	r.pageSize = adapters.PageSize(100, clientOpts...)
	client := vaultstream.NewClient(sim.URL(), sim.Token(), clientOpts...)

	var decided []sweep.Decided
	start := time.Now()
	err = sweep.Decide(ctx, client, query, loaded.Ruleset, func(d sweep.Decided) error {
		r.dry.items++
		if e := d.RuleError(); e != "" {
			return fmt.Errorf("item %s: %s", d.Event.Content.ID, e)
		}
		if len(d.Changes) > 0 {
			decided = append(decided, d)
		}
		return nil
	})
	r.dry.took = time.Since(start)
	if err != nil {
		return r, err
	}
	reqs := sim.Requests()
	r.dry.reads, r.dry.writes = countRequests(reqs)
	for _, q := range reqs {
		if q.Path == "/analytics/content-usage" {
			r.pages++
		}
	}
	if len(decided) != r.stale {
		return r, fmt.Errorf("the dry-run would change %d items; the seed has %d stale ones", len(decided), r.stale)
	}

	if opts.beforeApply != nil {
		opts.beforeApply(sim)
	}
	before := len(reqs)
	start = time.Now()
	outcomes := sweep.Apply(ctx, client, decided, opts.Workers, nil)
	r.apply.took = time.Since(start)
	r.apply.items = len(decided)
	r.apply.reads, r.apply.writes = countRequests(sim.Requests()[before:])
	for _, o := range outcomes {
		if o.Err != nil {
			r.failed++
		}
	}
	r.organizerCheck = checkArchived(sim, seed, recent, nil)

	// The reference: the Flask script's loop, on a fresh simulator.
	ref := vaultstreamtest.NewServer()
	defer ref.Close()
	ref.Load(seed)
	ref.SetLatency(opts.Latency)
	limit := opts.SerialItems
	if limit == 0 || limit > r.stale {
		limit = r.stale
	}
	done, pages, took, err := serialArchive(ctx, ref.URL(), ref.Token(), query.Params["last_accessed_before"], limit)
	r.serial = phase{items: len(done), took: took}
	r.serialPages = pages
	r.serial.reads, r.serial.writes = countRequests(ref.Requests())
	if err != nil {
		return r, fmt.Errorf("the serial reference: %w", err)
	}
	r.serialCheck = checkArchived(ref, seed, recent, done)
	r.complete = true
	return r, errors.Join(r.organizerCheck, r.serialCheck)
}

func countRequests(reqs []vaultstreamtest.Request) (reads, writes int) {
	for _, q := range reqs {
		if q.IsWrite() {
			writes++
		} else {
			reads++
		}
	}
	return reads, writes
}

// checkArchived checks a simulator's end state: every stale item (only
// those of only, when it is not nil) is in the Archive folder and private,
// and every other item has the folder and visibility the seed gave it.
func checkArchived(sim *vaultstreamtest.Server, seed vaultstreamtest.Seed, recent, only map[string]bool) error {
	names := map[string]string{}
	for _, f := range sim.Folders() {
		names[f.ID] = f.Name
	}
	seeded := map[string]vaultstreamtest.SeedContent{}
	for _, c := range seed.Content {
		seeded[c.ID] = c
	}
	var notArchived, touched []string
	for _, c := range sim.Contents() {
		was := seeded[c.ID]
		want := !recent[c.ID] && (only == nil || only[c.ID])
		switch {
		case want && (names[c.FolderID] != benchArchive || c.Visibility != "private"):
			notArchived = append(notArchived, c.ID)
		case !want && (names[c.FolderID] != was.Folder || c.Visibility != was.Visibility):
			touched = append(touched, c.ID)
		}
	}
	slices.Sort(notArchived)
	slices.Sort(touched)
	var errs []error
	if len(notArchived) > 0 {
		errs = append(errs, fmt.Errorf("%d stale items were not archived (%s)", len(notArchived), firstFew(notArchived)))
	}
	if len(touched) > 0 {
		errs = append(errs, fmt.Errorf("%d items that should have been left alone were changed (%s)", len(touched), firstFew(touched)))
	}
	return errors.Join(errs...)
}

func firstFew(ids []string) string {
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + ", …"
	}
	return strings.Join(ids, ", ")
}

// serialArchive is the guide's Pattern 2 script as it was, one request at a
// time, made to page through the whole report with the same API: look up
// the Archive folder's id once, then for each page of the usage report
// (100 rows, the script's limit) read each item and PATCH its folder_id and
// visibility in one request, leaving out what is already so (the organizer
// also reads each item before writing, and writes only what differs). It
// stops after limit items; done holds the items it archived.
func serialArchive(ctx context.Context, base, token, before string, limit int) (done map[string]bool, pages int, took time.Duration, err error) {
	c := serialClient{hc: &http.Client{Timeout: time.Minute}, base: base, token: token}
	done = map[string]bool{}
	start := time.Now()
	defer func() { took = time.Since(start) }()
	var folders struct {
		Items []vaultstreamtest.Folder `json:"items"`
	}
	if err := c.do(ctx, http.MethodGet, "/folders", url.Values{"name": {benchArchive}}, nil, &folders); err != nil {
		return done, pages, 0, err
	}
	if len(folders.Items) == 0 {
		return done, pages, 0, fmt.Errorf("no %s folder", benchArchive)
	}
	archive := folders.Items[0].ID
	query := url.Values{"last_accessed_before": {before}, "limit": {"100"}}
	for {
		var page struct {
			Items []struct {
				ContentID string `json:"content_id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		pages++
		if err := c.do(ctx, http.MethodGet, "/analytics/content-usage", query, nil, &page); err != nil {
			return done, pages, 0, err
		}
		for _, row := range page.Items {
			if len(done) == limit {
				return done, pages, 0, nil
			}
			path := "/content/" + url.PathEscape(row.ContentID)
			var item struct {
				FolderID   *string `json:"folder_id"`
				Visibility string  `json:"visibility"`
			}
			if err := c.do(ctx, http.MethodGet, path, nil, nil, &item); err != nil {
				return done, pages, 0, err
			}
			patch := map[string]any{}
			if item.FolderID == nil || *item.FolderID != archive {
				patch["folder_id"] = archive
			}
			if item.Visibility != "private" {
				patch["visibility"] = "private"
			}
			if len(patch) > 0 {
				if err := c.do(ctx, http.MethodPatch, path, nil, patch, nil); err != nil {
					return done, pages, 0, err
				}
			}
			done[row.ContentID] = true
		}
		if page.NextCursor == "" || len(done) == limit {
			return done, pages, 0, nil
		}
		query.Set("cursor", page.NextCursor)
	}
}

// serialClient is the script's requests calls: JSON, a bearer token, one
// connection kept alive.
type serialClient struct {
	hc          *http.Client
	base, token string
}

func (c serialClient) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer adapters.DrainClose(resp.Body)
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(msg))
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// String is the table bench sweep prints.
func (r sweepBenchResult) String() string {
	var b strings.Builder
	o := r.opts
	fmt.Fprintf(&b, "sweep: %d items (%d stale, %d recent), simulator latency %s per request, GOMAXPROCS=%d\n",
		o.Items, r.stale, r.recent, o.Latency, runtime.GOMAXPROCS(0))
	fmt.Fprintf(&b, "rules: Pattern 2, schedule %s: content-usage with last_accessed_before daysAgo(90) → folder %s, visibility private\n\n",
		benchSchedule, benchArchive)
	if r.dry.items == 0 && r.dry.took == 0 {
		return b.String()
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	// Every name is padded to the same width, so the right alignment of
	// the numbers leaves them flush left.
	const nameWidth = 36
	fmt.Fprintf(tw, "%-*s\titems\ttime\titems/s\tcalls\treads/item\twrites/item\tcalls/item\t\n", nameWidth, "")
	row := func(name string, p phase, target string) {
		fmt.Fprintf(tw, "%-*s\t%d\t%s\t%.0f\t%d\t%.3f\t%.3f\t%.3f\t  %s\n", nameWidth, name, p.items, p.took.Round(10*time.Millisecond),
			p.perSecond(), p.reads+p.writes, p.per(p.reads), p.per(p.writes), p.per(p.reads+p.writes), target)
	}
	dryTarget := "target ≤ 30s for 10,000 items"
	if o.Items >= 10000 {
		dryTarget += verdict(r.dry.took <= 30*time.Second)
	}
	row(fmt.Sprintf("organizer dry-run (%d %s of %d)", r.pages, plural(r.pages, "page", "pages"), r.pageSize), r.dry, dryTarget)
	if r.apply.items == 0 && r.apply.took == 0 {
		tw.Flush()
		return b.String()
	}
	row(fmt.Sprintf("organizer apply (%d workers)", o.Workers), r.apply, "target ≥ 200 items/s"+verdict(r.apply.perSecond() >= 200))
	both := phase{items: r.apply.items, took: r.dry.took + r.apply.took,
		reads: r.dry.reads + r.apply.reads, writes: r.dry.writes + r.apply.writes}
	row("organizer dry-run + apply", both, "")
	if r.serial.items > 0 {
		name := "serial reference"
		if r.serial.items < r.stale {
			name = fmt.Sprintf("serial reference (first %d)", r.serial.items)
		}
		row(name, r.serial, "")
	}
	tw.Flush()
	fmt.Fprintln(&b)
	fmt.Fprintf(&b, "organizer: the dry-run reads %d %s of the usage report (expand=content) and looks each folder up once; "+
		"apply reads each item (GET /content/{id}) and writes folder and visibility in a PATCH each; %d failed\n",
		r.pages, plural(r.pages, "page", "pages"), r.failed)
	if r.serial.items > 0 {
		fmt.Fprintf(&b, "serial: one request at a time; %d %s of the usage report (limit=100), one folder look-up, "+
			"then per item a GET and one PATCH of both fields\n", r.serialPages, plural(r.serialPages, "page", "pages"))
		if r.serial.items < r.stale {
			fmt.Fprintf(&b, "serial: archived %d of the %d stale items (--serial-items); at that rate all of them take %s\n",
				r.serial.items, r.stale, time.Duration(float64(r.stale)/r.serial.perSecond()*float64(time.Second)).Round(time.Second))
		}
		fmt.Fprintf(&b, "ratio organizer/serial, items/s: %.1f× dry-run + apply, %.1f× apply alone\n",
			both.perSecond()/r.serial.perSecond(), r.apply.perSecond()/r.serial.perSecond())
	}
	if r.organizerCheck == nil && r.complete {
		fmt.Fprintf(&b, "check: ok, organizer archived all %d stale items and none of the %d recent; the serial script its %d and nothing else\n",
			r.stale, r.recent, r.serial.items)
	} else if r.organizerCheck != nil {
		fmt.Fprintf(&b, "check: FAILED, organizer: %s\n", strings.ReplaceAll(r.organizerCheck.Error(), "\n", "; "))
	}
	if r.serialCheck != nil {
		fmt.Fprintf(&b, "check: FAILED, serial: %s\n", strings.ReplaceAll(r.serialCheck.Error(), "\n", "; "))
	}
	return b.String()
}

func verdict(met bool) string {
	if met {
		return ": met"
	}
	return ": MISSED"
}
