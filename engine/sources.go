package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Sources says which rule set each value of a plan: the provenance of a
// decision. A value that several rules asked for is credited to the first,
// the one whose request the plan holds.
type Sources struct {
	Folder     string `json:"folder"`
	Visibility string `json:"visibility"`
	// Tags and RemoveTags are keyed by tag, Metadata by field, Permissions
	// by PermissionKey, each in the plan's order.
	Tags        SourceMap `json:"tags"`
	RemoveTags  SourceMap `json:"remove_tags"`
	Metadata    SourceMap `json:"metadata"`
	Permissions SourceMap `json:"permissions"`
	// Derivatives and Notify name the rule of each item of the plan's list
	// of the same name, by index.
	Derivatives []string `json:"derivatives"`
	Notify      []string `json:"notify"`
}

// Source credits one value of a plan to a rule.
type Source struct {
	Key  string
	Rule string
}

// SourceMap is an ordered map from a plan value to the rule that set it,
// written in JSON as an object.
type SourceMap []Source

// Rule returns the rule that set key, or "".
func (m SourceMap) Rule(key string) string {
	for _, s := range m {
		if s.Key == key {
			return s.Rule
		}
	}
	return ""
}

// PermissionKey is how Sources names a permission: team:<team>:<permission>
// or user:<user>:<permission>.
func PermissionKey(p Permission) string {
	if p.User != "" {
		return "user:" + p.User + ":" + p.Permission
	}
	return "team:" + p.Team + ":" + p.Permission
}

// MarshalJSON writes the map as a JSON object, in order.
func (m SourceMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, s := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(s.Key)
		v, _ := json.Marshal(s.Rule)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a JSON object of strings, keeping its order.
func (m *SourceMap) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		if string(bytes.TrimSpace(data)) == "null" {
			*m = nil
			return nil
		}
		return fmt.Errorf("sources: want an object of rule names")
	}
	out := SourceMap{}
	for dec.More() {
		var s Source
		k, err := dec.Token()
		if err != nil {
			return fmt.Errorf("sources: %w", err)
		}
		s.Key, _ = k.(string)
		if err := dec.Decode(&s.Rule); err != nil {
			return fmt.Errorf("sources: %q: %w", s.Key, err)
		}
		out = append(out, s)
	}
	*m = out
	return nil
}

// MarshalJSON writes empty lists as [], never null.
func (s Sources) MarshalJSON() ([]byte, error) {
	type plain Sources
	q := plain(s)
	q.Derivatives, q.Notify = orEmpty(q.Derivatives), orEmpty(q.Notify)
	return json.Marshal(q)
}

// tagCredits are the rules that put a plan's tags in its lists, by rule
// id, in the lists' order; names holds the rule names by id.
type tagCredits struct {
	tags, removeTags []int32
	names            []string
}

// Provenance returns the decision's sources whole: Sources with the rule
// of each tag and removed tag, which evaluation records compactly. A
// decision read back from JSON has them in Sources already.
func (d *Decision) Provenance() Sources {
	s := d.Sources
	if c := d.credits; c.names != nil {
		s.Tags = c.sourceMap(d.Plan.Tags, c.tags)
		s.RemoveTags = c.sourceMap(d.Plan.RemoveTags, c.removeTags)
	}
	return s
}

func (c tagCredits) sourceMap(tags []string, ids []int32) SourceMap {
	if len(ids) == 0 {
		return nil
	}
	out := make(SourceMap, len(ids))
	for i, id := range ids {
		out[i] = Source{Key: tags[i], Rule: c.names[id]}
	}
	return out
}
