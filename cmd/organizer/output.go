package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
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
	engine.Disabled: "○", engine.Shadow: "~",
}

// printDecision writes a decision for people: the event, the plan with the
// rule that set each value, then one line per rule with why it did or did
// not match.
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
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	printPlan(tw, d.Plan, d.Provenance())
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
		if e.Would != nil {
			fmt.Fprintf(tw, "  \t\twould: %s\n", planSummary(*e.Would))
		}
	}
	tw.Flush()
}

// printPlan writes one row per plan value, with the rule that set it in
// parentheses; tags set by the same rule share a row.
func printPlan(tw io.Writer, p engine.Plan, src engine.Sources) {
	row := func(k, v, rule string) {
		if v == "" {
			return
		}
		if rule == "" {
			fmt.Fprintf(tw, "  %s\t%s\n", k, v)
			return
		}
		fmt.Fprintf(tw, "  %s\t%s\t(%s)\n", k, v, rule)
	}
	row("folder", p.Folder, src.Folder)
	row("visibility", p.Visibility, src.Visibility)
	tagRows(row, "tags", p.Tags, src.Tags)
	tagRows(row, "remove_tags", p.RemoveTags, src.RemoveTags)
	for _, perm := range p.Permissions {
		who := "team " + perm.Team
		if perm.User != "" {
			who = "user " + perm.User
		}
		row("permission", who+": "+perm.Permission, src.Permissions.Rule(engine.PermissionKey(perm)))
	}
	for _, k := range slices.Sorted(maps.Keys(p.Metadata)) {
		row("metadata."+k, compact(p.Metadata[k]), src.Metadata.Rule(k))
	}
	for i, der := range p.Derivatives {
		row("derivative", compact(der), at(src.Derivatives, i))
	}
	for i, n := range p.Notify {
		row("notify", n.URL+": "+n.Text, at(src.Notify, i))
	}
	if isEmptyPlan(p) {
		row("(nothing)", "no rule asks for an action", "")
	}
}

// tagRows writes a list of tags, one row per run of tags from the same rule.
func tagRows(row func(k, v, rule string), key string, tags []string, src engine.SourceMap) {
	for i := 0; i < len(tags); {
		rule := src.Rule(tags[i])
		j := i + 1
		for j < len(tags) && src.Rule(tags[j]) == rule {
			j++
		}
		row(key, strings.Join(tags[i:j], ", "), rule)
		i = j
	}
}

func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// planSummary writes the fields of a plan that are set, for a shadow rule's
// would line.
func planSummary(p engine.Plan) string {
	var parts []string
	add := func(k string, v any, set bool) {
		if set {
			parts = append(parts, k+" "+compact(v))
		}
	}
	add("folder", p.Folder, p.Folder != "")
	add("visibility", p.Visibility, p.Visibility != "")
	add("tags", p.Tags, len(p.Tags) > 0)
	add("remove_tags", p.RemoveTags, len(p.RemoveTags) > 0)
	add("permissions", p.Permissions, len(p.Permissions) > 0)
	add("metadata", p.Metadata, len(p.Metadata) > 0)
	add("derivatives", p.Derivatives, len(p.Derivatives) > 0)
	add("notify", p.Notify, len(p.Notify) > 0)
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
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
