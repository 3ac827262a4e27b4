package engine

import (
	"context"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/organizer-dev/organizer/engine/internal/fastpath"
	"github.com/organizer-dev/organizer/rules"
)

// clause is one operand of a condition that is a chain of && or ||, for
// coverage: rule tests report operands never seen true, or never false.
type clause struct {
	text     string
	position string
	cond     *compiled
	fast     fastpath.BoolFn
}

// clausesOf splits a condition's top-level && or || chain into clauses.
func (c *ruleCompiler) clausesOf(s rules.Scalar, root ast.Node) []clause {
	op := ""
	if b, ok := root.(*ast.BinaryNode); ok {
		op = fastpath.NormalOp(b.Operator)
	}
	if op != "&&" && op != "||" {
		return nil
	}
	var operands []ast.Node
	var flatten func(n ast.Node)
	flatten = func(n ast.Node) {
		if b, ok := n.(*ast.BinaryNode); ok && fastpath.NormalOp(b.Operator) == op {
			flatten(b.Left)
			flatten(b.Right)
			return
		}
		operands = append(operands, n)
	}
	flatten(root)
	out := make([]clause, 0, len(operands))
	for _, n := range operands {
		cl := clause{text: n.String(), position: s.PosAt(start(n)).String(), fast: fastpath.Bool(n)}
		if cl.fast == nil {
			comp, err := c.exprs.compile(s, start(n), cl.text, true)
			if err != nil {
				continue // a clause that does not stand alone is not measured
			}
			comp.release() // only rule tests run it: compiled again then
			cl.cond = comp
		}
		out = append(out, cl)
	}
	return out
}

// start returns where a node's text begins: expr locates a binary node at
// its operator and a member access at its dot.
func start(n ast.Node) int {
	switch n := n.(type) {
	case *ast.BinaryNode:
		return start(n.Left)
	case *ast.MemberNode:
		return start(n.Node)
	case *ast.ChainNode:
		return start(n.Node)
	case *ast.CallNode:
		return start(n.Callee)
	}
	return n.Location().From
}

// eval returns the clause's value, or ok=false when it cannot be evaluated
// on its own for this event (a guard such as x != nil && lower(x) == "y").
func (cl *clause) eval(st *state) (v, ok bool) {
	if cl.fast != nil {
		if v, ok := cl.fast(&st.fast); ok {
			return v, true
		}
	}
	if cl.cond == nil {
		return false, false
	}
	out, err := st.run(cl.cond, st.environment())
	b, isBool := out.(bool)
	return b, err == nil && isBool
}

// ClauseCoverage says whether tests saw one clause of a rule true and false.
type ClauseCoverage struct {
	Clause   string `json:"clause"`
	Position string `json:"position"`
	True     bool   `json:"true"`
	False    bool   `json:"false"`
}

// clauseValues evaluates the clauses of rule i for an event: +1 true,
// -1 false, 0 not evaluable.
func (rs *Ruleset) clauseValues(ctx context.Context, ev Event, now time.Time, i int) []int8 {
	r := rs.rules[i]
	if len(r.clauses) == 0 {
		return nil
	}
	st := getState(ctx)
	defer putState(st)
	st.setEvent(ev, now)
	out := make([]int8, len(r.clauses))
	for j := range r.clauses {
		if v, ok := r.clauses[j].eval(st); ok {
			out[j] = -1
			if v {
				out[j] = 1
			}
		}
	}
	return out
}
