package rules

import (
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// TestFile is a *_test.yaml file: named cases, each an event and what the
// rules must do with it.
type TestFile struct {
	Path  string
	Cases []*TestCase
}

// TestCase is one rule test.
type TestCase struct {
	Name     Scalar
	Pos      Pos
	Now      *Scalar        // optional RFC 3339 time for `now`
	Event    map[string]any // a normalized event, as written
	Provider string         // with Payload: the provider whose adapter decodes it
	Payload  []byte         // a raw provider payload, as JSON
	Expect   []*Expectation
}

// Expectation is one key of a test case's expect block.
type Expectation struct {
	Key   string
	Value any
	Pos   Pos
}

// ExpectKeys are the keys an expect block may hold.
var ExpectKeys = []string{"matched", "errors", "folder", "visibility", "tags", "remove_tags",
	"permissions", "metadata", "derivatives", "notify", "held_by"}

// EventKeys and ContentKeys are the fields of a normalized event.
var (
	EventKeys   = []string{"id", "provider", "type", "received_at", "content", "data"}
	ContentKeys = []string{"id", "title", "metadata", "folder", "tags", "visibility"}
)

// ParseTestFile parses one rule-test file.
func ParseTestFile(path string, text []byte) (*TestFile, ErrorList) {
	w := &walker{src: newSource(path, text)}
	tf := &TestFile{Path: path}
	root := w.document(text)
	if root == nil {
		return tf, w.errs
	}
	w.fields(root, "test file", []field{
		{"tests", func(_, v *yaml.Node) {
			for _, item := range w.list(v, "tests") {
				if c := w.testCase(item); c != nil {
					tf.Cases = append(tf.Cases, c)
				}
			}
		}},
	})
	return tf, w.errs
}

func (w *walker) testCase(n *yaml.Node) *TestCase {
	c := &TestCase{Pos: w.pos(n)}
	seen := w.fields(n, "test", []field{
		{"name", func(_, v *yaml.Node) {
			if s, ok := w.scalar(v, "name"); ok {
				c.Name = s
			}
		}},
		{"now", func(_, v *yaml.Node) {
			if s, ok := w.scalar(v, "now"); ok {
				c.Now = &s
			}
		}},
		{"event", func(_, v *yaml.Node) { c.Event = w.event(v) }},
		{"provider", func(_, v *yaml.Node) {
			if s, ok := w.scalar(v, "provider"); ok {
				c.Provider = s.Value
			}
		}},
		{"payload", func(_, v *yaml.Node) { c.Payload = w.payload(v) }},
		{"expect", func(_, v *yaml.Node) {
			fields := make([]field, len(ExpectKeys))
			for i, k := range ExpectKeys {
				fields[i] = field{k, func(key, val *yaml.Node) {
					var value any
					if err := val.Decode(&value); err != nil {
						w.errorf(val, "expect.%s: %v", k, err)
						return
					}
					c.Expect = append(c.Expect, &Expectation{Key: k, Value: value, Pos: w.pos(key)})
				}}
			}
			w.fields(v, "expect", fields)
		}},
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if seen["name"] == nil {
		w.errorf(n, "test needs a name")
	}
	label := "test"
	if c.Name.Value != "" {
		label = fmt.Sprintf("test %q", c.Name.Value)
	}
	switch {
	case seen["event"] != nil && seen["payload"] != nil:
		w.errorf(n, "%s has both an event and a payload; keep one", label)
	case seen["event"] == nil && seen["payload"] == nil:
		w.errorf(n, "%s needs an event (or a payload with its provider)", label)
	case seen["payload"] != nil && seen["provider"] == nil:
		w.errorf(n, "%s: a payload needs `provider:` to say whose payload it is", label)
	}
	if seen["expect"] == nil {
		w.errorf(n, "%s needs an expect block", label)
	}
	return c
}

// event checks the keys of a normalized event and decodes it.
func (w *walker) event(n *yaml.Node) map[string]any {
	keys := make([]field, 0, len(EventKeys))
	for _, k := range EventKeys {
		keys = append(keys, field{k, func(_, v *yaml.Node) {
			if k == "content" {
				w.fields(v, "content", fieldsNoop(ContentKeys))
			}
		}})
	}
	w.fields(n, "event", keys)
	var ev map[string]any
	if n.Kind == yaml.MappingNode {
		if err := n.Decode(&ev); err != nil {
			w.errorf(n, "event: %v", err)
		}
	}
	return ev
}

func fieldsNoop(names []string) []field {
	out := make([]field, len(names))
	for i, name := range names {
		out[i] = field{name, func(_, _ *yaml.Node) {}}
	}
	return out
}

// payload decodes a raw provider payload written in YAML (or JSON, which is
// YAML) and re-encodes it as the JSON body the provider would send.
func (w *walker) payload(n *yaml.Node) []byte {
	var v any
	if err := n.Decode(&v); err != nil {
		w.errorf(n, "payload: %v", err)
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.errorf(n, "payload cannot be written as JSON: %v", fmt.Sprint(err))
		return nil
	}
	return b
}
