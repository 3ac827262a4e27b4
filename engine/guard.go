package engine

import (
	"fmt"
	"strings"

	"github.com/organizer-dev/organizer/rules"
)

// Hold is one guard that put a decision on hold: its name, its message and
// where it is written. A guard whose condition could not be evaluated holds
// too (it fails closed), and its message then says why.
type Hold struct {
	Guard    string `json:"guard"`
	Message  string `json:"message"`
	Position string `json:"position"`
}

// guard is one compiled guard.
type guard struct {
	name     string
	position string
	message  string
	when     *compiled
}

// compileGuards compiles every guard of the set, in file order.
func (c *ruleCompiler) compileGuards(set *rules.Set) []*guard {
	var out []*guard
	for _, src := range set.Guards() {
		if src.When == nil {
			continue // reported when the file was parsed
		}
		pos := src.Pos
		if src.Name.Pos.Line > 0 {
			pos = src.Name.Pos
		}
		cond, err := c.exprs.compileGuard(*src.When)
		if err != nil {
			c.errs = append(c.errs, err)
			continue
		}
		if cond.usesMatch {
			c.errs.Add(src.When.Pos, "match is for templates; a guard cannot read it")
			continue
		}
		msg := src.Message
		if msg == "" {
			msg = "held by guard " + src.Name.Value
		}
		out = append(out, &guard{name: src.Name.Value, position: pos.String(), message: msg, when: cond})
	}
	return out
}

// GuardNames returns the guard names in evaluation order.
func (rs *Ruleset) GuardNames() []string {
	out := make([]string, len(rs.guards))
	for i, g := range rs.guards {
		out[i] = g.name
	}
	return out
}

// checkGuards evaluates every guard against the merged plan and records
// those that hold. Guards read the plan; they never change it. A guard that
// errors, or that the deadline stops, holds the decision.
func (rs *Ruleset) checkGuards(st *state, d *Decision) {
	if len(rs.guards) == 0 {
		return
	}
	env := st.environment()
	env.Plan = newPlanVars(&d.Plan)
	env.Match = nil
	for _, g := range rs.guards {
		held, err := rs.guardHolds(st, g)
		switch {
		case err != nil:
			d.hold(g, fmt.Sprintf("%s (the guard could not be evaluated, so the decision is held: %s)", g.message, exprMessage(err)))
		case held:
			d.hold(g, g.message)
		}
	}
}

// guardHolds evaluates one guard.
func (rs *Ruleset) guardHolds(st *state, g *guard) (bool, error) {
	if st.expired || st.ctx.Err() != nil {
		st.expired = true
		return false, fmt.Errorf("evaluation deadline exceeded before this guard ran")
	}
	out, err := st.run(g.when, st.environment())
	if err != nil {
		return false, err
	}
	v, _ := out.(bool)
	return v, nil
}

func (d *Decision) hold(g *guard, msg string) {
	d.HeldBy = append(d.HeldBy, g.name)
	d.Holds = append(d.Holds, Hold{Guard: g.name, Message: msg, Position: g.position})
}

// exprMessage is the first line of an expr error, without its position
// within the expression.
func exprMessage(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return exprPosition.ReplaceAllString(msg, "")
}
