package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	namePattern  = regexp.MustCompile(`^[a-z0-9_-]+$`)
	eventPattern = regexp.MustCompile(`^[a-z0-9_*-]+(\.[a-z0-9_*-]+)*$`)
)

// ParseFile parses one rule file. It returns the file even when there are
// problems, with whatever could be read, so that later checks still run.
func ParseFile(path string, text []byte) (*File, ErrorList) {
	w := &walker{src: newSource(path, text)}
	f := &File{Path: path, Source: text}
	root := w.document(text)
	if root == nil {
		return f, w.errs
	}
	version := false
	w.fields(root, "rule file", []field{
		{"version", func(_, v *yaml.Node) {
			version = true
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Value != "1" {
				w.errorf(v, "version must be 1")
			}
		}},
		{"lists", func(_, v *yaml.Node) { f.Lists = w.lists(v) }},
		{"schedules", func(_, v *yaml.Node) {
			for _, item := range w.list(v, "schedules") {
				if s := w.schedule(item); s != nil {
					f.Schedules = append(f.Schedules, s)
				}
			}
		}},
		{"guards", func(_, v *yaml.Node) {
			for _, item := range w.list(v, "guards") {
				if g := w.guard(item); g != nil {
					f.Guards = append(f.Guards, g)
				}
			}
		}},
		{"rules", func(_, v *yaml.Node) {
			for _, item := range w.list(v, "rules") {
				if r := w.rule(item); r != nil {
					f.Rules = append(f.Rules, r)
				}
			}
		}},
	})
	if !version && root.Kind == yaml.MappingNode {
		w.errorf(root, "rule file needs `version: 1` at the top")
	}
	return f, w.errs
}

func (w *walker) lists(n *yaml.Node) []*List {
	if !w.isMapping(n, "lists") {
		return nil
	}
	var out []*List
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name, ok := w.scalar(key, "list name")
		if !ok {
			continue
		}
		if !namePattern.MatchString(name.Value) || name.Value[0] == '-' {
			w.errorf(key, "list name %q must use only a-z, 0-9 and _", name.Value)
		}
		l := &List{Name: name}
		if val.Kind != yaml.SequenceNode {
			w.errorf(val, "list %q must be a list of values, not %s", name.Value, describe(val))
		}
		for _, item := range w.list(val, "list "+name.Value) {
			if s, ok := w.scalar(item, "list item"); ok {
				l.Values = append(l.Values, s)
			}
		}
		out = append(out, l)
	}
	return out
}

