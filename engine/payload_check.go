package engine

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/organizer-dev/organizer/rules"
)

// PayloadFields declares the top-level data fields of a provider's
// documented payload, per event type. With it, Load warns (Loaded.Warnings)
// about a rule that reads a data field none of its event types' payloads
// has: most likely a misspelling, which would otherwise only show as a rule
// that never matches.
func PayloadFields(provider string, fields map[string][]string) Option {
	return func(c *config) {
		if c.payloads == nil {
			c.payloads = map[string]map[string][]string{}
		}
		c.payloads[provider] = fields
	}
}

// payloadWarnings returns a warning for each data.<field> a rule reads, in
// its when or its templates, that the documented payload of no event type
// the rule is on has. Rules on an event type without a documented payload
// (schedule.*, an unknown type, or no on: at all) are not checked.
func payloadWarnings(set *rules.Set, cfg *config) rules.ErrorList {
	if len(cfg.payloads) == 0 {
		return nil
	}
	var warns rules.ErrorList
	for _, r := range set.Rules() {
		fields, types, ok := cfg.documentedFields(r)
		if !ok {
			continue
		}
		for _, read := range dataReads(r) {
			if slices.Contains(fields, read.field) {
				continue
			}
			msg := fmt.Sprintf("data.%s is not in the documented payload of %s", read.field, strings.Join(types, ", "))
			if best := rules.SuggestScaled(read.field, fields); best != "" {
				msg += fmt.Sprintf("; did you mean data.%s?", best)
			} else {
				msg += fmt.Sprintf(" (fields: %s)", strings.Join(fields, ", "))
			}
			warns.Add(read.pos, "%s", msg)
		}
	}
	warns.Sort()
	return warns
}

// documentedFields returns the data fields the payloads of a rule's event
// types have, and those types, or false when some type the rule is on has
// no documented payload.
func (c *config) documentedFields(r *rules.Rule) ([]string, []string, bool) {
	if len(r.On) == 0 {
		return nil, nil, false
	}
	var fields, types []string
	for _, on := range r.On {
		matched := false
		for provider, byType := range c.payloads {
			if r.Provider != nil && r.Provider.Value != provider {
				continue
			}
			for typ, fs := range byType {
				if ok, _ := path.Match(on.Value, typ); !ok {
					continue
				}
				matched = true
				if !slices.Contains(types, typ) {
					types = append(types, typ)
				}
				for _, f := range fs {
					if !slices.Contains(fields, f) {
						fields = append(fields, f)
					}
				}
			}
		}
		if !matched {
			return nil, nil, false
		}
	}
	slices.Sort(fields)
	slices.Sort(types)
	return fields, types, true
}

// dataRead is one data.<field> an expression reads, and where.
type dataRead struct {
	field string
	pos   rules.Pos
}

// dataReads lists the data fields a rule's when and templates read.
func dataReads(r *rules.Rule) []dataRead {
	var out []dataRead
	if r.When != nil {
		out = append(out, exprDataReads(*r.When, 0, r.When.Value)...)
	}
	for _, t := range actionTemplates(&r.Actions) {
		for _, p := range t.Parts {
			if p.IsExpr() {
				out = append(out, exprDataReads(t.Scalar, p.Offset, p.Expr)...)
			}
		}
	}
	return out
}

// exprDataReads parses an expression (at rune offset off of s) and lists
// the data.<field> and data["field"] it reads.
func exprDataReads(s rules.Scalar, off int, src string) []dataRead {
	if !strings.Contains(src, "data") {
		return nil // most expressions: no need to parse them again
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil // reported when it compiles
	}
	v := &dataVisitor{}
	ast.Walk(&tree.Node, v)
	out := make([]dataRead, len(v.reads))
	for i, r := range v.reads {
		out[i] = dataRead{field: r.field, pos: s.PosAt(off + r.from)}
	}
	return out
}

type dataVisitor struct {
	reads []struct {
		field string
		from  int
	}
}

// Visit implements ast.Visitor.
func (v *dataVisitor) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok || id.Value != "data" {
		return
	}
	if prop, ok := m.Property.(*ast.StringNode); ok {
		v.reads = append(v.reads, struct {
			field string
			from  int
		}{prop.Value, id.Location().From})
	}
}

// actionTemplates lists every template of a rule's actions.
func actionTemplates(a *rules.Actions) []*rules.Template {
	out := []*rules.Template{a.Folder, a.Visibility}
	out = append(out, a.Tags...)
	out = append(out, a.RemoveTags...)
	for _, p := range a.Permissions {
		out = append(out, p.Team, p.User, p.Permission)
	}
	for _, m := range a.Metadata {
		out = append(out, m.Value)
	}
	for _, d := range a.Derivatives {
		for _, p := range d.Params {
			out = append(out, p.Value)
		}
	}
	for _, n := range a.Notify {
		out = append(out, n.URL, n.Text)
	}
	return slices.DeleteFunc(out, func(t *rules.Template) bool { return t == nil })
}
