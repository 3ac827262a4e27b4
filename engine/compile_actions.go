package engine

import (
	"github.com/organizer-dev/organizer/engine/internal/fastpath"
	"github.com/organizer-dev/organizer/rules"
)

// actions compiles a rule's actions.
func (c *ruleCompiler) actions(src *rules.Rule, r *rule) actions {
	a := &src.Actions
	tmpl := func(t *rules.Template) *template { return c.template(t, src, r) }
	out := actions{folder: tmpl(a.Folder), visibility: tmpl(a.Visibility)}
	for _, t := range a.Tags {
		out.tags = append(out.tags, tmpl(t))
	}
	for _, t := range a.RemoveTags {
		out.removeTags = append(out.removeTags, tmpl(t))
	}
	for _, p := range a.Permissions {
		out.permissions = append(out.permissions, permissionTemplate{team: tmpl(p.Team), user: tmpl(p.User), permission: tmpl(p.Permission)})
	}
	for _, m := range a.Metadata {
		out.metadata = append(out.metadata, metadataTemplate{key: m.Key.Value, value: tmpl(m.Value), typed: m.Typed})
	}
	for _, d := range a.Derivatives {
		dt := derivativeTemplate{kind: d.Kind.Value}
		for _, p := range d.Params {
			integer := false
			for _, spec := range rules.DerivativeParams[d.Kind.Value] {
				if spec.Name == p.Key.Value {
					integer = spec.Integer
				}
			}
			dt.params = append(dt.params, paramTemplate{name: p.Key.Value, value: tmpl(p.Value), integer: integer})
		}
		out.derivatives = append(out.derivatives, dt)
	}
	for _, n := range a.Notify {
		out.notify = append(out.notify, notifyTemplate{url: tmpl(n.URL), text: tmpl(n.Text)})
	}
	return out
}

// template compiles one template; nil in, nil out.
func (c *ruleCompiler) template(t *rules.Template, src *rules.Rule, r *rule) *template {
	if t == nil {
		return nil
	}
	if t.IsLiteral() {
		return &template{literal: t.Value}
	}
	c.usedTemplate = true
	out := &template{}
	for _, p := range t.Parts {
		if !p.IsExpr() {
			out.parts = append(out.parts, templatePart{literal: p.Literal})
			continue
		}
		comp, err := c.exprs.compile(t.Scalar, p.Offset, p.Expr, false)
		if err != nil {
			c.errs = append(c.errs, err)
			continue
		}
		c.usedMatch = c.usedMatch || comp.usesMatch
		if comp.usesMatch && r.capture == nil {
			c.errs.Add(t.PosAt(p.Offset), "match needs the rule's when to test a constant pattern, as in: when: title matches \"^(?P<show>.+) S\\\\d+\"")
		}
		part := templatePart{expr: comp, fast: fastpath.Value(comp.node())}
		if part.fast != nil {
			comp.release()
		}
		out.parts = append(out.parts, part)
	}
	return out
}
