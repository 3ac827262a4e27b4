package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/engine"
)

func contextWithTimeout(cmd *cobra.Command, d time.Duration) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, d)
}

// interrupted is a failure when SIGINT or SIGTERM ended the command's
// context: what it computed since is incomplete.
func interrupted(cmd *cobra.Command) error {
	if ctx := cmd.Context(); ctx != nil && ctx.Err() != nil {
		return failure{fmt.Errorf("interrupted by a signal; the evaluation was stopped and nothing is printed")}
	}
	return nil
}

// verdictMark is how the text trace marks each verdict.
var verdictMark = map[engine.Verdict]string{
	engine.Matched: "✓", engine.NotMatched: "✗", engine.Skipped: "-", engine.Errored: "!",
}

// printDecision writes a decision for people: the event, the plan, then one
// line per rule with why it did or did not match.
func printDecision(w io.Writer, d *engine.Decision) {
	ev := d.Event
	fmt.Fprintf(w, "event    %s %s %s (id %q)\n", ev.Provider, ev.Type, ev.Content.ID, ev.ID)
	if ev.Content.Title != "" {
		fmt.Fprintf(w, "title    %q\n", ev.Content.Title)
	}
	fmt.Fprintf(w, "ruleset  %s\n", d.Ruleset)
	fmt.Fprintf(w, "matched  %s\n", orNone(strings.Join(d.Matched, ", ")))
	for _, h := range d.Holds {
		fmt.Fprintf(w, "held by: %s (%s)\n", h.Guard, h.Message)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "plan")
	p := d.Plan
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", k, v)
		}
	}
	row("folder", p.Folder)
	row("visibility", p.Visibility)
	row("tags", strings.Join(p.Tags, ", "))
	row("remove_tags", strings.Join(p.RemoveTags, ", "))
	for _, perm := range p.Permissions {
		who := "team " + perm.Team
		if perm.User != "" {
			who = "user " + perm.User
		}
		row("permission", who+": "+perm.Permission)
	}
	keys := make([]string, 0, len(p.Metadata))
	for k := range p.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		row("metadata."+k, compact(p.Metadata[k]))
	}
	for _, der := range p.Derivatives {
		row("derivative", compact(der))
	}
	for _, n := range p.Notify {
		row("notify", n.URL+": "+n.Text)
	}
	if isEmptyPlan(p) {
		row("(nothing)", "no rule asks for an action")
	}
	tw.Flush()
	fmt.Fprintln(w, "\ntrace")
	tw = tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	for _, e := range d.Trace {
		fmt.Fprintf(tw, "  %s %s\t%s\t%s: %s\n", verdictMark[e.Verdict], e.Rule, e.Position, e.Verdict, e.Detail)
		if len(e.Values) > 0 {
			fmt.Fprintf(tw, "  \t\tsaw %s\n", compact(e.Values))
		}
		for _, o := range e.Overridden {
			fmt.Fprintf(tw, "  \t\toverridden: %s\n", o)
		}
	}
	tw.Flush()
}

func isEmptyPlan(p engine.Plan) bool {
	return p.Folder == "" && p.Visibility == "" && len(p.Tags) == 0 && len(p.RemoveTags) == 0 &&
		len(p.Permissions) == 0 && len(p.Metadata) == 0 && len(p.Derivatives) == 0 && len(p.Notify) == 0
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
