package server

import (
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/organizer-dev/organizer/engine"
)

// FieldChange is one field of a plan that two rulesets decide
// differently for one event.
type FieldChange struct {
	Field  string `json:"field"` // folder, visibility, tags, remove_tags, permissions, metadata.<key>, derivatives, notify
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// fieldDiff is a FieldChange and the keys it counts under in an impact
// report's fields: "before → after" for a single value, "+item" and
// "-item" for each item a list gains or loses.
type fieldDiff struct {
	FieldChange
	keys []string
}

// none shows a field that the plan leaves alone (no folder, no value).
const none = "(none)"

// planDiff compares the plans two rulesets make for one event, field by
// field, in a fixed order.
func planDiff(before, after engine.Plan) []fieldDiff {
	var out []fieldDiff
	scalar := func(field, b, a string) {
		if b != a {
			out = append(out, fieldDiff{FieldChange{field, b, a}, []string{orNone(b) + " → " + orNone(a)}})
		}
	}
	list := func(field string, b, a []string) {
		if d, ok := listDiff(field, b, a); ok {
			out = append(out, d)
		}
	}
	scalar("folder", before.Folder, after.Folder)
	scalar("visibility", before.Visibility, after.Visibility)
	list("tags", before.Tags, after.Tags)
	list("remove_tags", before.RemoveTags, after.RemoveTags)
	list("permissions", labels(before.Permissions, permissionLabel), labels(after.Permissions, permissionLabel))
	out = append(out, metadataDiff(before.Metadata, after.Metadata)...)
	list("derivatives", labels(before.Derivatives, jsonLabel), labels(after.Derivatives, jsonLabel))
	list("notify", labels(before.Notify, notifyLabel), labels(after.Notify, notifyLabel))
	return out
}

// listDiff compares two lists as sets: the change shows both, sorted; the
// keys are "+item" for what only after has, "-item" for what only before
// has.
func listDiff(field string, before, after []string) (fieldDiff, bool) {
	b, a := sortedSet(before), sortedSet(after)
	if slices.Equal(b, a) {
		return fieldDiff{}, false
	}
	var keys []string
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			keys = append(keys, "+"+x)
		}
	}
	for _, x := range b {
		if _, found := slices.BinarySearch(a, x); !found {
			keys = append(keys, "-"+x)
		}
	}
	return fieldDiff{FieldChange{field, b, a}, keys}, true
}

// metadataDiff compares metadata field by field, each as metadata.<key>.
func metadataDiff(before, after map[string]any) []fieldDiff {
	keys := make([]string, 0, len(before)+len(after))
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []fieldDiff
	for _, k := range keys {
		b, a := valueLabel(before, k), valueLabel(after, k)
		if b != a {
			out = append(out, fieldDiff{FieldChange{"metadata." + k, before[k], after[k]}, []string{b + " → " + a}})
		}
	}
	return out
}

// valueLabel shows a metadata value: a string as it is, anything else as
// JSON, an absent one as (none).
func valueLabel(m map[string]any, key string) string {
	v, ok := m[key]
	if !ok {
		return none
	}
	if s, ok := v.(string); ok {
		return orNone(s)
	}
	return jsonLabel(v)
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

func sortedSet(xs []string) []string {
	out := slices.Clone(xs)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func labels[T any](xs []T, label func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = label(x)
	}
	return out
}

// permissionLabel is team:NAME:PERMISSION or user:NAME:PERMISSION.
func permissionLabel(p engine.Permission) string {
	if p.User != "" {
		return "user:" + p.User + ":" + p.Permission
	}
	return "team:" + p.Team + ":" + p.Permission
}

func jsonLabel[T any](v T) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "(unprintable)"
	}
	return string(b)
}

// notifyLabel shows a notification by its destination's scheme and host
// (the path of a chat webhook is its secret) and the start of its text.
func notifyLabel(n engine.Notify) string {
	text := n.Text
	if utf8.RuneCountInString(text) > 60 {
		text = string([]rune(text)[:60]) + "…"
	}
	return destination(n.URL) + " " + strconv.Quote(text)
}
