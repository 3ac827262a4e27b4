// Package seedjson reads the JSON seed files of the simulators, naming
// where a problem is: the line and column of a syntax error, or the field
// and index of a value, such as content[3].created_at.
package seedjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Object is a JSON object read one level deep, with the path it is at.
type Object struct {
	Path   string // "" for the document, content[3] for an element
	fields map[string]json.RawMessage
}

// Parse reads a document that must be one JSON object with no fields but
// the allowed ones.
func Parse(data []byte, allowed ...string) (Object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := position(data, syn.Offset)
			return Object{}, fmt.Errorf("line %d, column %d: %v", line, col, syn)
		}
		return Object{}, fmt.Errorf("the seed must be a JSON object: %v", err)
	}
	if fields == nil {
		return Object{}, fmt.Errorf("the seed must be a JSON object, not null")
	}
	if _, err := dec.Token(); err == nil {
		return Object{}, fmt.Errorf("more data follows the seed's JSON object")
	}
	o := Object{fields: fields}
	return o, o.only(allowed)
}

// position is the 1-based line and column of a byte offset.
func position(data []byte, offset int64) (line, col int) {
	before := data[:min(int(offset), len(data))]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func (o Object) only(allowed []string) error {
	keys := make([]string, 0, len(o.fields))
	for k := range o.fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("%s: unknown field (want %s)", o.At(k), strings.Join(allowed, ", "))
		}
	}
	return nil
}

// At is the path of a field of o.
func (o Object) At(name string) string {
	if o.Path == "" {
		return name
	}
	return o.Path + "." + name
}

// Has reports whether the field is present and not null.
func (o Object) Has(name string) bool {
	raw, ok := o.fields[name]
	return ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// Decode decodes a field, when present and not null, into dst; what says
// what it must be, for the error.
func (o Object) Decode(name, what string, dst any) error {
	if !o.Has(name) {
		return nil
	}
	if err := json.Unmarshal(o.fields[name], dst); err != nil {
		return fmt.Errorf("%s: want %s", o.At(name), what)
	}
	return nil
}

// String decodes a string field ("" when absent).
func (o Object) String(name string) (string, error) {
	var s string
	return s, o.Decode(name, "a string", &s)
}

// Required decodes a string field that must be present and not blank.
func (o Object) Required(name string) (string, error) {
	s, err := o.String(name)
	if err == nil && strings.TrimSpace(s) == "" {
		err = fmt.Errorf("%s: required (a non-empty string)", o.At(name))
	}
	return s, err
}

// Time decodes an optional RFC 3339 time field (zero when absent).
func (o Object) Time(name string) (time.Time, error) {
	s, err := o.String(name)
	if err != nil || s == "" {
		if err != nil {
			err = fmt.Errorf("%s: want an RFC 3339 time such as 2026-01-31T08:00:00Z", o.At(name))
		}
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time such as 2026-01-31T08:00:00Z", o.At(name), s)
	}
	return t.UTC(), nil
}

// Strings decodes an optional array of non-empty strings.
func (o Object) Strings(name string) ([]string, error) {
	var raw []json.RawMessage
	if err := o.Decode(name, "an array of strings", &raw); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(raw))
	for i, r := range raw {
		var s string
		if json.Unmarshal(r, &s) != nil || strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("%s[%d]: want a non-empty string", o.At(name), i)
		}
		out = append(out, s)
	}
	return out, nil
}

// Objects decodes an optional array of objects, each with no fields but the
// allowed ones.
func (o Object) Objects(name string, allowed ...string) ([]Object, error) {
	var raw []json.RawMessage
	if err := o.Decode(name, "an array of objects", &raw); err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(raw))
	for i, r := range raw {
		el := Object{Path: fmt.Sprintf("%s[%d]", o.At(name), i)}
		if json.Unmarshal(r, &el.fields) != nil || el.fields == nil {
			return nil, fmt.Errorf("%s: want an object", el.Path)
		}
		if err := el.only(allowed); err != nil {
			return nil, err
		}
		out = append(out, el)
	}
	return out, nil
}
