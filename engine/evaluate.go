package engine

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"regexp"
	"strings"
	"time"

	"github.com/organizer-dev/organizer/engine/internal/fastpath"
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
	st := getState(ctx)
	defer putState(st)
	cfg := &st.cfg
	for _, o := range opts {
		o(cfg)
	}
	if !cfg.nowSet {
		cfg.now = ev.ReceivedAt
	}
	st.setEvent(ev, cfg.now)
	// The decision and the merger live on this stack, not in the pooled
	// state: filling and returning a Decision in the heap costs a write
	// barrier per pointer field while the collector runs.
	d := Decision{Event: ev, Ruleset: rs.digest, Matched: []string{}, Plan: newPlan()}
	st.sizeBitmaps(len(rs.rules), len(rs.tags))
	var lost []string
	d.credits.names = rs.names
	m := merger{plan: &d.Plan, src: &d.Sources, credits: &d.credits, trace: cfg.fullTrace, added: st.added, removed: st.removed, lost: &lost}
	b := rs.bucket(ev.Type)
	if cfg.fullTrace {
		rs.traceAll(st, b, &d, &m)
	} else {
		rs.evaluateCandidates(st, b, &d, &m)
	}
	rs.checkGuards(st, &d)
	return d
}

// evaluateCandidates runs only the rules the index says can match, in
// order, skipping the condition of those the index hit alone proves.
func (rs *Ruleset) evaluateCandidates(st *state, b *fastpath.Bucket, d *Decision, m *merger) {
	b.Collect(&st.fast)
	if n := popcount(st.fast.Hits); n > 4 {
		d.Matched = make([]string, 0, n)
		if n > 32 { // many matches: size the tags once rather than growing them step by step
			d.Plan.Tags = make([]string, 0, min(n, len(rs.tags)+8))
			d.credits.tags = make([]int32, 0, cap(d.Plan.Tags))
		}
	}
	seen, stopped := 0, false
	for w, word := range st.fast.Hits {
		if word == 0 {
			continue
		}
		evals := st.fast.Evals[w]
		for ; word != 0 && !stopped; word &= word - 1 {
			bit := bits.TrailingZeros64(word)
			id := w<<6 | bit
			seen++
			h := &rs.hot[id]
			if h.simple && h.provider == 0 && evals&(1<<bit) == 0 && !st.expired {
				// The commonest case, inline: proven by the index, literal actions.
				d.Matched = append(d.Matched, h.name)
				m.addSimple(int32(id), h, rs)
				stopped = h.stop
				continue
			}
			stopped = rs.evaluateOne(st, id, evals&(1<<bit) != 0, seen, d, m)
		}
	}
}

// evaluateOne runs one candidate and reports whether it stopped evaluation.
func (rs *Ruleset) evaluateOne(st *state, id int, eval bool, seen int, d *Decision, m *merger) bool {
	h := &rs.hot[id]
	if h.provider != 0 && rs.providers[h.provider] != st.event.Provider ||
		h.provider == 0 && rs.rules[id].provider != "" && rs.rules[id].provider != st.event.Provider {
		return false
	}
	if st.expired || (seen%64 == 0 && st.ctx.Err() != nil) {
		st.expired = true
		d.Trace = append(d.Trace, rs.rules[id].entry(Errored, "evaluation deadline exceeded before this rule ran"))
		return false
	}
	if r := rs.rules[id]; eval {
		matched, err := r.match(st)
		if err != nil {
			d.Trace = append(d.Trace, r.errorEntry(st, err))
			return false
		}
		if !matched {
			return false
		}
	} else if r.capture != nil {
		r.setCapture(st) // proven by the index: its templates still read match
	}
	if h.shadow {
		r := rs.rules[id]
		e := r.entry(Shadow, "")
		e.Values = r.values(st)
		d.Trace = append(d.Trace, rs.shadowEntry(st, int32(id), e))
		return false
	}
	switch {
	case h.simple:
		m.addSimple(int32(id), h, rs)
	case rs.rules[id].static != nil:
		m.add(int32(id), rs.rules[id].static)
	default:
		if err := rs.render(st, rs.rules[id]); err != nil {
			d.Trace = append(d.Trace, rs.rules[id].errorEntry(st, err))
			return false
		}
		m.add(int32(id), &st.contrib)
	}
	d.Matched = append(d.Matched, h.name)
	return h.stop
}

