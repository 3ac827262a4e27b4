package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// The window of an impact preview.
const (
	DefaultImpactSince = 24 * time.Hour
	MaxImpactSince     = 90 * 24 * time.Hour
	DefaultImpactLimit = 10_000
	MaxImpactLimit     = 100_000
	maxImpactExamples  = 10
)

// ImpactWindow selects the logged events an impact preview re-decides:
// those received in the Since before Until, newest first, at most Limit.
type ImpactWindow struct {
	Since time.Duration // 0: DefaultImpactSince
	Limit int           // 0: DefaultImpactLimit
	Until time.Time     // zero: now
}

// resolve fills in the defaults and checks the bounds.
func (w ImpactWindow) resolve() (ImpactWindow, error) {
	if w.Since == 0 {
		w.Since = DefaultImpactSince
	}
	if w.Limit == 0 {
		w.Limit = DefaultImpactLimit
	}
	if w.Until.IsZero() {
		w.Until = time.Now()
	}
	w.Until = w.Until.UTC()
	switch {
	case w.Since < 0 || w.Since > MaxImpactSince:
		return w, fmt.Errorf("since must be from 1s to %s (90d), not %s", MaxImpactSince, w.Since)
	case w.Limit < 0 || w.Limit > MaxImpactLimit:
		return w, fmt.Errorf("limit must be from 1 to %d, not %d", MaxImpactLimit, w.Limit)
	}
	return w, nil
}

// ParseSince reads an impact window's length: a Go duration ("36h",
// "90m") or a number of days ("7d").
func ParseSince(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("since %q: a number of days is like 7d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("since %q: give a duration like 24h, 90m or 7d", s)
	}
	return d, nil
}

// ImpactReport is what a proposed ruleset would change, against the
// ruleset in force, over the logged events of a window.
type ImpactReport struct {
	From     time.Time `json:"from"`
	Until    time.Time `json:"until"`
	Current  string    `json:"current"`  // digest of the rules in force
	Proposed string    `json:"proposed"` // digest of the proposed rules
	Events   int       `json:"events"`   // events re-decided
	Limited  bool      `json:"limited"`  // the window holds more events than the limit; the oldest were left out
	Changed  int       `json:"changed"`  // events whose plan differs
	// Unreadable counts logged events that could not be read back (a
	// payload that no longer decodes); they are not in Events.
	Unreadable int `json:"unreadable"`
	// Errors counts events for which some rule could not be evaluated.
	Errors BeforeAfter `json:"errors"`
	// Fields counts, per field, the events with each change: "A → B" for a
	// single value, "+item"/"-item" for an item a list gains or loses.
	Fields map[string]map[string]int `json:"fields"`
	// Rules counts, per rule of either ruleset, the events it matches.
	Rules    map[string]BeforeAfter `json:"rules"`
	Examples []ImpactExample        `json:"examples"` // up to 10 changed events, newest first
}

// BeforeAfter is a count with the rules in force and with the proposed.
type BeforeAfter struct {
	Before int `json:"before"`
	After  int `json:"after"`
}

// ImpactExample is one event whose plan the proposed rules change.
type ImpactExample struct {
	EventID    string        `json:"event_id"`
	ContentID  string        `json:"content_id"`
	Title      string        `json:"title"`
	ReceivedAt time.Time     `json:"received_at"`
	Changes    []FieldChange `json:"changes"`
}

// newImpactReport is an empty report over w, with every rule of both
// rulesets at zero.
func newImpactReport(current, proposed *engine.Ruleset, w ImpactWindow) *ImpactReport {
	r := &ImpactReport{From: w.Until.Add(-w.Since), Until: w.Until, Current: current.Digest(), Proposed: proposed.Digest(),
		Fields: map[string]map[string]int{}, Rules: map[string]BeforeAfter{}, Examples: []ImpactExample{}}
	for _, name := range current.RuleNames() {
		r.Rules[name] = BeforeAfter{}
	}
	for _, name := range proposed.RuleNames() {
		r.Rules[name] = BeforeAfter{}
	}
	return r
}

