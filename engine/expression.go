package engine

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/organizer-dev/organizer/rules"
)

// Limits on user expressions, so that a rule cannot make evaluation slow or
// large: its source and syntax tree are bounded when it compiles, and the
// memory the expr VM may use when it runs.
const (
	maxExprLen   = 4096 // bytes of source per expression, checked before parsing
	maxExprNodes = 1000 // AST nodes per expression
	memoryBudget = 100_000
)

// disabledBuiltins are expr builtins rules may not call: now reads the clock
// (rules use the `now` variable, which the caller sets).
var disabledBuiltins = []string{"now"}

// exprCompiler compiles the expressions of one rule set.
type exprCompiler struct {
	lists map[string][]string
	base  []expr.Option
}

func newExprCompiler(lists map[string][]string) *exprCompiler {
	base := []expr.Option{expr.Env(exprEnv{}), expr.MaxNodes(maxExprNodes)}
	for _, name := range disabledBuiltins {
		base = append(base, expr.DisableBuiltin(name))
	}
	base = append(base, functions()...)
	return &exprCompiler{lists: lists, base: base}
}

// compiled is one compiled expression.
type compiled struct {
	source    string
	program   atomic.Pointer[vm.Program] // nil once released; see release
	usesMatch bool

	once      sync.Once
	compiler  *exprCompiler
	condition bool
	guard     bool // a guard's condition, which may read plan
}

// node returns the compiled, checked syntax tree (before release).
func (c *compiled) node() ast.Node { return c.program.Load().Node() }

// release drops the program of an expression that also has a fast path:
// with thousands of rules the programs and their syntax trees are most of
// the heap the garbage collector scans, and the fast path rarely needs them.
// The program is compiled again, once, the first time it is needed.
func (c *compiled) release() {
	c.program.Store(nil)
}

// vmProgram returns the program, compiling it again if it was released.
func (c *compiled) vmProgram() (*vm.Program, error) {
	if p := c.program.Load(); p != nil {
		return p, nil
	}
	c.once.Do(func() {
		if p, err := c.compiler.program(c.source, c.condition, c.guard); err == nil {
			c.program.Store(p)
		}
	})
	if p := c.program.Load(); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("expression %q could not be compiled again", c.source)
}

// compile compiles the expression src, found at rune offset off of the
// scalar s. A condition must be boolean.
func (c *exprCompiler) compile(s rules.Scalar, off int, src string, condition bool) (*compiled, *rules.Error) {
	return c.compileIn(s, off, src, condition, false)
}

// compileGuard compiles a guard's condition: a rule condition that may also
// read plan, the merged plan.
func (c *exprCompiler) compileGuard(s rules.Scalar) (*compiled, *rules.Error) {
	return c.compileIn(s, 0, s.Value, true, true)
}

// compileIn compiles an expression; guard says whether it may read plan.
func (c *exprCompiler) compileIn(s rules.Scalar, off int, src string, condition, guard bool) (*compiled, *rules.Error) {
	if len(src) > maxExprLen {
		return nil, rules.Errorf(s.PosAt(off), "expression is %d bytes long; the limit is %d", len(src), maxExprLen)
	}
	opts := slices.Clip(c.base)
	if condition {
		opts = append(opts, expr.AsBool())
	}
	if err := typeCheck(src, opts); err != nil {
		return nil, c.positioned(s, off, err, condition)
	}
	p := &patcher{lists: c.lists, guard: guard}
	program, err := expr.Compile(src, append(opts, expr.Patch(p))...)
	if p.err != nil {
		return nil, rules.Errorf(s.PosAt(off+p.err.From), "%s", p.err.Message)
	}
	if err != nil {
		return nil, c.positioned(s, off, err, condition)
	}
	out := &compiled{source: src, usesMatch: p.usesMatch, compiler: c, condition: condition, guard: guard}
	out.program.Store(program)
	return out, nil
}

// program compiles an expression that is known to be valid, again.
func (c *exprCompiler) program(src string, condition, guard bool) (*vm.Program, error) {
	opts := append(slices.Clip(c.base), expr.Patch(&patcher{lists: c.lists, guard: guard}))
	if condition {
		opts = append(opts, expr.AsBool())
	}
	return expr.Compile(src, opts...)
}

