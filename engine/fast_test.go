package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/rules"
)

// TestFastPathAgreesWithVM runs every condition of a corpus over events with
// awkward values on the fast path and on the expr VM: whenever the fast path
// answers, it must answer what expr answers, error or not.
func TestFastPathAgreesWithVM(t *testing.T) {
	conditions := []string{
		`metadata.department == "HR"`, `metadata.department != "HR"`, `metadata.department == ""`,
		`metadata.department == nil`, `metadata.department != nil && metadata.department != ""`,
		`metadata.count == 7`, `metadata.count == "7"`, `metadata.count > 5`, `metadata.count <= 7.0`,
		`5 < metadata.count`, `metadata.flag == true`, `!metadata.flag`, `not (metadata.flag ?? false)`,
		`metadata.region in ["emea", "apac"]`, `metadata.region in ["", "x"]`, `metadata.department in ["", "HR"]`,
		`lower(title) contains "town hall"`, `title startsWith "Q3"`, `title endsWith "cut"`,
		`containsAny(lower(title), ["ceo", "all-hands"])`, `containsAny(title, [])`,
		`title matches "^Q[0-9]"`, `lower(metadata.department ?? "") != ""`, `lower(metadata.department) == "hr"`,
		`titleCase(metadata.department) == "Hr"`, `upper(title) contains "CAFÉ"`,
		`data.duration_seconds > 600 && data.duration_seconds < 7200`, `data.nested.a == "x"`,
		`data.nested?.a == nil`, `metadata.nested.a.b == "c"`, `content.id == "c1" || event.type == "content.uploaded"`,
		`event.provider == "vaultstream" && content.folder == ""`, `(metadata.department ?? "General") == "General"`,
		`metadata.list == nil`, `content.visibility != "public"`, `title == content.title`,
	}
	events := []Event{
		{Provider: "vaultstream", Type: "content.uploaded", Content: Content{ID: "c1", Title: "Q3 Town Hall — Café final cut",
			Metadata: map[string]any{"department": "HR", "count": 7.0, "flag": true, "region": "apac", "nested": map[string]any{"a": map[string]any{"b": "c"}}}},
			Data: map[string]any{"duration_seconds": 900.0, "nested": map[string]any{"a": "x"}}},
		{Provider: "shift72", Type: "ingestion_updated", Content: Content{ID: "/film/1", Title: "ΟΔΟΣ",
			Metadata: map[string]any{"department": 7.0, "count": "7", "flag": "yes", "region": nil, "nested": "flat", "list": []any{}}},
			Data: map[string]any{"duration_seconds": "long", "nested": nil}},
		{Type: "content.updated", Content: Content{Title: ""}},
		{Type: "content.updated", Content: Content{Title: "x", Metadata: map[string]any{"department": "", "count": nil, "region": 3.0}},
			Data: map[string]any{"nested": map[string]any{}}},
	}
	for _, cond := range conditions {
		set := &rules.Set{}
		require.Empty(t, set.Add("fast.yaml", []byte("version: 1\nrules:\n  - name: r\n    when: '"+cond+"'\n    actions: {folder: A}\n")), cond)
		rs, errs := compileSet(set)
		require.Empty(t, errs, cond)
		r := rs.rules[0]
		require.NotNil(t, r.when.fast, "%s should have a fast path", cond)
		for i := range events {
			st := getState(context.Background())
			st.setEvent(events[i], time.Time{})
			fast, ok := r.when.fast(&st.fast)
			out, err := st.run(r.when.compiled, st.environment())
			putState(st)
			if !ok {
				continue
			}
			require.NoError(t, err, "%s on event %d: the fast path answered %v where expr fails", cond, i, fast)
			require.Equal(t, out, fast, "%s on event %d", cond, i)
		}
	}
}
