package fastpath

import (
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"

	"github.com/organizer-dev/organizer/engine/internal/strfuncs"
)

// The fast path: a condition or template whose shape is common (field reads,
// comparisons with constants, keyword and regular-expression tests, the
// string helpers) is also compiled into Go closures. Each closure returns
// ok=false as soon as a value is not of the type it expects, and the caller
// then runs the expr program instead, so the fast path never decides a case
// whose semantics it does not share with expr.
type (
	// BoolFn is a compiled condition: its value, or ok=false to run expr.
	BoolFn func(*State) (v, ok bool)
	// StrFn is a compiled expression whose value is a string.
	StrFn func(*State) (s string, ok bool)
	// AnyFn is a compiled expression of any type.
	AnyFn func(*State) (v any, ok bool)
)

// Bool compiles a boolean node, or returns nil.
func Bool(n ast.Node) BoolFn {
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(*State) (bool, bool) { return v, true }
	case *ast.ConstantNode:
		if v, ok := n.Value.(bool); ok {
			return func(*State) (bool, bool) { return v, true }
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			if inner := Bool(n.Node); inner != nil {
				return func(st *State) (bool, bool) { v, ok := inner(st); return !v, ok }
			}
		}
	case *ast.BinaryNode:
		if b := fastBinary(n); b != nil {
			return b
		}
	case *ast.CallNode:
		return fastCall(n)
	}
	if get := Any(n); get != nil { // a field that should hold true or false
		return func(st *State) (bool, bool) {
			v, ok := get(st)
			b, isBool := v.(bool)
			return b, ok && isBool
		}
	}
	return nil
}

func fastBinary(n *ast.BinaryNode) BoolFn {
	switch n.Operator {
	case "&&", "and":
		l, r := Bool(n.Left), Bool(n.Right)
		if l == nil || r == nil {
			return nil
		}
		return func(st *State) (bool, bool) {
			if v, ok := l(st); !ok || !v {
				return false, ok
			}
			return r(st)
		}
	case "||", "or":
		l, r := Bool(n.Left), Bool(n.Right)
		if l == nil || r == nil {
			return nil
		}
		return func(st *State) (bool, bool) {
			if v, ok := l(st); !ok || v {
				return v, ok
			}
			return r(st)
		}
	case "==", "!=":
		eq := fastEqual(n.Left, n.Right)
		if eq == nil {
			return nil
		}
		if n.Operator == "==" {
			return eq
		}
		return func(st *State) (bool, bool) { v, ok := eq(st); return !v, ok }
	case "<", ">", "<=", ">=":
		return fastCompare(n)
	case "contains", "startsWith", "endsWith":
		l, r := fastString(n.Left), fastString(n.Right)
		if l == nil || r == nil {
			return nil
		}
		op := map[string]func(string, string) bool{
			"contains": strings.Contains, "startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix,
		}[n.Operator]
		return func(st *State) (bool, bool) {
			a, ok := l(st)
			if !ok {
				return false, false
			}
			b, ok := r(st)
			return ok && op(a, b), ok
		}
	case "matches":
		re := constRegexp(n)
		l := fastString(n.Left)
		if re == nil || l == nil {
			return nil
		}
		// Rules often share a pattern; within one event its answer on the
		// same source does not change, so it runs once per event.
		key := memoKey{pattern: re.String(), source: n.Left.String()}
		return func(st *State) (bool, bool) {
			if v, seen := st.matches[key]; seen {
				return v, true
			}
			s, ok := l(st)
			if !ok {
				return false, false
			}
			v := re.MatchString(s)
			st.remember(key, v)
			return v, true
		}
	case "in":
		set, ok := constStrings(n.Right)
		l := Any(n.Left)
		if !ok || l == nil {
			return nil
		}
		members := make(map[string]struct{}, len(set))
		for _, s := range set {
			members[s] = struct{}{}
		}
		return func(st *State) (bool, bool) {
			v, ok := l(st)
			s, isString := v.(string)
			if !ok || !isString {
				return false, false
			}
			_, found := members[s]
			return found, true
		}
	}
	return nil
}

