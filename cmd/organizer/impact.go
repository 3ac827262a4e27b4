package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/server"
)

func impactCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "impact --rules PATH (--data DIR | --store URL) [--since D] [--limit N] [--current PATH] [--format text|json]",
		Short: "What an edit of the rules would change, over the events the service logged",
		Long: `Decide the events the service logged in a window again, with the proposed rules
and with the rules in force, from the store alone (no provider is called, nothing
is written), and report what would change. The rules in force are the ruleset the
service loaded last, as it recorded it in the store; --current compares with rule
files instead. The store may be in use by a running service.`,
		Args: cobra.NoArgs,
	}
	rulesPath := cmd.Flags().String("rules", "", "the proposed rule file or directory")
	data := cmd.Flags().String("data", "", "the data directory of organizer serve (its SQLite store)")
	store := cmd.Flags().String("store", "", "postgres://…: the PostgreSQL store of organizer serve")
	since := cmd.Flags().String("since", "24h", "how far back to look: a duration like 24h or 90m, or days like 7d (at most 90d)")
	limit := cmd.Flags().Int("limit", server.DefaultImpactLimit, "the most events to decide again, newest first")
	current := cmd.Flags().String("current", "", "compare with these rule files instead of the ruleset the service loaded last")
	now := cmd.Flags().String("now", "", "the end of the window (RFC 3339; default: the current time)")
	format := formatFlag(cmd)
	_ = cmd.MarkFlagRequired("rules")
	cmd.MarkFlagsOneRequired("data", "store")
	cmd.MarkFlagsMutuallyExclusive("data", "store")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		w, err := impactWindow(*since, *limit, *now)
		if err != nil {
			return err
		}
		if err := checkFormat(*format); err != nil {
			return err
		}
		proposed, ok := loadOrReport(cmd.ErrOrStderr(), *rulesPath)
		if !ok {
			return failure{errReported}
		}
		ctx := cmd.Context()
		log, err := server.OpenEventLog(ctx, *data, *store, providers())
		if err != nil {
			return failure{err}
		}
		defer log.Close()
		inForce, err := rulesInForce(cmd, log, *current)
		if err != nil || inForce == nil {
			return err
		}
		report, err := log.Impact(ctx, inForce, proposed, w)
		if err != nil {
			return failure{err}
		}
		if *format == "json" {
			writeJSON(cmd.OutOrStdout(), report)
		} else {
			printImpact(cmd.OutOrStdout(), report)
		}
		return nil
	}
	return cmd
}

// impactWindow reads --since, --limit and --now; a bad one is a usage error.
func impactWindow(since string, limit int, now string) (server.ImpactWindow, error) {
	d, err := server.ParseSince(since)
	if err != nil {
		return server.ImpactWindow{}, fmt.Errorf("--since: %w", err)
	}
	if d > server.MaxImpactSince {
		return server.ImpactWindow{}, fmt.Errorf("--since is at most 90d, not %s", since)
	}
	if limit < 1 || limit > server.MaxImpactLimit {
		return server.ImpactWindow{}, fmt.Errorf("--limit must be from 1 to %d", server.MaxImpactLimit)
	}
	until, err := parseNow(now)
	return server.ImpactWindow{Since: d, Limit: limit, Until: until}, err
}

// loadOrReport loads rules, or prints every problem as file:line:col:
// message.
func loadOrReport(stderr io.Writer, path string) (*engine.Ruleset, bool) {
	l, errs := load([]string{path})
	if len(errs) > 0 {
		printCheck(stderr, l, errs)
		return nil, false
	}
	return l.Ruleset, true
}

// rulesInForce is the ruleset to compare with: the files of --current, or
// the ruleset the service recorded last. nil with a nil error means the
// problems are printed.
func rulesInForce(cmd *cobra.Command, log *server.EventLog, current string) (*engine.Ruleset, error) {
	if current != "" {
		rs, ok := loadOrReport(cmd.ErrOrStderr(), current)
		if !ok {
			return nil, failure{errReported}
		}
		return rs, nil
	}
	rec, err := log.LatestRuleset(cmd.Context())
	if err != nil {
		return nil, failure{err}
	}
	files := make(map[string][]byte, len(rec.Files))
	for name, text := range rec.Files {
		files[name] = []byte(text)
	}
	l, errs := engine.LoadFiles(files, compileOptions()...)
	if len(errs) > 0 {
		return nil, failure{fmt.Errorf("the ruleset the service loaded last (%s, %s) does not compile with this organizer: %v; compare with --current PATH",
			rec.Digest, rec.LoadedAt.Format("2006-01-02T15:04:05Z"), errs[0])}
	}
	return l.Ruleset, nil
}

// printImpact writes the report for a person: the counts, each field's
// changes, the rules whose matches change, and the examples.
func printImpact(w io.Writer, r *server.ImpactReport) {
	fmt.Fprintf(w, "%d events from %s to %s", r.Events, r.From.Format("2006-01-02T15:04:05Z"), r.Until.Format("2006-01-02T15:04:05Z"))
	if r.Limited {
		fmt.Fprint(w, " (the newest only: the window holds more than --limit)")
	}
	fmt.Fprintf(w, "\nrules in force %s, proposed %s\n", shortDigest(r.Current), shortDigest(r.Proposed))
	fmt.Fprintf(w, "%d of %d events would change\n", r.Changed, r.Events)
	if r.Unreadable > 0 {
		fmt.Fprintf(w, "%d logged events could not be read back and were left out\n", r.Unreadable)
	}
	if r.Errors.Before+r.Errors.After > 0 {
		fmt.Fprintf(w, "events with a rule that could not be evaluated: %d before, %d after\n", r.Errors.Before, r.Errors.After)
	}
	for _, field := range sortedKeys(r.Fields) {
		fmt.Fprintf(w, "\n%s\n", field)
		counts := r.Fields[field]
		keys := sortedKeys(counts)
		sort.SliceStable(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
		for _, k := range keys {
			fmt.Fprintf(w, "  %6d  %s\n", counts[k], k)
		}
	}
	printRuleCounts(w, r.Rules)
	if len(r.Examples) > 0 {
		fmt.Fprintln(w, "\nexamples")
	}
	for _, ex := range r.Examples {
		fmt.Fprintf(w, "  %s  %s  %q\n", ex.EventID, ex.ContentID, ex.Title)
		for _, c := range ex.Changes {
			fmt.Fprintf(w, "    %s: %s → %s\n", c.Field, shown(c.Before), shown(c.After))
		}
	}
}

// printRuleCounts lists the rules whose match count changes.
func printRuleCounts(w io.Writer, rules map[string]server.BeforeAfter) {
	var changed []string
	for _, name := range sortedKeys(rules) {
		if c := rules[name]; c.Before != c.After {
			changed = append(changed, name)
		}
	}
	if len(changed) == 0 {
		return
	}
	fmt.Fprintln(w, "\nrules whose matches change")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  rule\tbefore\tafter\t")
	for _, name := range changed {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t\n", name, rules[name].Before, rules[name].After)
	}
	_ = tw.Flush()
}

func shown(v any) string {
	switch v := v.(type) {
	case nil:
		return "(none)"
	case string:
		if v == "" {
			return "(none)"
		}
		return v
	case []string:
		return "[" + strings.Join(v, ", ") + "]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