// add re-decides one event with both rulesets, with its received time as
// now, and counts what differs.
func (r *ImpactReport) add(ctx context.Context, current, proposed *engine.Ruleset, id string, ev engine.Event) {
	before := decideAt(ctx, current, ev)
	after := decideAt(ctx, proposed, ev)
	r.Events++
	r.countRules(before, after)
	diff := planDiff(before.Plan, after.Plan)
	if len(diff) == 0 {
		return
	}
	r.Changed++
	changes := make([]FieldChange, len(diff))
	for i, d := range diff {
		changes[i] = d.FieldChange
		counts := r.Fields[d.Field]
		if counts == nil {
			counts = map[string]int{}
			r.Fields[d.Field] = counts
		}
		for _, k := range d.keys {
			counts[k]++
		}
	}
	if len(r.Examples) < maxImpactExamples {
		r.Examples = append(r.Examples, ImpactExample{EventID: id, ContentID: ev.Content.ID, Title: ev.Content.Title,
			ReceivedAt: ev.ReceivedAt, Changes: changes})
	}
}

func (r *ImpactReport) countRules(before, after engine.Decision) {
	for _, name := range before.Matched {
		c := r.Rules[name]
		c.Before++
		r.Rules[name] = c
	}
	for _, name := range after.Matched {
		c := r.Rules[name]
		c.After++
		r.Rules[name] = c
	}
	if hasError(before) {
		r.Errors.Before++
	}
	if hasError(after) {
		r.Errors.After++
	}
}

func hasError(d engine.Decision) bool {
	for _, t := range d.Trace {
		if t.Verdict == engine.Errored {
			return true
		}
	}
	return false
}

// decideAt evaluates as the service does, within the same deadline, with
// the event's received time as now: a rule about age compares as it did
// when the event arrived.
func decideAt(ctx context.Context, rs *engine.Ruleset, ev engine.Event) engine.Decision {
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	return rs.Evaluate(ctx, ev, engine.Now(ev.ReceivedAt))
}

// previewImpact re-decides the logged events of w with the rules in force
// and with the proposed ones, reading the store through q and nothing
// else: no provider is called, nothing is written.
func previewImpact(ctx context.Context, q querier, reg *adapters.Registry, current, proposed *engine.Ruleset, w ImpactWindow) (*ImpactReport, error) {
	w, err := w.resolve()
	if err != nil {
		return nil, err
	}
	report := newImpactReport(current, proposed, w)
	r, err := q.query(ctx, `SELECT id, provider, type, content_id, received_at, payload, decision FROM organizer_events
		WHERE received_at >= $1 AND received_at <= $2 AND status <> 'ignored'
		ORDER BY received_at DESC, seq DESC LIMIT $3`,
		report.From.UnixMicro(), report.Until.UnixMicro(), w.Limit+1)
	if err != nil {
		return nil, fmt.Errorf("reading the logged events: %w", err)
	}
	defer r.Close()
	seen := 0
	for r.Next() {
		if seen++; seen > w.Limit {
			report.Limited = true
			break
		}
		var e loggedEvent
		if err := r.Scan(&e.id, &e.provider, &e.typ, &e.contentID, &e.receivedAt, &e.payload, &e.decision); err != nil {
			return nil, fmt.Errorf("reading a logged event: %w", err)
		}
		ev, err := e.event(reg)
		if err != nil {
			report.Unreadable++
			continue
		}
		report.add(ctx, current, proposed, e.id, ev)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("reading the logged events: %w", err)
	}
	return report, ctx.Err()
}

// loggedEvent is a stored event as a preview reads it.
type loggedEvent struct {
	id, provider, typ, contentID string
	receivedAt                   int64
	payload                      []byte
	decision                     string
}

// event is the event as the rules saw it: the one its decision records
// (the item as enrichment read it from the platform then), or, for an
// event not decided yet, its payload decoded as the pipeline decodes it.
func (e loggedEvent) event(reg *adapters.Registry) (engine.Event, error) {
	ev := &Event{ID: e.id, Provider: e.provider, Type: e.typ, Payload: e.payload, ReceivedAt: time.UnixMicro(e.receivedAt).UTC()}
	if e.decision != "" {
		ev.Decision = json.RawMessage(e.decision)
	}
	return decidedEvent(reg, ev)
}