// memoKey names a regular expression applied to a source, for the
// per-event memo of `matches`.
type memoKey struct{ pattern, source string }

// fastEqual compiles a == b where one side is a constant.
func fastEqual(a, b ast.Node) BoolFn {
	if _, ok := constant(a); ok {
		a, b = b, a
	}
	c, ok := constant(b)
	if !ok {
		l, r := fastStringExact(a), fastStringExact(b)
		if l == nil || r == nil {
			return nil
		}
		return func(st *State) (bool, bool) { x, _ := l(st); y, _ := r(st); return x == y, true }
	}
	if cs, isString := c.(string); isString {
		if s := fastString(a); s != nil {
			return func(st *State) (bool, bool) { v, ok := s(st); return ok && v == cs, ok }
		}
	}
	get := Any(a)
	if get == nil {
		return nil
	}
	return func(st *State) (bool, bool) {
		v, ok := get(st)
		if !ok {
			return false, false
		}
		return equalConst(v, c)
	}
}

// equalConst is expr's == between a value and a constant, for the types the
// fast path knows; ok=false for anything else.
func equalConst(v, c any) (eq, ok bool) {
	switch c := c.(type) {
	case nil:
		return v == nil, true
	case string:
		s, isString := v.(string)
		if isString || v == nil {
			return isString && s == c, true
		}
		_, isNum := number(v)
		_, isBool := v.(bool)
		return false, isNum || isBool
	case bool:
		b, isBool := v.(bool)
		return isBool && b == c, isBool || v == nil
	}
	if cn, isNum := number(c); isNum {
		if vn, isNum := number(v); isNum {
			return vn == cn, true
		}
		_, isString := v.(string)
		return false, v == nil || isString
	}
	return false, false
}

func fastCompare(n *ast.BinaryNode) BoolFn {
	op, left, c, ok := constOnRight(n)
	if !ok {
		return nil
	}
	cn, ok := number(c)
	get := Any(left)
	if !ok || get == nil {
		return nil
	}
	cmp := compareOp(op)
	return func(st *State) (bool, bool) {
		v, ok := get(st)
		vn, isNum := number(v)
		if !ok || !isNum {
			return false, false
		}
		return cmp(vn, cn), true
	}
}

// flipped is the comparison that holds with its operands swapped.
var flipped = map[string]string{"<": ">", ">": "<", "<=": ">=", ">=": "<="}

// constOnRight returns a comparison with its constant on the right (the
// operator flipped if it was on the left); ok is false without a constant.
func constOnRight(n *ast.BinaryNode) (op string, left ast.Node, c any, ok bool) {
	op, left, right := n.Operator, n.Left, n.Right
	if _, isConst := constant(left); isConst {
		left, right, op = right, left, flipped[op]
	}
	c, ok = constant(right)
	return op, left, c, ok
}

func compareOp(op string) func(a, b float64) bool {
	switch op {
	case "<":
		return func(a, b float64) bool { return a < b }
	case ">":
		return func(a, b float64) bool { return a > b }
	case "<=":
		return func(a, b float64) bool { return a <= b }
	}
	return func(a, b float64) bool { return a >= b }
}

func fastCall(n *ast.CallNode) BoolFn {
	if callee(n) != "containsAny" || len(n.Arguments) != 2 {
		return nil
	}
	s := fastString(n.Arguments[0])
	words, ok := constStrings(n.Arguments[1])
	if s == nil || !ok {
		return nil
	}
	return func(st *State) (bool, bool) {
		v, ok := s(st)
		return ok && strfuncs.ContainsAny(v, words), ok
	}
}

