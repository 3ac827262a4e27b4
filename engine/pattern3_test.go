package engine

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// pattern3Rules compiles the example rule file that expresses Pattern 3.
func pattern3Rules(tb testing.TB) *Ruleset {
	tb.Helper()
	l, errs := Load([]string{"../examples/rules/organize.yaml"})
	require.Empty(tb, errs)
	return l.Ruleset
}

func planResult(d Decision) nativeResult {
	return nativeResult{Folder: d.Plan.Folder, Visibility: d.Plan.Visibility, Tags: d.Plan.Tags}
}

func normalizeTags(r nativeResult) nativeResult {
	if r.Tags == nil {
		r.Tags = []string{}
	}
	return r
}

// TestPattern3RulesAgreeWithNative checks that the rules and the hand-written
// Go give the same plan on every event of the benchmark mix, on the indexed
// path and on the traced one.
func TestPattern3RulesAgreeWithNative(t *testing.T) {
	rs := pattern3Rules(t)
	hits := map[string]int{}
	for _, ev := range pattern3Events(1000, 42) {
		want := normalizeTags(classifyNative(ev.Content.Title, ev.Content.Metadata))
		fast := rs.Evaluate(context.Background(), ev)
		traced := rs.Evaluate(context.Background(), ev, FullTrace())
		require.Equal(t, want, planResult(fast), "event %s %q %v", ev.ID, ev.Content.Title, ev.Content.Metadata)
		require.Equal(t, want, planResult(traced), "traced: event %s", ev.ID)
		require.Len(t, fast.Matched, 1)
		hits[fast.Matched[0]]++
	}
	t.Logf("rule hits over 1000 events: %v", hits)
	for _, name := range []string{"training", "leadership", "department", "uncategorized"} {
		require.Greater(t, hits[name], 50, "the mix must exercise rule %s", name)
	}
}

// TestPattern3MatchesSeedPython runs the seed's own Python function over the
// same events and compares every answer with the rules'.
func TestPattern3MatchesSeedPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed; the seed's Python cannot run")
	}
	events := pattern3Events(1000, 42)
	type input struct {
		ID       string         `json:"id"`
		Title    string         `json:"title"`
		Metadata map[string]any `json:"metadata"`
	}
	in := make([]input, len(events))
	for i, ev := range events {
		in[i] = input{ev.ID, ev.Content.Title, ev.Content.Metadata}
	}
	raw, err := json.Marshal(in)
	require.NoError(t, err)
	f, err := os.CreateTemp(t.TempDir(), "events*.json")
	require.NoError(t, err)
	_, err = f.Write(raw)
	require.NoError(t, err)
	_, err = f.Seek(0, 0)
	require.NoError(t, err)
	cmd := exec.Command(python, "testdata/pattern3_seed.py")
	cmd.Stdin = f
	out, err := cmd.Output()
	require.NoError(t, err)
	var want []nativeResult
	require.NoError(t, json.Unmarshal(out, &want))
	require.Len(t, want, len(events))
	rs := pattern3Rules(t)
	for i, ev := range events {
		got := planResult(rs.Evaluate(context.Background(), ev))
		require.Equal(t, normalizeTags(want[i]), got, "event %s %q %v", ev.ID, ev.Content.Title, ev.Content.Metadata)
	}
}

// BenchmarkPattern3 compares Pattern 3 as rules with the same logic written
// in Go, one event per op over the same 1,000-event mix.
func BenchmarkPattern3(b *testing.B) {
	events := pattern3Events(1000, 42)
	b.Run("native", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			ev := &events[i%len(events)]
			_ = classifyNative(ev.Content.Title, ev.Content.Metadata)
		}
	})
	rs := pattern3Rules(b)
	ctx := context.Background()
	b.Run("rules", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = rs.Evaluate(ctx, events[i%len(events)])
		}
	})
}
