package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/server/sweep"
)

// defaultMaxChanges is the change budget of a sweep without --max-changes
// or a schedule's max_changes.
const defaultMaxChanges = 100

func sweepCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sweep --rules PATH (--schedule NAME | --provider NAME --as EVENT_TYPE) [--apply] [--max-changes N]",
		Short: "Run the rules over a provider's catalog now: what would change, or apply it",
		Long: `Run the rules over a provider's catalog now, as a schedule's run, or as if an
event of a type had just arrived for every item (--as: the backfill after a
rules change). Without --apply it only reads and prints, for each item that
would change, each field's current and planned value, then a summary. With
--apply it applies, unless more items would change than the change budget
(--max-changes, else the schedule's max_changes, else 100): then it changes
nothing and exits 1. Needs the provider's API settings in the environment
(ORGANIZER_<PROVIDER>_API_URL and _API_TOKEN).`,
		Args: cobra.NoArgs,
	}
	rulesPath := cmd.Flags().String("rules", "", "rule file or directory")
	schedule := cmd.Flags().String("schedule", "", "the schedule to run")
	provider := cmd.Flags().String("provider", "", "the provider whose catalog to sweep, with --as")
	as := cmd.Flags().String("as", "", "the event type each item is decided as, with --provider")
	apply := cmd.Flags().Bool("apply", false, "apply the changes (default: only say what would change)")
	maxChanges := cmd.Flags().Int("max-changes", 0, "the most items a run may change (default: the schedule's max_changes, else 100)")
	workers := cmd.Flags().Int("workers", 64, "items applied at once (each waits on the platform for most of its time)")
	nowFlag := cmd.Flags().String("now", "", "the time the rules see (RFC 3339; default: now)")
	format := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*format); err != nil {
			return err
		}
		if *rulesPath == "" {
			return errors.New("--rules PATH is required")
		}
		if (*schedule == "") == (*provider == "" && *as == "") || (*schedule == "" && (*provider == "" || *as == "")) {
			return errors.New("give --schedule NAME, or --provider NAME with --as EVENT_TYPE")
		}
		now, err := parseNow(*nowFlag)
		if err != nil {
			return err
		}
		loaded, errs := load([]string{*rulesPath})
		if len(errs) > 0 {
			printCheck(cmd.ErrOrStderr(), loaded, errs)
			return failure{errReported}
		}
		query, budget, err := sweepQuery(loaded.Ruleset, *schedule, *provider, *as, now)
		if err != nil {
			return failure{err}
		}
		if cmd.Flags().Changed("max-changes") {
			budget = *maxChanges
		}
		client, err := apiClient(query.Provider)
		if err != nil {
			return failure{err}
		}
		q, ok := client.(adapters.Querier)
		if !ok {
			return failure{fmt.Errorf("%s's client cannot list content", query.Provider)}
		}
		r := sweepRun{out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr(), json: *format == "json"}
		return r.run(cmd.Context(), q, client, loaded.Ruleset, query, *apply, budget, *workers)
	}
	return cmd
}

// sweepQuery is the query of a schedule, or of a backfill of the provider's
// whole catalog as events of one type, and its change budget.
func sweepQuery(rs *engine.Ruleset, schedule, provider, as string, now time.Time) (sweep.Query, int, error) {
	if schedule == "" {
		return sweep.Query{Provider: provider, Source: "catalog", Params: map[string]string{}, EventType: as, Now: now}, defaultMaxChanges, nil
	}
	s, ok := rs.Schedule(schedule)
	if !ok {
		var names []string
		for _, s := range rs.Schedules() {
			names = append(names, s.Name)
		}
		return sweep.Query{}, 0, fmt.Errorf("no schedule %q in the rules (schedules: %v)", schedule, names)
	}
	params, err := s.Params(now)
	if err != nil {
		return sweep.Query{}, 0, fmt.Errorf("schedule %s (%s): %w", s.Name, s.Position, err)
	}
	return sweep.Query{Provider: s.Provider, Source: s.Source, Params: params, EventType: s.EventType(), Now: now}, s.MaxChanges, nil
}