// fastStringExact compiles a node that is a string by type, never bailing
// because of a value's type.
func fastStringExact(n ast.Node) StrFn {
	switch n := n.(type) {
	case *ast.StringNode:
		v := n.Value
		return func(*State) (string, bool) { return v, true }
	case *ast.IdentifierNode:
		if n.Value == "title" {
			return func(st *State) (string, bool) { return st.Event.Title, true }
		}
	case *ast.MemberNode:
		return fieldString(n)
	case *ast.CallNode:
		if len(n.Arguments) != 1 {
			return nil
		}
		if name := callee(n); name == "lower" && isTitle(n.Arguments[0]) {
			return func(st *State) (string, bool) { return st.titleLower(), true }
		} else if f, ok := stringFuncs[name]; ok {
			if arg := fastStringExact(n.Arguments[0]); arg != nil {
				return func(st *State) (string, bool) { s, ok := arg(st); return f(s), ok }
			}
		}
	}
	return nil
}

// fastString compiles a node whose value should be a string; it bails when
// the value is of another type.
func fastString(n ast.Node) StrFn {
	if s := fastStringExact(n); s != nil {
		return s
	}
	if c, ok := n.(*ast.CallNode); ok && len(c.Arguments) == 1 {
		if f, ok := stringFuncs[callee(c)]; ok {
			if arg := fastString(c.Arguments[0]); arg != nil {
				return func(st *State) (string, bool) {
					s, ok := arg(st)
					if !ok {
						return "", false
					}
					return f(s), true
				}
			}
		}
	}
	get := Any(n)
	if get == nil {
		return nil
	}
	return func(st *State) (string, bool) {
		v, ok := get(st)
		s, isString := v.(string)
		return s, ok && isString
	}
}

var stringFuncs = map[string]func(string) string{
	"lower": strfuncs.Lower, "upper": strfuncs.Upper, "titleCase": strfuncs.TitleCase, "slug": strfuncs.Slug, "trim": strings.TrimSpace,
}

// fieldString reads a string field of event or content.
func fieldString(n *ast.MemberNode) StrFn {
	id, ok := n.Node.(*ast.IdentifierNode)
	prop, ok2 := n.Property.(*ast.StringNode)
	if !ok || !ok2 || n.Optional {
		return nil
	}
	var get func(*Event) string
	switch id.Value + "." + prop.Value {
	case "event.id":
		get = func(e *Event) string { return e.ID }
	case "event.provider":
		get = func(e *Event) string { return e.Provider }
	case "event.type":
		get = func(e *Event) string { return e.Type }
	case "content.id":
		get = func(e *Event) string { return e.ContentID }
	case "content.title":
		get = func(e *Event) string { return e.Title }
	case "content.folder":
		get = func(e *Event) string { return e.Folder }
	case "content.visibility":
		get = func(e *Event) string { return e.Visibility }
	default:
		return nil
	}
	return func(st *State) (string, bool) { return get(&st.Event), true }
}

// Any compiles a node to a value: a constant, a field, or a path into
// metadata or data. Map reads of a missing key give nil, as in expr; reading
// through a value that is not a map bails.
func Any(n ast.Node) AnyFn {
	if c, ok := constant(n); ok {
		return func(*State) (any, bool) { return c, true }
	}
	switch n := n.(type) {
	case *ast.IdentifierNode:
		switch n.Value {
		case "metadata":
			return func(st *State) (any, bool) { return st.Event.Metadata, true }
		case "data":
			return func(st *State) (any, bool) { return st.Event.Data, true }
		}
	case *ast.MemberNode:
		if s := fieldString(n); s != nil {
			return func(st *State) (any, bool) { v, _ := s(st); return v, true }
		}
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "content" {
			if p, ok := n.Property.(*ast.StringNode); ok && p.Value == "metadata" {
				return Any(&ast.IdentifierNode{Value: "metadata"})
			}
		}
		parent := Any(n.Node)
		key, ok := n.Property.(*ast.StringNode)
		if parent == nil || !ok {
			return nil
		}
		k, optional := key.Value, n.Optional
		return func(st *State) (any, bool) {
			v, ok := parent(st)
			if !ok {
				return nil, false
			}
			if m, isMap := v.(map[string]any); isMap {
				return m[k], true
			}
			return nil, optional && v == nil
		}
	case *ast.ChainNode:
		return Any(n.Node)
	case *ast.BinaryNode:
		if n.Operator != "??" {
			return nil
		}
		l, r := Any(n.Left), Any(n.Right)
		if l == nil || r == nil {
			return nil
		}
		return func(st *State) (any, bool) {
			v, ok := l(st)
			if !ok || v != nil {
				return v, ok
			}
			return r(st)
		}
	}
	if s := fastStringExact(n); s != nil {
		return func(st *State) (any, bool) { v, ok := s(st); return v, ok }
	}
	return nil
}

