package fastpath

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

// Key is what the index knows of a rule's condition: the test of its first
// conjunct, on what source, and whether a hit proves the whole condition.
type Key struct {
	// proves is set when a hit of the key is the whole condition's answer:
	// the key decides its test (see firstKey) and that test is the whole
	// condition, not the first operand of an &&. The rule then matches on a
	// hit without its condition running.
	proves       bool
	kind         keyKind
	source       string // the indexed expression, e.g. metadata.department
	getAny       AnyFn
	getString    StrFn
	values       []string
	op           string
	threshold    float64
	re           *regexp.Regexp // keyRegexp: the pattern
	memo         memoKey        // keyRegexp: where an event's answer is kept for the rules that run it
	literal      string         // keyRegexp: text every match contains ("" if none)
	inLowerTitle bool           // keyRegexp: look for literal in the lower-cased title
	viaIn        bool           // from `in`, whose answer for a value that is not a string only expr knows
}

// KeyOf returns the index key of a condition, or nil when its first
// conjunct has no usable key (the rule then runs for every event of its
// types).
func KeyOf(n ast.Node) *Key {
	k, decides := firstKey(n)
	if k != nil {
		b, isBinary := n.(*ast.BinaryNode)
		conjunction := isBinary && NormalOp(b.Operator) == "&&"
		k.proves = decides && !conjunction
	}
	return k
}

// firstKey returns the key of a condition's first conjunct, and whether the
// key decides that conjunct: a hit means it is true, where for a prefilter
// (startsWith and endsWith, keyed on containment) a hit means only that it
// may be.
func firstKey(n ast.Node) (k *Key, decides bool) {
	for {
		b, ok := n.(*ast.BinaryNode)
		if !ok || NormalOp(b.Operator) != "&&" {
			break
		}
		n = b.Left
	}
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "==":
			return equalKey(n.Left, n.Right), true
		case "in":
			if get, src := shallowPath(n.Left); get != nil {
				if values, ok := constStrings(n.Right); ok {
					return &Key{kind: keyEqual, source: src, getAny: get, values: values, viaIn: true}, true
				}
			}
		case "contains", "startsWith", "endsWith":
			if s, ok := n.Right.(*ast.StringNode); ok {
				return keywordKey(n.Left, []string{s.Value}), n.Operator == "contains"
			}
		case "matches":
			return regexpKey(n), true
		case "<", ">", "<=", ">=":
			return numberKey(n), true
		}
	case *ast.CallNode:
		if callee(n) == "containsAny" && len(n.Arguments) == 2 {
			if words, ok := constStrings(n.Arguments[1]); ok {
				return keywordKey(n.Arguments[0], words), true
			}
		}
	}
	return nil, false
}

// shallowPath returns a getter for a read that cannot fail: a string field of
// event or content, title, or one level into metadata or data.
func shallowPath(n ast.Node) (AnyFn, string) {
	if s := fastStringExact(n); s != nil && isPathNode(n) {
		return func(st *State) (any, bool) { v, _ := s(st); return v, true }, n.String()
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
	return Any(n), strings.Replace(n.String(), "content.metadata", "metadata", 1)
}

func isPathNode(n ast.Node) bool {
	switch n.(type) {
	case *ast.IdentifierNode, *ast.MemberNode:
		return true
	}
	return false
}

func equalKey(a, b ast.Node) *Key {
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
	return &Key{kind: keyEqual, source: src, getAny: get, values: []string{s.Value}}
}

func keywordKey(n ast.Node, words []string) *Key {
	get := fastStringExact(n)
	if get == nil || len(words) == 0 || slices.Contains(words, "") {
		return nil
	}
	return &Key{kind: keyKeyword, source: n.String(), getString: get, values: words}
}

// regexpKey keys `source matches "re"` on the pattern itself: rules that
// share a pattern on a source are run as one group, once per event, and a
// literal every match must contain skips the pattern when it is absent.
func regexpKey(n *ast.BinaryNode) *Key {
	get, re := fastStringExact(n.Left), constRegexp(n)
	if get == nil || re == nil {
		return nil
	}
	memo := memoKey{pattern: re.String(), source: n.Left.String()}
	k := &Key{kind: keyRegexp, source: memo.source + " matches " + memo.pattern, getString: get, re: re, memo: memo}
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

func numberKey(n *ast.BinaryNode) *Key {
	op, left, c, ok := constOnRight(n)
	if !ok {
		return nil
	}
	t, ok := number(c)
	get, src := shallowPath(left)
	if !ok || get == nil || math.IsNaN(t) { // every comparison with NaN is false: nothing to sort by
		return nil
	}
	return &Key{kind: keyNumber, source: src, getAny: get, op: op, threshold: t}
}
