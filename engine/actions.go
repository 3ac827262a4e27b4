package engine

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/organizer-dev/organizer/engine/internal/fastpath"
	"github.com/organizer-dev/organizer/rules"
)

// template is a compiled rules.Template.
type template struct {
	parts   []templatePart
	literal string // the whole value, when parts is empty
}

type templatePart struct {
	literal string
	expr    *compiled
	fast    fastpath.AnyFn
}

// value renders the template. A template that is exactly one {{ expr }}
// keeps the expression's type (for metadata); otherwise the parts are joined
// as text. What it renders counts against the event's render budget: a value
// over 64 KiB, or past the event's 1 MiB, is an error, found before the text
// is built; so is the evaluation's deadline passing while it renders.
func (t *template) value(st *state) (any, error) {
	if t.parts == nil {
		return t.literal, nil
	}
	if err := deadline(st.ctx, "template"); err != nil {
		st.expired = true
		return nil, err
	}
	if len(t.parts) == 1 && t.parts[0].expr != nil {
		v, err := t.parts[0].eval(st)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok {
			if err := st.budget.templateCharge(len(s)); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	var out strings.Builder
	for _, p := range t.parts {
		s := p.literal
		if p.expr != nil {
			v, err := p.eval(st)
			if err != nil {
				return nil, err
			}
			if s, err = text(v); err != nil {
				return nil, err
			}
			if err := deadline(st.ctx, "template"); err != nil {
				st.expired = true
				return nil, err
			}
		}
		if out.Len()+len(s) > maxValueLen {
			return nil, fmt.Errorf("template renders more than 64 KiB")
		}
		out.WriteString(s)
	}
	if err := st.budget.templateCharge(out.Len()); err != nil {
		return nil, err
	}
	return out.String(), nil
}

// text renders the template as a non-empty string.
func (t *template) text(st *state, what string) (string, error) {
	if t.parts == nil {
		return t.literal, nil
	}
	v, err := t.value(st)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	s, err := text(v)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if s == "" {
		return "", fmt.Errorf("%s: the template gave an empty value", what)
	}
	return s, nil
}

func (p *templatePart) eval(st *state) (any, error) {
	if p.fast != nil {
		if v, ok := p.fast(&st.fast); ok {
			return v, nil
		}
	}
	return st.run(p.expr, st.environment())
}

func text(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	case int, int64, float64, bool:
		return fmt.Sprint(v), nil
	case time.Time:
		return v.UTC().Format(time.RFC3339), nil
	}
	return "", fmt.Errorf("the template gave %v (%T), not text", v, v)
}

// actions is a rule's compiled actions.
type actions struct {
	folder, visibility *template
	tags, removeTags   []*template
	permissions        []permissionTemplate
	metadata           []metadataTemplate
	derivatives        []derivativeTemplate
	notify             []notifyTemplate
}

type permissionTemplate struct{ team, user, permission *template }

type metadataTemplate struct {
	key   string
	value *template
	typed any
}

type derivativeTemplate struct {
	kind   string
	params []paramTemplate
}

type paramTemplate struct {
	name    string
	value   *template
	integer bool
}

type notifyTemplate struct{ url, text *template }

// contribution is what one matching rule asks for, fully rendered: a rule
// contributes all of it or, if any part fails, nothing.
type contribution struct {
	folder, visibility   string
	tags, removeTags     []string
	tagIDs, removeTagIDs []int32 // interned ids of tags and removeTags (-1: not interned)
	permissions          []Permission
	metadata             []metadataValue
	derivatives          []Derivative
	notify               []Notify
}

type metadataValue struct {
	key   string
	value any
}

func (c *contribution) reset() {
	c.folder, c.visibility = "", ""
	c.tags, c.removeTags = c.tags[:0], c.removeTags[:0]
	c.tagIDs, c.removeTagIDs = c.tagIDs[:0], c.removeTagIDs[:0]
	c.permissions, c.metadata = c.permissions[:0], c.metadata[:0]
	c.derivatives, c.notify = c.derivatives[:0], c.notify[:0]
}

// render renders every action of a rule into c.
func (a *actions) render(st *state, c *contribution) error {
	c.reset()
	var err error
	if a.folder != nil {
		if c.folder, err = a.folder.text(st, "folder"); err != nil {
			return err
		}
	}
	if a.visibility != nil {
		if c.visibility, err = a.visibility.text(st, "visibility"); err != nil {
			return err
		}
		if !slices.Contains(rules.Visibilities, c.visibility) {
			return fmt.Errorf("visibility %q is not one of %v", c.visibility, rules.Visibilities)
		}
	}
	if c.tags, err = renderAll(st, a.tags, c.tags, "tag"); err != nil {
		return err
	}
	if c.removeTags, err = renderAll(st, a.removeTags, c.removeTags, "remove_tags"); err != nil {
		return err
	}
	for _, p := range a.permissions {
		perm, err := p.render(st)
		if err != nil {
			return err
		}
		c.permissions = append(c.permissions, perm)
	}
	for _, m := range a.metadata {
		v := m.typed
		if m.value != nil {
			if v, err = m.value.value(st); err != nil {
				return fmt.Errorf("metadata.%s: %w", m.key, err)
			}
		}
		c.metadata = append(c.metadata, metadataValue{m.key, v})
	}
	for _, d := range a.derivatives {
		der, err := d.render(st)
		if err != nil {
			return err
		}
		c.derivatives = append(c.derivatives, der)
	}
	for _, n := range a.notify {
		url, err := n.url.text(st, "notify.url")
		if err != nil {
			return err
		}
		msg, err := n.text.text(st, "notify.text")
		if err != nil {
			return err
		}
		c.notify = append(c.notify, Notify{URL: url, Text: msg})
	}
	return nil
}

func renderAll(st *state, ts []*template, out []string, what string) ([]string, error) {
	for _, t := range ts {
		s, err := t.text(st, what)
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p permissionTemplate) render(st *state) (Permission, error) {
	var perm Permission
	var err error
	if p.team != nil {
		if perm.Team, err = p.team.text(st, "permissions.team"); err != nil {
			return perm, err
		}
	}
	if p.user != nil {
		if perm.User, err = p.user.text(st, "permissions.user"); err != nil {
			return perm, err
		}
	}
	if perm.Permission, err = p.permission.text(st, "permissions.permission"); err != nil {
		return perm, err
	}
	if !slices.Contains(rules.PermissionLevels, perm.Permission) {
		return perm, fmt.Errorf("permission %q is not one of %v", perm.Permission, rules.PermissionLevels)
	}
	return perm, nil
}

func (d derivativeTemplate) render(st *state) (Derivative, error) {
	out := Derivative{Kind: d.kind}
	for _, p := range d.params {
		s, err := p.value.text(st, d.kind+"."+p.name)
		if err != nil {
			return out, err
		}
		if p.integer {
			n, err := strconv.Atoi(s)
			if err != nil {
				return out, fmt.Errorf("%s.%s: %q is not a whole number", d.kind, p.name, s)
			}
			switch p.name {
			case "start_seconds":
				out.StartSeconds = &n
			case "duration_seconds":
				out.DurationSeconds = &n
			case "width":
				out.Width = &n
			}
			continue
		}
		switch p.name {
		case "profile":
			out.Profile = s
		case "output_format":
			out.OutputFormat = s
		case "format":
			out.Format = s
		}
	}
	return out, nil
}