func constant(n ast.Node) (any, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.IntegerNode:
		return n.Value, true
	case *ast.FloatNode:
		return n.Value, true
	case *ast.BoolNode:
		return n.Value, true
	case *ast.NilNode:
		return nil, true
	case *ast.ConstantNode:
		switch n.Value.(type) {
		case string, int, float64, bool, nil:
			return n.Value, true
		}
	}
	return nil, false
}

// constStrings returns the strings of a constant list node.
func constStrings(n ast.Node) ([]string, bool) {
	switch n := n.(type) {
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case map[string]struct{}:
			out := make([]string, 0, len(v))
			for k := range v {
				out = append(out, k)
			}
			slices.Sort(out)
			return out, true
		default:
			return strfuncs.Strings(v)
		}
	case *ast.ArrayNode:
		out := make([]string, 0, len(n.Nodes))
		for _, item := range n.Nodes {
			s, ok := item.(*ast.StringNode)
			if !ok {
				return nil, false
			}
			out = append(out, s.Value)
		}
		return out, true
	}
	return nil, false
}

func constRegexp(n *ast.BinaryNode) *regexp.Regexp {
	if s, ok := n.Right.(*ast.StringNode); ok {
		re, err := regexp.Compile(s.Value)
		if err == nil {
			return re
		}
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case int32:
		return float64(n), true
	case float32:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

func callee(n *ast.CallNode) string {
	if id, ok := n.Callee.(*ast.IdentifierNode); ok {
		return id.Value
	}
	return ""
}

func isTitle(n ast.Node) bool {
	if id, ok := n.(*ast.IdentifierNode); ok {
		return id.Value == "title"
	}
	if m, ok := n.(*ast.MemberNode); ok {
		id, ok1 := m.Node.(*ast.IdentifierNode)
		p, ok2 := m.Property.(*ast.StringNode)
		return ok1 && ok2 && id.Value == "content" && p.Value == "title"
	}
	return false
}

// Value compiles a template expression: a value, or a string helper's
// result.
func Value(n ast.Node) AnyFn {
	if get := Any(n); get != nil {
		return get
	}
	if s := fastString(n); s != nil {
		return func(st *State) (any, bool) { v, ok := s(st); return v, ok }
	}
	return nil
}

// Capture finds the first `x matches "constant"` of a condition, whose groups
// the rule's templates may read as match: it returns the pattern and the
// compiled source, or nil, nil.
func Capture(n ast.Node) (*regexp.Regexp, StrFn) {
	var f captureFinder
	ast.Walk(&n, &f)
	return f.re, f.source
}

// captureFinder is the ast.Visitor of Capture.
type captureFinder struct {
	re     *regexp.Regexp
	source StrFn
}

// Visit implements ast.Visitor.
func (f *captureFinder) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || b.Operator != "matches" || f.re != nil {
		return
	}
	if re := constRegexp(b); re != nil {
		if s := fastString(b.Left); s != nil {
			f.re, f.source = re, s
		}
	}
}

// NormalOp spells the operators and and or as && and ||, and returns any
// other operator as it is.
func NormalOp(op string) string {
	switch op {
	case "and":
		return "&&"
	case "or":
		return "||"
	}
	return op
}