// traceAll runs every rule of the event's type and records each one.
func (rs *Ruleset) traceAll(st *state, b *fastpath.Bucket, d *Decision, m *merger) {
	d.Trace = make([]TraceEntry, 0, len(rs.rules))
	applies := map[int32]bool{}
	for _, id := range b.Rules() {
		applies[id] = true
	}
	stoppedBy := ""
	for i, r := range rs.rules {
		switch {
		case r.disabled:
			d.Trace = append(d.Trace, r.entry(Disabled, "enabled: false; the rule is not evaluated"))
			continue
		case !applies[int32(i)]:
			d.Trace = append(d.Trace, r.entry(Skipped, "event type "+st.event.Type+r.notOn))
			continue
		case r.provider != "" && r.provider != st.event.Provider:
			d.Trace = append(d.Trace, r.entry(Skipped, fmt.Sprintf("provider is %s, not %s", st.event.Provider, r.provider)))
			continue
		case stoppedBy != "":
			d.Trace = append(d.Trace, r.entry(Skipped, fmt.Sprintf("rule %s matched and stopped evaluation", stoppedBy)))
			continue
		}
		e := rs.traceOne(st, int32(i), m)
		d.Trace = append(d.Trace, e)
		if e.Verdict == Matched {
			d.Matched = append(d.Matched, r.name)
			if r.stop {
				stoppedBy = r.name
			}
		}
	}
}

// render renders a rule's actions into st.contrib, with tag ids.
func (rs *Ruleset) render(st *state, r *rule) error {
	c := &st.contrib
	if err := r.actions.render(st, c); err != nil {
		return err
	}
	c.tagIDs, c.removeTagIDs = rs.tags.ids(c.tags, c.tagIDs), rs.tags.ids(c.removeTags, c.removeTagIDs)
	return nil
}

func popcount(words []uint64) int {
	n := 0
	for _, w := range words {
		n += bits.OnesCount64(w)
	}
	return n
}

func (rs *Ruleset) traceOne(st *state, id int32, m *merger) TraceEntry {
	r := rs.rules[id]
	if st.expired || st.ctx.Err() != nil {
		return r.entry(Errored, "evaluation deadline exceeded before this rule ran")
	}
	matched, err := r.match(st)
	if err != nil {
		return r.errorEntry(st, err)
	}
	e := r.entry(Matched, "when is true")
	if r.when == nil {
		e.Detail = "the rule has no condition"
	}
	e.Values = r.values(st)
	if !matched {
		e.Verdict, e.Detail = NotMatched, r.explainFalse(st)
		return e
	}
	if r.shadow {
		return rs.shadowEntry(st, id, e)
	}
	contrib, failed := rs.contribution(st, r)
	if failed != nil {
		return *failed
	}
	e.Overridden = m.add(id, contrib)
	if r.stop {
		e.Detail += "; stop: later rules are skipped"
	}
	return e
}

// contribution is what a matched rule asks for: its literal actions, or
// its templates rendered; or the trace entry of a rendering that failed.
func (rs *Ruleset) contribution(st *state, r *rule) (*contribution, *TraceEntry) {
	if r.static != nil {
		return r.static, nil
	}
	if err := rs.render(st, r); err != nil {
		e := r.errorEntry(st, err)
		e.Values = r.values(st)
		return nil, &e
	}
	return &st.contrib, nil
}

