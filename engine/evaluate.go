package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// EvalOption configures one evaluation.
type EvalOption func(*evalConfig)

type evalConfig struct {
	now       time.Time
	nowSet    bool
	fullTrace bool
}

// Now sets the time expressions see as `now`. Without it, `now` is the
// event's received_at: the engine never reads the clock.
func Now(t time.Time) EvalOption {
	return func(c *evalConfig) { c.now, c.nowSet = t, true }
}

// FullTrace records every rule in the trace, with the values its condition
// saw, as dry-runs and rule tests show it. Without it, the trace holds only
// the rules that errored, and only the rules that can match the event run.
func FullTrace() EvalOption {
	return func(c *evalConfig) { c.fullTrace = true }
}

// Evaluate runs the rules against an event and returns the decision. The
// context's deadline bounds the evaluation: a rule still running when it
// passes is stopped and marked as an error, as is every rule after it.
func (rs *Ruleset) Evaluate(ctx context.Context, ev Event, opts ...EvalOption) Decision {
	var cfg evalConfig
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.nowSet {
		cfg.now = ev.ReceivedAt
	}
	st := getState(ctx, &ev, cfg.now)
	defer putState(st)
	d := Decision{Event: ev, Ruleset: rs.digest, Matched: []string{}, Plan: newPlan()}
	m := merger{plan: &d.Plan, trace: cfg.fullTrace}
	b := rs.bucket(ev.Type)
	if cfg.fullTrace {
		rs.traceAll(st, b, &d, &m)
	} else {
		rs.evaluateCandidates(st, b, &d, &m)
	}
	return d
}

// evaluateCandidates runs only the rules the index says can match.
func (rs *Ruleset) evaluateCandidates(st *state, b *bucket, d *Decision, m *merger) {
	for i, id := range b.candidates(st) {
		r := rs.rules[id]
		if r.provider != "" && r.provider != st.ev.Provider {
			continue
		}
		if i%64 == 63 && st.ctx.Err() != nil {
			d.Trace = append(d.Trace, r.entry(Errored, "evaluation deadline exceeded before this rule ran"))
			continue
		}
		matched, err := r.match(st)
		if err != nil {
			d.Trace = append(d.Trace, r.errorEntry(st, err))
			continue
		}
		if !matched {
			continue
		}
		if err := r.actions.render(st, &st.contrib); err != nil {
			d.Trace = append(d.Trace, r.errorEntry(st, err))
			continue
		}
		d.Matched = append(d.Matched, r.name)
		m.add(r.name, &st.contrib)
		if r.stop {
			return
		}
	}
}

// traceAll runs every rule of the event's type and records each one.
func (rs *Ruleset) traceAll(st *state, b *bucket, d *Decision, m *merger) {
	d.Trace = make([]TraceEntry, 0, len(rs.rules))
	applies := map[int32]bool{}
	for _, id := range b.all {
		applies[id] = true
	}
	stoppedBy := ""
	for i, r := range rs.rules {
		switch {
		case !applies[int32(i)]:
			d.Trace = append(d.Trace, r.entry(Skipped, fmt.Sprintf("event type %s is not in on: [%s]", st.ev.Type, strings.Join(r.on, ", "))))
			continue
		case r.provider != "" && r.provider != st.ev.Provider:
			d.Trace = append(d.Trace, r.entry(Skipped, fmt.Sprintf("provider is %s, not %s", st.ev.Provider, r.provider)))
			continue
		case stoppedBy != "":
			d.Trace = append(d.Trace, r.entry(Skipped, fmt.Sprintf("rule %s matched and stopped evaluation", stoppedBy)))
			continue
		}
		e := r.traceOne(st, m)
		d.Trace = append(d.Trace, e)
		if e.Result == Matched {
			d.Matched = append(d.Matched, r.name)
			if r.stop {
				stoppedBy = r.name
			}
		}
	}
}

func (r *rule) traceOne(st *state, m *merger) TraceEntry {
	if st.ctx.Err() != nil {
		return r.entry(Errored, "evaluation deadline exceeded before this rule ran")
	}
	matched, err := r.match(st)
	if err != nil {
		return r.errorEntry(st, err)
	}
	e := r.entry(NotMatched, "when is false")
	if matched {
		e.Result, e.Detail = Matched, "when is true"
		if r.when == nil {
			e.Detail = "the rule has no condition"
		}
	}
	e.Values = r.values(st)
	if !matched {
		return e
	}
	if err := r.actions.render(st, &st.contrib); err != nil {
		e := r.errorEntry(st, err)
		e.Values = r.values(st)
		return e
	}
	e.Overridden = m.add(r.name, &st.contrib)
	if r.stop {
		e.Detail += "; stop: later rules are skipped"
	}
	return e
}

// match evaluates the rule's condition, on the fast path when it applies.
func (r *rule) match(st *state) (bool, error) {
	if r.when == nil {
		return true, r.setCapture(st)
	}
	if r.when.fast != nil {
		if v, ok := r.when.fast(st); ok {
			if v {
				return true, r.setCapture(st)
			}
			return false, nil
		}
	}
	out, err := st.run(r.when.program, st.environment())
	if err != nil {
		return false, err
	}
	v, _ := out.(bool)
	if v {
		return true, r.setCapture(st)
	}
	return false, nil
}

