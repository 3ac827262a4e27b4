package engine

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/organizer-dev/organizer/engine/internal/fastpath"
	"github.com/organizer-dev/organizer/rules"
)

// explainer says why a rule's condition is false: the first clause that
// was false, with the values it saw. It is built the first time a trace
// records the rule as not matched, so loading rules and evaluating them
// without a full trace pay nothing for it.
type explainer struct {
	once  sync.Once
	src   rules.Scalar
	exprs *exprCompiler
	root  *explainNode // nil when the condition cannot be taken apart
}

// explainNode is a && or || group of a condition, or one clause of it.
type explainNode struct {
	op    string // "&&", "||", or "" for a clause
	items []*explainNode
	leaf  clause
	text  string
	paths []valuePath // the fields the node reads, as valuePaths lists them
}

// maxShownValue bounds how much of one value an explanation quotes.
const maxShownValue = 120

func newExplainer(src rules.Scalar, exprs *exprCompiler) *explainer {
	return &explainer{src: src, exprs: exprs}
}

// build takes the condition apart as written: the compiled tree has lists
// and helpers patched in, which read worse than the rule's own words.
func (e *explainer) build() {
	tree, err := parser.Parse(e.src.Value)
	if err != nil {
		return
	}
	e.root = e.node(tree.Node)
}

func (e *explainer) node(n ast.Node) *explainNode {
	out := &explainNode{text: n.String(), paths: valuePaths(n)}
	slices.SortStableFunc(out.paths, func(a, b valuePath) int { // as the clause reads them
		return strings.Index(out.text, a.text) - strings.Index(out.text, b.text)
	})
	if b, ok := n.(*ast.BinaryNode); ok {
		if op := fastpath.NormalOp(b.Operator); op == "&&" || op == "||" {
			out.op = op
			for _, item := range flattenOp(n, op) {
				out.items = append(out.items, e.node(item))
			}
			return out
		}
	}
	out.leaf = clause{text: out.text}
	comp, err := e.exprs.compile(e.src, start(n), out.text, true)
	if err != nil {
		return out // a clause that does not stand alone: its group explains it
	}
	out.leaf.fast = fastpath.Bool(comp.node())
	if out.leaf.fast != nil {
		comp.release()
	}
	out.leaf.cond = comp
	return out
}

// flattenOp lists the operands of a chain of one operator, in order.
func flattenOp(n ast.Node, op string) []ast.Node {
	if b, ok := n.(*ast.BinaryNode); ok && fastpath.NormalOp(b.Operator) == op {
		return append(flattenOp(b.Left, op), flattenOp(b.Right, op)...)
	}
	return []ast.Node{n}
}

// explain returns why the condition is false for the event st holds.
func (e *explainer) explain(st *state) string {
	e.once.Do(e.build)
	if e.root == nil {
		return "when is false"
	}
	return e.root.falseClause(st).describe(st)
}

// eval returns the node's value, or ok=false when it cannot be evaluated.
func (n *explainNode) eval(st *state) (v, ok bool) {
	switch n.op {
	case "&&", "||":
		for _, item := range n.items {
			v, ok := item.eval(st)
			if !ok {
				return false, false
			}
			if v == (n.op == "||") {
				return v, true // && stops at its first false operand, || at its first true one
			}
		}
		return n.op == "&&", true
	}
	if n.leaf.fast == nil && n.leaf.cond == nil {
		return false, false
	}
	return n.leaf.eval(st)
}

// falseClause descends from a false node to the innermost clause that made
// it false: the first false operand of a &&. A || is false as a whole.
func (n *explainNode) falseClause(st *state) *explainNode {
	if n.op != "&&" {
		return n
	}
	for _, item := range n.items {
		v, ok := item.eval(st)
		if !ok {
			return n
		}
		if !v {
			return item.falseClause(st)
		}
	}
	return n
}

// describe says the node is false, with the values it read.
func (n *explainNode) describe(st *state) string {
	var b strings.Builder
	b.WriteString(n.text)
	b.WriteString(" is false")
	if n.op == "||" {
		if len(n.items) == 2 {
			b.WriteString(": neither alternative holds")
		} else {
			b.WriteString(": none of its ")
			b.WriteString(strconv.Itoa(len(n.items)))
			b.WriteString(" alternatives holds")
		}
	}
	sep := " ("
	for _, p := range n.paths {
		v, ok := p.get(&st.fast)
		if !ok || !p.shown {
			continue
		}
		b.WriteString(sep)
		sep = ", "
		b.WriteString(p.text)
		if v == nil && p.missing {
			b.WriteString(" is missing")
			continue
		}
		b.WriteString(": ")
		b.WriteString(showValue(v))
	}
	if sep == ", " {
		b.WriteByte(')')
	}
	return b.String()
}

// showValue writes a value as the rule would write it: strings quoted,
// everything else as JSON, long values cut.
func showValue(v any) string {
	var s string
	if str, ok := v.(string); ok {
		s = strconv.Quote(str)
	} else {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "(unprintable)"
		}
		s = strings.TrimSuffix(b.String(), "\n")
	}
	if utf8.RuneCountInString(s) <= maxShownValue {
		return s
	}
	runes := []rune(s)
	return string(runes[:maxShownValue]) + "…"
}
