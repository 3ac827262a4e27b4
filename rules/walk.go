package rules

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// walker walks a YAML node tree, collecting every problem with its position.
type walker struct {
	src  *source
	errs ErrorList
}

func (w *walker) pos(n *yaml.Node) Pos {
	return Pos{File: w.src.name, Line: n.Line, Col: n.Column}
}

func (w *walker) errorf(n *yaml.Node, format string, args ...any) {
	w.errs.Add(w.pos(n), format, args...)
}

// field is one key a mapping may hold and what to do with its value.
type field struct {
	name string
	fn   func(key, val *yaml.Node)
}

// fields walks a mapping, calling each known field's function and reporting
// unknown keys (with a suggestion) and duplicate keys. It returns the keys seen.
func (w *walker) fields(n *yaml.Node, what string, known []field) map[string]*yaml.Node {
	seen := map[string]*yaml.Node{}
	if !w.isMapping(n, what) {
		return seen
	}
	names := make([]string, len(known))
	for i, f := range known {
		names[i] = f.name
		if keys, ok := shapeKeys[what]; ok && !slices.Contains(keys, f.name) {
			w.errorf(n, "internal error: %s field %q is missing from the rule-file schema", what, f.name)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			w.errorf(key, "%s keys must be plain names", what)
			continue
		}
		if prev, dup := seen[key.Value]; dup {
			w.errorf(key, "%s has %q twice (first at line %d)", what, key.Value, prev.Line)
			continue
		}
		seen[key.Value] = key
		f := findField(known, key.Value)
		if f == nil {
			w.errorf(key, "unknown %s field %q%s", what, key.Value, suggest(key.Value, names))
			continue
		}
		f.fn(key, val)
	}
	return seen
}

func findField(known []field, name string) *field {
	for i := range known {
		if known[i].name == name {
			return &known[i]
		}
	}
	return nil
}

func (w *walker) isMapping(n *yaml.Node, what string) bool {
	if n.Kind == yaml.MappingNode {
		return true
	}
	w.errorf(n, "%s must be a mapping of keys to values, not %s", what, describe(n))
	return false
}

// scalar returns n as a scalar. A mapping that YAML read out of an unquoted
// {{ }} template gets an error that says to quote it.
func (w *walker) scalar(n *yaml.Node, what string) (Scalar, bool) {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		w.errorf(n, "%s is empty", what)
	case n.Kind == yaml.ScalarNode:
		return newScalar(w.src, n), true
	case isUnquotedTemplate(n):
		w.errorf(n, "%s: YAML reads an unquoted {{ }} as a mapping; quote the template: \"{{ ... }}\"", what)
	default:
		w.errorf(n, "%s must be a single value, not %s", what, describe(n))
	}
	return Scalar{}, false
}

// template returns n as a template.
func (w *walker) template(n *yaml.Node, what string) *Template {
	s, ok := w.scalar(n, what)
	if !ok {
		return nil
	}
	return parseTemplate(s, &w.errs)
}

// list returns the items of a sequence. A single scalar is taken as a list
// of one, so that `tags: training` means what it says.
func (w *walker) list(n *yaml.Node, what string) []*yaml.Node {
	switch {
	case n.Kind == yaml.SequenceNode:
		return n.Content
	case n.Kind == yaml.ScalarNode && n.Tag != "!!null":
		return []*yaml.Node{n}
	case n.Kind == yaml.ScalarNode:
		return nil
	case isUnquotedTemplate(n):
		w.errorf(n, "%s: YAML reads an unquoted {{ }} as a mapping; quote the template: \"{{ ... }}\"", what)
		return nil
	}
	w.errorf(n, "%s must be a list, not %s", what, describe(n))
	return nil
}

func (w *walker) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return n.Value == "true"
	}
	w.errorf(n, "%s must be true or false, not %s", what, describe(n))
	return false
}

// isUnquotedTemplate reports whether YAML read `{{ x }}` as a flow mapping
// whose only key is another flow mapping.
func isUnquotedTemplate(n *yaml.Node) bool {
	return n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle != 0 &&
		len(n.Content) >= 2 && n.Content[0].Kind == yaml.MappingNode
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!null":
		return "nothing"
	case "!!str":
		return fmt.Sprintf("the text %q", n.Value)
	}
	return fmt.Sprintf("%s %s", strings.TrimPrefix(n.Tag, "!!"), n.Value)
}

// document parses src and returns its root mapping, reporting syntax errors.
func (w *walker) document(text []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		w.errs = append(w.errs, syntaxError(w.src, err))
		return nil
	}
	if len(doc.Content) == 0 {
		w.errs.Add(Pos{File: w.src.name, Line: 1, Col: 1}, "file is empty")
		return nil
	}
	return doc.Content[0]
}