// typeCheck parses and type-checks src without the patcher. expr (1.17.8)
// stops reporting unknown names inside call arguments once any Patch visitor
// is configured, so the check that finds them runs first, on its own.
func typeCheck(src string, opts []expr.Option) error {
	cfg := conf.CreateNew()
	for _, o := range opts {
		o(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return err
	}
	_, err = checker.Check(tree, cfg)
	return err
}

// positioned maps an expr error to the rule file.
func (c *exprCompiler) positioned(s rules.Scalar, off int, err error, condition bool) *rules.Error {
	hint := ""
	if s.MaybeCut() {
		hint = `; note that " #" starts a YAML comment, which ended the expression early: quote it`
	}
	var fe *file.Error
	if errors.As(err, &fe) {
		return rules.Errorf(s.PosAt(off+fe.From), "%s%s", friendly(fe.Message, condition), hint)
	}
	return rules.Errorf(s.PosAt(off), "%s%s", friendly(err.Error(), condition), hint)
}

var (
	unknownName  = regexp.MustCompile(`^unknown name (\w+)`)
	noField      = regexp.MustCompile(`^type engine\.(event|content|plan|permission)Vars has no field (\w+)`)
	fieldsByType = map[string][]string{
		"event":      {"id", "provider", "type", "received_at"},
		"content":    {"id", "title", "metadata", "folder", "tags", "visibility"},
		"plan":       {"folder", "visibility", "tags", "remove_tags", "permissions", "metadata"},
		"permission": {"team", "user", "permission"},
	}
)

// friendly rewrites expr's messages into the rule language's words.
func friendly(msg string, condition bool) string {
	if m := unknownName.FindStringSubmatch(msg); m != nil {
		candidates := append(append(slices.Clone(envNames), "plan"), functionNames...)
		if best := rules.Suggest(m[1], candidates); best != "" {
			return fmt.Sprintf("unknown name %s; did you mean %s?", m[1], best)
		}
		return fmt.Sprintf("unknown name %s (known: %s)", m[1], strings.Join(envNames, ", "))
	}
	if m := noField.FindStringSubmatch(msg); m != nil {
		what, fields := m[1], fieldsByType[m[1]]
		if best := rules.Suggest(m[2], fields); best != "" {
			return fmt.Sprintf("%s has no field %s; did you mean %s?", what, m[2], best)
		}
		return fmt.Sprintf("%s has no field %s (fields: %s)", what, m[2], strings.Join(fields, ", "))
	}
	if msg == "time.Time is not callable" {
		return "now is the evaluation time, not a function: write now, not now()"
	}
	if condition && strings.HasPrefix(msg, "expected bool, but got") {
		return "when must be true or false, but this " + strings.TrimPrefix(msg, "expected bool, but got ") + " is neither" +
			" (compare it, e.g. x != \"\")"
	}
	msg = strings.ReplaceAll(msg, "engine.contentVars", "content")
	msg = strings.ReplaceAll(msg, "engine.eventVars", "event")
	msg = strings.ReplaceAll(msg, "engine.planVars", "plan")
	msg = strings.ReplaceAll(msg, "engine.permissionVars", "permission")
	return msg
}

// patcher rewrites a parsed expression before it is type-checked: lists.<name>
// becomes the list's values, daysSince(x) and daysAgo(n) get the evaluation's `now`, every
// loop body first checks the evaluation deadline, and reserved names are
// refused.
type patcher struct {
	lists     map[string][]string
	err       *file.Error
	usesMatch bool
	guard     bool // compiling a guard: plan may be read
}

func (p *patcher) fail(n ast.Node, format string, args ...any) {
	if p.err == nil {
		p.err = &file.Error{Location: n.Location(), Message: fmt.Sprintf(format, args...)}
	}
}

// Visit implements ast.Visitor.
func (p *patcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch {
		case n.Value == "ctx" || strings.HasPrefix(n.Value, "__"):
			p.fail(n, "unknown name %s", n.Value)
		case n.Value == "match":
			p.usesMatch = true
		case n.Value == "plan" && !p.guard:
			p.fail(n, "plan is the merged plan, which only guards can read: rules run before it exists")
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok || id.Value != "lists" {
			return
		}
		name, ok := n.Property.(*ast.StringNode)
		if !ok {
			p.fail(n, "lists must be used as lists.<name>")
			return
		}
		values, ok := p.lists[name.Value]
		if !ok {
			p.fail(n.Property, "unknown list %q%s", name.Value, listHint(name.Value, p.lists))
			return
		}
		ast.Patch(node, &ast.ConstantNode{Value: values})
	case *ast.BinaryNode:
		// String concatenation is charged to the render budget: a chain of
		// let-bound doublings would otherwise build strings without bound.
		if n.Operator == "+" && isString(n.Left) && isString(n.Right) {
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__concat"},
				Arguments: []ast.Node{n.Left, n.Right, &ast.IdentifierNode{Value: "__budget"}}})
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && budgeted[id.Value] >= len(n.Arguments) && len(n.Arguments) > 0 {
			args := append(slices.Clip(n.Arguments), &ast.IdentifierNode{Value: "__budget"})
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: id.Value}, Arguments: args})
			return
		}
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && (id.Value == "daysSince" || id.Value == "daysAgo") && len(n.Arguments) == 1 {
			// A fresh node: the checker has annotated the old one for one argument.
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: id.Value},
				Arguments: []ast.Node{n.Arguments[0], &ast.IdentifierNode{Value: "now"}}})
		}
	case *ast.PredicateNode:
		tick := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__tick"}, Arguments: []ast.Node{&ast.IdentifierNode{Value: "ctx"}}}
		n.Node = &ast.SequenceNode{Nodes: []ast.Node{tick, n.Node}}
	}
}

func isString(n ast.Node) bool {
	t := n.Type()
	return t != nil && t.Kind() == reflect.String
}

func listHint(name string, lists map[string][]string) string {
	names := make([]string, 0, len(lists))
	for n := range lists {
		names = append(names, n)
	}
	slices.Sort(names)
	if best := rules.Suggest(name, names); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	if len(names) == 0 {
		return "; this rule set defines no lists"
	}
	return fmt.Sprintf(" (lists: %s)", strings.Join(names, ", "))
}
