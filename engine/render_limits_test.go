package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/rules"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func traceByRule(d Decision) map[string]TraceEntry {
	out := map[string]TraceEntry{}
	for _, e := range d.Trace {
		out[e.Rule] = e
	}
	return out
}

// TestHugeFolderTemplate: a folder template of many repeat(…, 1000000)
// parts (the attacker's probe, scaled down) is an error naming the limit,
// found before the strings are built; the other rules still run.
func TestHugeFolderTemplate(t *testing.T) {
	folder := strings.Repeat("{{ repeat('x', 1000000) }}", 300)
	small := strings.Repeat("{{ repeat('x', 60000) }}", 300) // each part fits; the value does not
	rs, errs := compileText(t, fmt.Sprintf(`version: 1
rules:
  - name: huge
    actions: {folder: "%s"}
  - name: wide
    actions: {folder: "%s"}
  - name: fine
    actions: {tags: [ok]}
`, folder, small))
	require.Empty(t, errs)
	ev := Event{Type: "content.uploaded", Content: Content{ID: "c1", Title: "t"}}
	var d Decision
	bytes := allocated(func() { d = rs.Evaluate(context.Background(), ev, FullTrace()) })
	require.Equal(t, []string{"fine"}, d.Matched)
	byRule := traceByRule(d)
	require.Equal(t, Errored, byRule["huge"].Verdict)
	require.Contains(t, byRule["huge"].Detail, "more than the 64 KiB a value may hold")
	require.Equal(t, Errored, byRule["wide"].Verdict)
	require.Contains(t, byRule["wide"].Detail, "template renders more than 64 KiB")
	require.Less(t, bytes, uint64(16<<20), "allocated %d bytes", bytes)
}

// TestRenderedPerEvent: many rules that each render a large value fit the
// per-value limit but not the event's 1 MiB: the rules past it are errors.
func TestRenderedPerEvent(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nrules:\n")
	for i := range 40 {
		fmt.Fprintf(&b, "  - name: r%d\n    actions: {tags: [\"t%d-{{ repeat('x', 60000) }}\"]}\n", i, i)
	}
	rs, errs := compileText(t, b.String())
	require.Empty(t, errs)
	ev := Event{Type: "content.uploaded", Content: Content{ID: "c1", Title: "t"}}
	var d Decision
	bytes := allocated(func() { d = rs.Evaluate(context.Background(), ev, FullTrace()) })
	require.NotEmpty(t, d.Matched)
	require.Less(t, len(d.Matched), 20, "at most 1 MiB of rendering")
	last := traceByRule(d)["r39"]
	require.Equal(t, Errored, last.Verdict)
	require.Regexp(t, "1 MiB (rendered per event|for this event)", last.Detail)
	require.Less(t, bytes, uint64(16<<20), "allocated %d bytes", bytes)
}

func nested(depth int) any {
	var v any = "leaf"
	for range depth {
		v = []any{v}
	}
	return v
}

// TestToJSONDeeplyNested: toJSON's indentation grows with the square of the
// nesting depth; a small deeply nested payload (the attacker's 54 KB probe,
// scaled down) is refused before the indented text is built.
func TestToJSONDeeplyNested(t *testing.T) {
	rs, errs := compileText(t, `version: 1
rules:
  - name: json
    actions: {metadata: {dump: "{{ toJSON(data) }}"}}
  - name: json-when
    when: len(toJSON(data)) > 0
    actions: {tags: [dumped]}
  - name: fine
    actions: {tags: [ok]}
`)
	require.Empty(t, errs)
	ev := Event{Type: "content.uploaded", Content: Content{ID: "c1"}, Data: map[string]any{"x": nested(5000)}}
	var d Decision
	bytes := allocated(func() { d = rs.Evaluate(context.Background(), ev, FullTrace()) })
	require.Equal(t, []string{"fine"}, d.Matched)
	byRule := traceByRule(d)
	require.Equal(t, Errored, byRule["json"].Verdict)
	require.Contains(t, byRule["json"].Detail, "more than the 64 KiB a value may hold")
	require.Equal(t, Errored, byRule["json-when"].Verdict)
	require.Less(t, bytes, uint64(16<<20), "allocated %d bytes", bytes)
}