// sweepRun prints a sweep as it goes.
type sweepRun struct {
	out, errOut io.Writer
	json        bool
}

// sweepReport is the JSON form of a sweep.
type sweepReport struct {
	Items     int           `json:"items"`
	Changed   int           `json:"changed"`
	Unchanged int           `json:"unchanged"`
	Failed    int           `json:"failed"`
	Applied   bool          `json:"applied"`
	Changes   []itemChanges `json:"changes"`
}

type itemChanges struct {
	ContentID string         `json:"content_id"`
	Title     string         `json:"title"`
	Changes   []sweep.Change `json:"changes"`
	Error     string         `json:"error,omitempty"`
}

func (r sweepRun) run(ctx context.Context, q adapters.Querier, client adapters.Client, rs *engine.Ruleset, query sweep.Query, apply bool, budget, workers int) error {
	var decided []sweep.Decided
	rep := sweepReport{Changes: []itemChanges{}}
	err := sweep.Decide(ctx, q, query, rs, func(d sweep.Decided) error {
		rep.Items++
		errored := d.RuleError()
		switch {
		case errored != "":
			rep.Failed++
			rep.Changes = append(rep.Changes, itemChanges{ContentID: d.Event.Content.ID, Title: d.Event.Content.Title, Changes: noChanges(d.Changes), Error: errored})
		case len(d.Changes) > 0:
			rep.Changed++
			decided = append(decided, d)
			rep.Changes = append(rep.Changes, itemChanges{ContentID: d.Event.Content.ID, Title: d.Event.Content.Title, Changes: d.Changes})
		default:
			rep.Unchanged++
		}
		return nil
	})
	if err != nil {
		return failure{err}
	}
	verb := "would change"
	if apply && rep.Changed > budget {
		r.print(rep, verb)
		return failure{fmt.Errorf("%d items would change, more than the change budget of %d: nothing was changed (raise it with --max-changes)", rep.Changed, budget)}
	}
	if apply {
		verb = "changed"
		rep.Applied = true
		bar := r.progress(len(decided))
		outcomes := sweep.Apply(ctx, client, decided, workers, func(sweep.Outcome) { _ = bar.Add(1) })
		_ = bar.Finish()
		for i, o := range outcomes {
			if o.Err != nil {
				rep.Changed--
				rep.Failed++
				for j := range rep.Changes {
					if rep.Changes[j].ContentID == decided[i].Event.Content.ID {
						rep.Changes[j].Error = o.Err.Error()
					}
				}
			}
		}
	}
	r.print(rep, verb)
	if rep.Failed > 0 {
		return failure{errReported}
	}
	return nil
}

// progress is a progress bar on a terminal, and nothing elsewhere.
func (r sweepRun) progress(n int) *progressbar.ProgressBar {
	if f, ok := r.errOut.(*os.File); ok && isatty.IsTerminal(f.Fd()) && !r.json {
		return progressbar.NewOptions(n, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("applying"),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(io.Discard))
}

func (r sweepRun) print(rep sweepReport, verb string) {
	if r.json {
		writeJSON(r.out, rep)
		return
	}
	for _, c := range rep.Changes {
		fmt.Fprintf(r.out, "%s  %q\n", c.ContentID, c.Title)
		for _, ch := range c.Changes {
			fmt.Fprintf(r.out, "  %-12s %s → %s\n", ch.Field+":", ch.Current, ch.Planned)
		}
		if c.Error != "" {
			fmt.Fprintf(r.out, "  failed: %s\n", c.Error)
		}
	}
	fmt.Fprintf(r.out, "%d items, %d %s, %d unchanged, %d failed\n", rep.Items, rep.Changed, verb, rep.Unchanged, rep.Failed)
}

func noChanges(c []sweep.Change) []sweep.Change {
	if c == nil {
		return []sweep.Change{}
	}
	return c
}