// setCapture makes the groups of the rule's `matches` available to its
// templates as match.<name> and match["<n>"].
func (r *rule) setCapture(st *state) error {
	if r.capture == nil {
		return nil
	}
	env := st.environment()
	env.Match = map[string]string{}
	s, ok := r.capture.source(st)
	if !ok {
		return nil
	}
	groups := r.capture.re.FindStringSubmatch(s)
	for i, g := range groups {
		env.Match[fmt.Sprint(i)] = g
		if name := r.capture.re.SubexpNames()[i]; name != "" {
			env.Match[name] = g
		}
	}
	return nil
}

func (r *rule) entry(res Result, detail string) TraceEntry {
	return TraceEntry{Rule: r.name, Position: r.position, Result: res, Detail: detail,
		Values: map[string]any{}, Overridden: []string{}}
}

// errorEntry records a rule that could not be evaluated. When the condition
// read a metadata or payload field that is missing, the rule simply does not
// match, and the detail says which field.
func (r *rule) errorEntry(st *state, err error) TraceEntry {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] // expr appends the expression with a caret
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || strings.Contains(msg, "deadline exceeded") {
		return r.entry(Errored, "evaluation deadline exceeded: "+msg)
	}
	for _, p := range r.paths {
		if v, ok := p.get(st); p.missing && ok && v == nil {
			e := r.entry(NotMatched, fmt.Sprintf("%s is missing (%s)", p.text, msg))
			return e
		}
	}
	return r.entry(Errored, msg)
}

// values returns what the condition's fields held.
func (r *rule) values(st *state) map[string]any {
	out := make(map[string]any, len(r.paths))
	for _, p := range r.paths {
		if v, ok := p.get(st); ok {
			out[p.text] = v
		}
	}
	return out
}

// merger folds contributions into a plan: the first rule to set a
// single-valued action wins; lists accumulate without duplicates.
type merger struct {
	plan         *Plan
	trace        bool
	folderBy     string
	visibilityBy string
	metadataBy   map[string]string
	tagBy        map[string]string
}

// add merges one rule's contribution and, when tracing, returns what it
// asked for that earlier rules had already decided otherwise.
func (m *merger) add(rule string, c *contribution) []string {
	var lost []string
	override := func(format string, args ...any) {
		if m.trace {
			lost = append(lost, fmt.Sprintf(format, args...))
		}
	}
	p := m.plan
	if c.folder != "" {
		switch {
		case m.folderBy == "":
			p.Folder, m.folderBy = c.folder, rule
		case p.Folder != c.folder:
			override("folder %q: rule %s set %q first", c.folder, m.folderBy, p.Folder)
		}
	}
	if c.visibility != "" {
		switch {
		case m.visibilityBy == "":
			p.Visibility, m.visibilityBy = c.visibility, rule
		case p.Visibility != c.visibility:
			override("visibility %q: rule %s set %q first", c.visibility, m.visibilityBy, p.Visibility)
		}
	}
	for _, t := range c.tags {
		if slices.Contains(p.RemoveTags, t) {
			override("tag %q: rule %s removes it", t, m.tagBy[t])
		} else if !slices.Contains(p.Tags, t) {
			p.Tags = append(p.Tags, t)
			m.setTagBy(t, rule)
		}
	}
	for _, t := range c.removeTags {
		if slices.Contains(p.Tags, t) {
			override("remove tag %q: rule %s adds it", t, m.tagBy[t])
		} else if !slices.Contains(p.RemoveTags, t) {
			p.RemoveTags = append(p.RemoveTags, t)
			m.setTagBy(t, rule)
		}
	}
	for _, perm := range c.permissions {
		if !slices.Contains(p.Permissions, perm) {
			p.Permissions = append(p.Permissions, perm)
		}
	}
	for _, kv := range c.metadata {
		if by, set := m.metadataBy[kv.key]; set {
			if fmt.Sprint(p.Metadata[kv.key]) != fmt.Sprint(kv.value) {
				override("metadata.%s %v: rule %s set %v first", kv.key, kv.value, by, p.Metadata[kv.key])
			}
			continue
		}
		if m.metadataBy == nil {
			m.metadataBy = map[string]string{}
		}
		m.metadataBy[kv.key] = rule
		p.Metadata[kv.key] = kv.value
	}
	for _, d := range c.derivatives {
		if !slices.ContainsFunc(p.Derivatives, d.equal) {
			p.Derivatives = append(p.Derivatives, d)
		}
	}
	for _, n := range c.notify {
		if !slices.Contains(p.Notify, n) {
			p.Notify = append(p.Notify, n)
		}
	}
	if lost == nil && m.trace {
		lost = []string{}
	}
	return lost
}

func (m *merger) setTagBy(tag, rule string) {
	if !m.trace {
		return
	}
	if m.tagBy == nil {
		m.tagBy = map[string]string{}
	}
	m.tagBy[tag] = rule
}

func (d Derivative) equal(o Derivative) bool {
	eq := func(a, b *int) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
	return d.Kind == o.Kind && d.Profile == o.Profile && d.OutputFormat == o.OutputFormat && d.Format == o.Format &&
		eq(d.StartSeconds, o.StartSeconds) && eq(d.DurationSeconds, o.DurationSeconds) && eq(d.Width, o.Width)
}
