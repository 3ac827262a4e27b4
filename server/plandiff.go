package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/organizer-dev/organizer/engine"
)

// FieldChange is one difference between two plans: a field and its value
// before and after. Lists are compared item by item: a tag the new plan
// adds reads {"field": "tags", "after": "x"}, one it drops {"field":
// "tags", "before": "x"}.
type FieldChange struct {
	Field  string `json:"field"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

// planChanges lists what differs between two plans, field by field, in a
// fixed order: folder, visibility, tags, remove_tags, permissions,
// metadata (by key), derivatives, notify.
func planChanges(before, after engine.Plan) []FieldChange {
	out := []FieldChange{}
	if before.Folder != after.Folder {
		out = append(out, FieldChange{Field: "folder", Before: before.Folder, After: after.Folder})
	}
	if before.Visibility != after.Visibility {
		out = append(out, FieldChange{Field: "visibility", Before: before.Visibility, After: after.Visibility})
	}
	out = appendSetChanges(out, "tags", before.Tags, after.Tags)
	out = appendSetChanges(out, "remove_tags", before.RemoveTags, after.RemoveTags)
	out = appendSetChanges(out, "permissions", keys(before.Permissions, permissionKey), keys(after.Permissions, permissionKey))
	names := map[string]bool{}
	for k := range before.Metadata {
		names[k] = true
	}
	for k := range after.Metadata {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		b, inB := before.Metadata[k]
		a, inA := after.Metadata[k]
		if inB != inA || !sameJSON(b, a) {
			out = append(out, FieldChange{Field: "metadata." + k, Before: b, After: a})
		}
	}
	out = appendSetChanges(out, "derivatives", keys(before.Derivatives, jsonKey[engine.Derivative]), keys(after.Derivatives, jsonKey[engine.Derivative]))
	out = appendSetChanges(out, "notify", keys(before.Notify, jsonKey[engine.Notify]), keys(after.Notify, jsonKey[engine.Notify]))
	return out
}

// appendSetChanges adds one change per value only one of the lists has.
func appendSetChanges(out []FieldChange, field string, before, after []string) []FieldChange {
	for _, v := range before {
		if !slices.Contains(after, v) {
			out = append(out, FieldChange{Field: field, Before: v})
		}
	}
	for _, v := range after {
		if !slices.Contains(before, v) {
			out = append(out, FieldChange{Field: field, After: v})
		}
	}
	return out
}

func keys[T any](list []T, key func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = key(v)
	}
	return out
}

// permissionKey names a grant as the decision's sources do: team:HR:view,
// user:42:edit.
func permissionKey(p engine.Permission) string {
	if p.User != "" {
		return fmt.Sprintf("user:%s:%s", p.User, p.Permission)
	}
	return fmt.Sprintf("team:%s:%s", p.Team, p.Permission)
}

func jsonKey[T any](v T) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
