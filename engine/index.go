package engine

import (
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"

	"github.com/expr-lang/expr/ast"
)

// The index narrows an event's rules to those that can match it. Each rule
// is keyed on the first conjunct of its condition (the left-most operand of
// a chain of &&): because && stops at its first false operand, a rule whose
// first conjunct is false would evaluate to false without running anything
// else, so leaving it out changes no result and hides no error. Rules whose
// first conjunct has no usable key run for every event of their type.

// keywordIndexMin is how many keyword rules of one source make scanning the
// source once cheaper than testing each rule.
const keywordIndexMin = 16

type keyKind int

const (
	keyEqual   keyKind = iota + 1 // source == "value" or source in [values]
	keyKeyword                    // source contains one of the values
	keyNumber                     // source <op> threshold
	keyRegexp                     // source matches "pattern"
)

type indexKey struct {
	exact        bool // a hit is the whole condition: the rule matches without running it
	kind         keyKind
	source       string // the indexed expression, e.g. metadata.department
	getAny       anyFn
	getString    strFn
	values       []string
	op           string
	threshold    float64
	exactOp      bool           // the key's test is the operator itself, not a prefilter for it
	re           *regexp.Regexp // keyRegexp: the pattern
	memo         memoKey        // keyRegexp: where an event's answer is kept for the rules that run it
	literal      string         // keyRegexp: text every match contains ("" if none)
	inLowerTitle bool           // keyRegexp: look for literal in the lower-cased title
	viaIn        bool           // from `in`, whose answer for a value that is not a string only expr knows
}

// keyOf returns the index key of a condition, or nil.
func keyOf(n ast.Node) *indexKey {
	k := firstKey(n)
	if k != nil {
		b, isBinary := n.(*ast.BinaryNode)
		conjunction := isBinary && normalOp(b.Operator) == "&&"
		k.exact = k.exactOp && !conjunction
	}
	return k
}

func firstKey(n ast.Node) *indexKey {
	for {
		b, ok := n.(*ast.BinaryNode)
		if !ok || normalOp(b.Operator) != "&&" {
			break
		}
		n = b.Left
	}
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "==":
			return exactly(equalKey(n.Left, n.Right))
		case "in":
			if get, src := shallowPath(n.Left); get != nil {
				if values, ok := constStrings(n.Right); ok {
					return &indexKey{kind: keyEqual, source: src, getAny: get, values: values, exactOp: true, viaIn: true}
				}
			}
		case "contains", "startsWith", "endsWith":
			if s, ok := n.Right.(*ast.StringNode); ok {
				k := keywordKey(n.Left, []string{s.Value})
				if n.Operator == "contains" {
					return exactly(k)
				}
				return k
			}
		case "matches":
			return regexpKey(n)
		case "<", ">", "<=", ">=":
			return exactly(numberKey(n))
		}
	case *ast.CallNode:
		if callee(n) == "containsAny" && len(n.Arguments) == 2 {
			if words, ok := constStrings(n.Arguments[1]); ok {
				return exactly(keywordKey(n.Arguments[0], words))
			}
		}
	}
	return nil
}

// shallowPath returns a getter for a read that cannot fail: a string field of
// event or content, title, or one level into metadata or data.
func shallowPath(n ast.Node) (anyFn, string) {
	if s := fastStringExact(n); s != nil && isPathNode(n) {
		return func(st *state) (any, bool) { v, _ := s(st); return v, true }, n.String()
	}
	m, ok := n.(*ast.MemberNode)
	if !ok || m.Optional {
		return nil, ""
	}
	if _, ok := m.Property.(*ast.StringNode); !ok {
		return nil, ""
	}
	switch root := m.Node.(type) {
	case *ast.IdentifierNode:
		if root.Value != "metadata" && root.Value != "data" {
			return nil, ""
		}
	case *ast.MemberNode:
		if root.String() != "content.metadata" {
			return nil, ""
		}
	default:
		return nil, ""
	}
	return fastAny(n), strings.Replace(n.String(), "content.metadata", "metadata", 1)
}

func isPathNode(n ast.Node) bool {
	switch n.(type) {
	case *ast.IdentifierNode, *ast.MemberNode:
		return true
	}
	return false
}

func equalKey(a, b ast.Node) *indexKey {
	if _, ok := a.(*ast.StringNode); ok {
		a, b = b, a
	}
	s, ok := b.(*ast.StringNode)
	if !ok {
		return nil
	}
	get, src := shallowPath(a)
	if get == nil {
		return nil
	}
	return &indexKey{kind: keyEqual, source: src, getAny: get, values: []string{s.Value}}
}

func keywordKey(n ast.Node, words []string) *indexKey {
	get := fastStringExact(n)
	if get == nil || len(words) == 0 || slices.Contains(words, "") {
		return nil
	}
	return &indexKey{kind: keyKeyword, source: n.String(), getString: get, values: words}
}

// regexpKey keys `source matches "re"` on the pattern itself: rules that
// share a pattern on a source are run as one group, once per event, and a
// literal every match must contain skips the pattern when it is absent.
func regexpKey(n *ast.BinaryNode) *indexKey {
	get, re := fastStringExact(n.Left), constRegexp(n)
	if get == nil || re == nil {
		return nil
	}
	memo := memoKey{pattern: re.String(), source: n.Left.String()}
	k := &indexKey{kind: keyRegexp, source: memo.source + " matches " + memo.pattern, getString: get, re: re, memo: memo, exactOp: true}
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return k
	}
	lit, fold := requiredLiteral(parsed.Simplify())
	switch {
	case len(lit) < 3:
	case !fold:
		k.literal = lit
	case foldsToASCII(lit) && (isTitle(n.Left) || isLowerTitle(n.Left)):
		k.literal, k.inLowerTitle = strings.ToLower(lit), true
	}
	return k
}

// foldsToASCII reports whether a case-insensitive literal can be looked up
// in the lower-cased title: no letter of it may fold to a non-ASCII letter
// (k folds to the Kelvin sign and s to the long s, which lower-casing does
// not bring back).
func foldsToASCII(lit string) bool {
	for _, r := range lit {
		if r >= unicode.MaxASCII || r == 'k' || r == 'K' || r == 's' || r == 'S' {
			return false
		}
	}
	return true
}

func isLowerTitle(n ast.Node) bool {
	c, ok := n.(*ast.CallNode)
	return ok && callee(c) == "lower" && len(c.Arguments) == 1 && isTitle(c.Arguments[0])
}

// requiredLiteral returns the longest literal that every match of re
// contains, and whether it is matched case-insensitively.
func requiredLiteral(re *syntax.Regexp) (string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune), re.Flags&syntax.FoldCase != 0
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best, bestFold := "", false
		for _, sub := range re.Sub {
			if lit, fold := requiredLiteral(sub); len(lit) > len(best) {
				best, bestFold = lit, fold
			}
		}
		return best, bestFold
	}
	return "", false
}

func numberKey(n *ast.BinaryNode) *indexKey {
	op, left, c, ok := constOnRight(n)
	if !ok {
		return nil
	}
	t, ok := number(c)
	get, src := shallowPath(left)
	if !ok || get == nil || math.IsNaN(t) { // every comparison with NaN is false: nothing to sort by
		return nil
	}
	return &indexKey{kind: keyNumber, source: src, getAny: get, op: op, threshold: t}
}

func exactly(k *indexKey) *indexKey {
	if k != nil {
		k.exactOp = true
	}
	return k
}