// TestToJSONMatchesExpr: the bounded toJSON gives expr's output.
func TestToJSONMatchesExpr(t *testing.T) {
	for _, v := range []any{nil, 1.5, "a<b>\"\\\n", []any{}, map[string]any{}, []any{[]any{}, map[string]any{}},
		map[string]any{"b": []any{1.0, "x", map[string]any{"k": nil}}, "a": map[string]any{"c": true, "d": []any{}}},
		nested(20), eventVars{ID: "e", ReceivedAt: time.Unix(0, 0).UTC()}} {
		want, err := json.MarshalIndent(v, "", "  ")
		require.NoError(t, err)
		got, err := toJSON(v, &renderBudget{})
		require.NoError(t, err)
		require.Equal(t, string(want), got)
		compact, _ := json.Marshal(v)
		require.Equal(t, len(want), indentedLen(compact, 1<<30))
	}
}

// TestHelpersChargeBudget: the helpers that build strings refuse, before
// building, what exceeds the limits, and count what they build.
func TestHelpersChargeBudget(t *testing.T) {
	rs, errs := compileText(t, `version: 1
rules:
  - name: doubling
    when: 'let a = title + title; let b = a + a; let c = b + b; let d = c + c; let e = d + d; let f = e + e; let g = f + f; len(g + g) > 0'
    actions: {folder: A}
  - name: base64
    when: len(toBase64(repeat("x", 60000))) > 0
    actions: {folder: B}
  - name: join
    when: len(join(data.items, repeat("-", 1000))) > 0
    actions: {folder: C}
  - name: string
    when: len(string(data.items)) > 0
    actions: {folder: D}
  - name: lower
    when: len(lower(repeat("X", 60000) + repeat("X", 10000))) > 0
    actions: {folder: E}
  - name: fine
    when: toBase64(lower(title[:3])) == "eHh4" && join(["a", "b"], "+") == "a+b" && string(1) == "1"
    actions: {tags: [ok]}
`)
	require.Empty(t, errs)
	items := make([]any, 1000)
	for i := range items {
		items[i] = "item"
	}
	ev := Event{Type: "content.uploaded", Content: Content{ID: "c1", Title: strings.Repeat("x", 1000)},
		Data: map[string]any{"items": items}}
	d := rs.Evaluate(context.Background(), ev, FullTrace())
	require.Equal(t, []string{"string", "fine"}, d.Matched) // string(data.items) is 6 KB: fine
	byRule := traceByRule(d)
	for rule, detail := range map[string]string{"doubling": "+ would build", "base64": "toBase64 would build",
		"join": "join would build", "lower": "lower: the string is"} {
		require.Equal(t, Errored, byRule[rule].Verdict, rule)
		require.Contains(t, byRule[rule].Detail, detail, rule)
		require.Contains(t, byRule[rule].Detail, "64 KiB", rule)
	}
	require.Equal(t, Matched, byRule["fine"].Verdict, byRule["fine"].Detail)
}

// TestRenderingStopsAtDeadline: a template still rendering when the
// evaluation's deadline passes stops, and the rule is an error.
func TestRenderingStopsAtDeadline(t *testing.T) {
	rs, errs := compileText(t, `version: 1
rules:
  - name: slow
    actions: {folder: "`+strings.Repeat("{{ title }}-{{ all(data.items, all(data.items, true)) }}", 500)+`"}
`)
	require.Empty(t, errs)
	items := make([]any, 1000)
	for i := range items {
		items[i] = float64(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	d := rs.Evaluate(ctx, Event{Type: "content.uploaded", Content: Content{ID: "c1", Title: "t"}, Data: map[string]any{"items": items}}, FullTrace())
	require.Less(t, time.Since(start), 10*time.Second)
	e := traceByRule(d)["slow"]
	require.Equal(t, Errored, e.Verdict)
	require.Contains(t, e.Detail, "deadline exceeded")
}

// BenchmarkHostileTemplate shows the bounded cost of the attacker's probe.
func BenchmarkHostileTemplate(b *testing.B) {
	set := strings.Repeat("{{ repeat('x', 1000000) }}", 3000)
	set2 := &rules.Set{}
	if errs := set2.Add("bench.yaml", []byte("version: 1\nrules:\n  - name: huge\n    actions: {folder: \""+set+"\"}\n")); len(errs) > 0 {
		b.Fatal(errs)
	}
	rs, errs := compileSet(set2)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	ev := Event{Type: "content.uploaded", Content: Content{ID: "c1"}}
	b.ReportAllocs()
	for b.Loop() {
		rs.Evaluate(context.Background(), ev)
	}
}