func (w *walker) rule(n *yaml.Node) *Rule {
	r := &Rule{Pos: w.pos(n), Enabled: true, Mode: Live}
	seen := w.fields(n, "rule", []field{
		{"name", func(k, v *yaml.Node) {
			r.NameKey = w.pos(k)
			if s, ok := w.scalar(v, "name"); ok {
				r.Name = s
				if !namePattern.MatchString(s.Value) {
					w.errorf(v, "rule name %q must use only a-z, 0-9, _ and -", s.Value)
				}
			}
		}},
		{"description", func(_, v *yaml.Node) {
			if s, ok := w.scalar(v, "description"); ok {
				r.Description = s.Value
			}
		}},
		{"on", func(_, v *yaml.Node) {
			items := w.list(v, "on")
			if len(items) == 0 {
				w.errorf(v, "on needs at least one event type; remove it to match every event")
			}
			for _, item := range items {
				if s, ok := w.scalar(item, "event type"); ok {
					if !eventPattern.MatchString(s.Value) {
						w.errorf(item, "event type %q must be dotted lower-case words, with * as a wildcard (content.*)", s.Value)
					}
					r.On = append(r.On, s)
				}
			}
		}},
		{"provider", func(_, v *yaml.Node) {
			if s, ok := w.scalar(v, "provider"); ok {
				r.Provider = &s
			}
		}},
		{"when", func(_, v *yaml.Node) {
			if s, ok := w.scalar(v, "when"); ok {
				r.When = &s
			}
		}},
		{"stop", func(_, v *yaml.Node) { r.Stop = w.boolean(v, "stop") }},
		{"enabled", func(_, v *yaml.Node) { r.Enabled = w.boolean(v, "enabled") || v.Tag != "!!bool" }}, // a bad value is reported; the rule stays as written
		{"mode", func(_, v *yaml.Node) { r.Mode = w.mode(v) }},
		{"actions", func(_, v *yaml.Node) { w.actions(v, &r.Actions) }},
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if seen["name"] == nil {
		w.errorf(n, "rule needs a name")
	}
	if seen["actions"] == nil && !r.Stop {
		w.errorf(n, "rule %q has no actions", r.Name.Value)
	}
	return r
}

func (w *walker) actions(n *yaml.Node, a *Actions) {
	w.fields(n, "action", []field{
		{"folder", func(_, v *yaml.Node) { a.Folder = w.template(v, "folder") }},
		{"visibility", func(_, v *yaml.Node) {
			a.Visibility = w.template(v, "visibility")
			w.checkEnum(v, a.Visibility, "visibility", Visibilities)
		}},
		{"tags", func(_, v *yaml.Node) { a.Tags = w.templates(v, "tag") }},
		{"remove_tags", func(_, v *yaml.Node) { a.RemoveTags = w.templates(v, "tag") }},
		{"permissions", func(_, v *yaml.Node) {
			for _, item := range w.list(v, "permissions") {
				if p := w.permission(item); p != nil {
					a.Permissions = append(a.Permissions, p)
				}
			}
		}},
		{"metadata", func(_, v *yaml.Node) { a.Metadata = w.metadata(v) }},
		{"derivatives", func(_, v *yaml.Node) {
			for _, item := range w.list(v, "derivatives") {
				if d := w.derivative(item); d != nil {
					a.Derivatives = append(a.Derivatives, d)
				}
			}
		}},
		{"notify", func(_, v *yaml.Node) {
			for _, item := range w.list(v, "notify") {
				if nt := w.notify(item); nt != nil {
					a.Notify = append(a.Notify, nt)
				}
			}
		}},
	})
}

func (w *walker) templates(n *yaml.Node, what string) []*Template {
	var out []*Template
	for _, item := range w.list(n, what+"s") {
		if t := w.template(item, what); t != nil {
			out = append(out, t)
		}
	}
	return out
}

// checkEnum reports a literal value outside the allowed set. Templated values
// are checked when they are rendered.
func (w *walker) checkEnum(n *yaml.Node, t *Template, what string, allowed []string) {
	if t != nil && t.IsLiteral() && !slices.Contains(allowed, t.Value) {
		msg := fmt.Sprintf("%s %q must be one of %s", what, t.Value, strings.Join(allowed, ", "))
		if best := Suggest(t.Value, allowed); best != "" {
			msg += fmt.Sprintf("; did you mean %q?", best)
		}
		w.errorf(n, "%s", msg)
	}
}

func (w *walker) permission(n *yaml.Node) *Permission {
	p := &Permission{Pos: w.pos(n)}
	seen := w.fields(n, "permission", []field{
		{"team", func(_, v *yaml.Node) { p.Team = w.template(v, "team") }},
		{"user", func(_, v *yaml.Node) { p.User = w.template(v, "user") }},
		{"permission", func(_, v *yaml.Node) {
			p.Permission = w.template(v, "permission")
			w.checkEnum(v, p.Permission, "permission", PermissionLevels)
		}},
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	switch {
	case seen["team"] != nil && seen["user"] != nil:
		w.errorf(n, "a permission names a team or a user, not both")
	case seen["team"] == nil && seen["user"] == nil:
		w.errorf(n, "a permission needs a team or a user")
	}
	if seen["permission"] == nil {
		w.errorf(n, "a permission needs `permission: view|edit|admin`")
	}
	return p
}

func (w *walker) metadata(n *yaml.Node) []*MetadataField {
	if !w.isMapping(n, "metadata") {
		return nil
	}
	var out []*MetadataField
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		k, ok := w.scalar(key, "metadata field name")
		if !ok {
			continue
		}
		m := &MetadataField{Key: k}
		switch {
		case val.Kind == yaml.ScalarNode && val.Tag == "!!str":
			m.Value = w.template(val, "metadata."+k.Value)
		case val.Kind == yaml.ScalarNode:
			if err := val.Decode(&m.Typed); err != nil {
				w.errorf(val, "metadata.%s: %v", k.Value, err)
			}
		default:
			w.scalar(val, "metadata."+k.Value)
		}
		out = append(out, m)
	}
	return out
}

func (w *walker) derivative(n *yaml.Node) *Derivative {
	if !w.isMapping(n, "derivative") {
		return nil
	}
	if len(n.Content) != 2 {
		w.errorf(n, "a derivative is one of `transcode: {...}` or `export: {...}`")
		return nil
	}
	key, val := n.Content[0], n.Content[1]
	specs, known := DerivativeParams[key.Value]
	if !known {
		w.errorf(key, "unknown derivative %q%s", key.Value, suggest(key.Value, []string{"export", "transcode"}))
		return nil
	}
	d := &Derivative{Kind: newScalar(w.src, key)}
	fields := make([]field, len(specs))
	for i, spec := range specs {
		fields[i] = field{spec.Name, func(k, v *yaml.Node) {
			t := w.template(v, key.Value+"."+spec.Name)
			if t == nil {
				return
			}
			if spec.Integer && t.IsLiteral() && v.Tag != "!!int" {
				w.errorf(v, "%s.%s must be a whole number, not %s", key.Value, spec.Name, describe(v))
			}
			d.Params = append(d.Params, &Param{Key: newScalar(w.src, k), Value: t})
		}}
	}
	seen := w.fields(val, key.Value, fields)
	for _, spec := range specs {
		if spec.Required && seen[spec.Name] == nil && val.Kind == yaml.MappingNode {
			w.errorf(val, "%s needs %s", key.Value, spec.Name)
		}
	}
	return d
}

func (w *walker) notify(n *yaml.Node) *Notify {
	nt := &Notify{Pos: w.pos(n)}
	seen := w.fields(n, "notify", []field{
		{"url", func(_, v *yaml.Node) { nt.URL = w.template(v, "url") }},
		{"text", func(_, v *yaml.Node) { nt.Text = w.template(v, "text") }},
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if seen["url"] == nil || seen["text"] == nil {
		w.errorf(n, "notify needs a url and a text")
	}
	return nt
}

// mode reads a rule's mode: live or shadow.
func (w *walker) mode(n *yaml.Node) Mode {
	s, ok := w.scalar(n, "mode")
	if !ok {
		return Live
	}
	if !slices.Contains(Modes, s.Value) {
		msg := fmt.Sprintf("mode %q must be one of %s", s.Value, strings.Join(Modes, ", "))
		if best := Suggest(s.Value, Modes); best != "" {
			msg += fmt.Sprintf("; did you mean %q?", best)
		}
		w.errorf(n, "%s", msg)
		return Live
	}
	return Mode(s.Value)
}
