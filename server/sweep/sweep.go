package sweep

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// Query is what a sweep asks a provider for, and how its items become
// events.
type Query struct {
	Provider  string
	Source    string            // the provider's query: content-usage, catalog, …
	Params    map[string]string // the query's parameters, rendered
	EventType string            // the type of the items' events: schedule.NAME, or the type a backfill names
	// EventID is the id of an item's event; nil gives "sweep:" plus the
	// content id.
	EventID func(contentID string) string
	Now     time.Time // the events' received_at, and the rules' now
}

// Decided is one item of a sweep, decided.
type Decided struct {
	Event    engine.Event
	Decision engine.Decision
	Changes  []Change // what applying the plan would change; none when the item is as planned
}

// Change is one field an applied plan would change.
type Change struct {
	Field   string `json:"field"`
	Current string `json:"current"`
	Planned string `json:"planned"`
}

// RuleError says why a rule failed on the item ("rule NAME: detail"), or
// "" when none did: such an item is counted as failed, not changed.
func (d Decided) RuleError() string {
	for _, t := range d.Decision.Trace {
		if t.Verdict == engine.Errored {
			return "rule " + t.Rule + ": " + t.Detail
		}
	}
	return ""
}

// Decide pages through every result of the query and decides each item
// with rs, calling each for every item in the order the provider lists
// them. It applies nothing; an error from each stops the sweep.
func Decide(ctx context.Context, q adapters.Querier, query Query, rs *engine.Ruleset, each func(Decided) error) error {
	id := query.EventID
	if id == nil {
		id = func(contentID string) string { return "sweep:" + contentID }
	}
	err := q.Query(ctx, query.Source, query.Params, func(page []adapters.Item) error {
		for _, it := range page {
			ev := engine.Event{ID: id(it.Content.ID), Provider: query.Provider, Type: query.EventType,
				ReceivedAt: query.Now, Content: it.Content, Data: it.Row}
			if ev.Data == nil {
				ev.Data = map[string]any{}
			}
			d := rs.Evaluate(ctx, ev, engine.Now(query.Now))
			if err := each(Decided{Event: ev, Decision: d, Changes: Changes(it.Content, d.Plan)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sweeping %s %s: %w", query.Provider, query.Source, err)
	}
	return nil
}

// Changes compares a plan with the content as the provider has it, field by
// field. Permissions and derivatives cannot be compared (the provider's
// listing does not show them), so each is a change: the client writes only
// what is missing when it applies them.
func Changes(c engine.Content, p engine.Plan) []Change {
	var out []Change
	if p.Folder != "" && p.Folder != c.Folder {
		out = append(out, Change{"folder", orNone(c.Folder), p.Folder})
	}
	if p.Visibility != "" && p.Visibility != c.Visibility {
		out = append(out, Change{"visibility", orNone(c.Visibility), p.Visibility})
	}
	tags := slices.Clone(c.Tags)
	for _, t := range p.Tags {
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	tags = slices.DeleteFunc(tags, func(t string) bool { return slices.Contains(p.RemoveTags, t) })
	if !slices.Equal(tags, c.Tags) {
		out = append(out, Change{"tags", orNone(strings.Join(c.Tags, ", ")), orNone(strings.Join(tags, ", "))})
	}
	for _, k := range slices.Sorted(maps.Keys(p.Metadata)) {
		now, had := c.Metadata[k]
		if want := p.Metadata[k]; !had || fmt.Sprint(now) != fmt.Sprint(want) {
			cur := "(none)"
			if had {
				cur = fmt.Sprint(now)
			}
			out = append(out, Change{"metadata." + k, cur, fmt.Sprint(want)})
		}
	}
	for _, perm := range p.Permissions {
		who := "team " + perm.Team
		if perm.User != "" {
			who = "user " + perm.User
		}
		out = append(out, Change{"permission", "(not listed)", who + ": " + perm.Permission})
	}
	for _, d := range p.Derivatives {
		out = append(out, Change{"derivative", "(not listed)", d.Kind})
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