// shadowEntry records what a shadow rule that matched would have
// contributed, without merging it into the plan.
func (rs *Ruleset) shadowEntry(st *state, id int32, e TraceEntry) TraceEntry {
	r := rs.rules[id]
	contrib, failed := rs.contribution(st, r)
	if failed != nil {
		return *failed
	}
	p := newPlan()
	m := merger{plan: &p, src: &Sources{}, credits: &tagCredits{names: rs.names},
		added: make([]uint64, len(st.added)), removed: make([]uint64, len(st.removed)), lost: new([]string)}
	m.add(id, contrib)
	e.Verdict, e.Would = Shadow, &p
	e.Detail = "when is true; shadow mode: what the rule would contribute is in would, not in the plan"
	if r.when == nil {
		e.Detail = "the rule has no condition; shadow mode: what the rule would contribute is in would, not in the plan"
	}
	return e
}

// explainFalse says why the rule's condition is false.
func (r *rule) explainFalse(st *state) string {
	if r.explain == nil {
		return "when is false"
	}
	return r.explain.explain(st)
}

// match evaluates the rule's condition, on the fast path when it applies.
func (r *rule) match(st *state) (bool, error) {
	if r.when == nil {
		r.setCapture(st)
		return true, nil
	}
	if r.when.fast != nil {
		if v, ok := r.when.fast(&st.fast); ok {
			if v {
				r.setCapture(st)
				return true, nil
			}
			return false, nil
		}
	}
	out, err := st.run(r.when.compiled, st.environment())
	if err != nil {
		return false, err
	}
	v, _ := out.(bool)
	if v {
		r.setCapture(st)
		return true, nil
	}
	return false, nil
}

// setCapture makes the groups of the rule's `matches` available to its
// templates as match.<name> and match["<n>"].
func (r *rule) setCapture(st *state) {
	if r.capture == nil {
		return
	}
	env := st.environment()
	env.Match = map[string]string{}
	s, ok := r.capture.source(&st.fast)
	if !ok {
		return
	}
	groups := r.capture.re.FindStringSubmatch(s)
	for i, g := range groups {
		env.Match[fmt.Sprint(i)] = g
		if name := r.capture.re.SubexpNames()[i]; name != "" {
			env.Match[name] = g
		}
	}
}

func (r *rule) entry(v Verdict, detail string) TraceEntry {
	return TraceEntry{Rule: r.name, Position: r.position, Verdict: v, Detail: detail}
}

// errorEntry records a rule that could not be evaluated. When the condition
// read a metadata or payload field that is missing, the rule simply does not
// match, and the detail says which field.
func (r *rule) errorEntry(st *state, err error) TraceEntry {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] // expr appends the expression with a caret
	}
	msg = exprPosition.ReplaceAllString(msg, "") // "(1:1)", relative to the expression
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || strings.Contains(msg, "deadline exceeded") {
		return r.entry(Errored, "evaluation deadline exceeded: "+msg)
	}
	if !strings.Contains(msg, "nil") {
		return r.entry(Errored, msg) // about something else than a missing value
	}
	for _, p := range r.paths {
		if v, ok := p.get(&st.fast); p.missing && ok && v == nil {
			return r.entry(NotMatched, fmt.Sprintf("%s is missing (%s)", p.text, msg))
		}
	}
	return r.entry(Errored, msg)
}

var exprPosition = regexp.MustCompile(` \(\d+:\d+\)$`)

// values returns what the condition's fields held.
func (r *rule) values(st *state) map[string]any {
	out := make(map[string]any, len(r.paths))
	for _, p := range r.paths {
		if v, ok := p.get(&st.fast); ok && p.shown {
			out[p.text] = v
		}
	}
	return out
}

func (d Derivative) equal(o Derivative) bool {
	eq := func(a, b *int) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
	return d.Kind == o.Kind && d.Profile == o.Profile && d.OutputFormat == o.OutputFormat && d.Format == o.Format &&
		eq(d.StartSeconds, o.StartSeconds) && eq(d.DurationSeconds, o.DurationSeconds) && eq(d.Width, o.Width)
}
