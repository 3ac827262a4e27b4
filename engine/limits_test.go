package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/rules"
)

func compileText(t *testing.T, text string) (*Ruleset, rules.ErrorList) {
	t.Helper()
	set := &rules.Set{}
	require.Empty(t, set.Add("limits.yaml", []byte(text)))
	return compileSet(set)
}

// TestDeadlineStopsLongLoops: expr terminates but is not bounded (10^9
// iterations here); the per-event deadline stops the loop between
// iterations, marks the rule as an error and the rules after it too.
func TestDeadlineStopsLongLoops(t *testing.T) {
	rs, errs := compileText(t, `version: 1
rules:
  - name: before
    actions: {tags: [ok]}
  - name: cubic
    when: all(data.items, all(data.items, all(data.items, true)))
    actions: {folder: A}
  - name: growing-string
    when: 'len(reduce(1..5000, #acc + title, "")) > 0'
    actions: {folder: B}
  - name: after
    actions: {tags: [late]}
`)
	require.Empty(t, errs)
	items := make([]any, 1000)
	for i := range items {
		items[i] = float64(i)
	}
	ev := Event{Type: "content.uploaded", Content: Content{Title: strings.Repeat("x", 1000)}, Data: map[string]any{"items": items}}
	for _, opts := range [][]EvalOption{{FullTrace()}, nil} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		d := rs.Evaluate(ctx, ev, opts...)
		cancel()
		require.Equal(t, []string{"before"}, d.Matched)
		byRule := map[string]TraceEntry{}
		for _, e := range d.Trace {
			byRule[e.Rule] = e
		}
		require.Equal(t, Errored, byRule["cubic"].Verdict)
		require.Contains(t, byRule["cubic"].Detail, "deadline exceeded")
		require.Equal(t, Errored, byRule["after"].Verdict, "rules after the deadline do not run")
	}
}

func TestExpressionSizeLimits(t *testing.T) {
	long := strings.Repeat(`title == "x" || `, 300) + "true"
	_, errs := compileText(t, fmt.Sprintf("version: 1\nrules:\n  - name: long\n    when: '%s'\n    actions: {folder: A}\n", long))
	require.Len(t, errs, 1)
	require.Equal(t, fmt.Sprintf("limits.yaml:4:12: expression is %d bytes long; the limit is 4096", len(long)), errs[0].Error())

	nodes := strings.Repeat("1+", 1200) + "1 > 0"
	_, errs = compileText(t, fmt.Sprintf("version: 1\nrules:\n  - name: nodes\n    when: %s\n    actions: {folder: A}\n", nodes))
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "exceeds maximum allowed nodes")

	// A megabyte of parentheses kills expr's parser with a stack overflow
	// that no recover catches; the size limit refuses it before parsing.
	parens := strings.Repeat("(", 1<<20) + "true" + strings.Repeat(")", 1<<20)
	_, errs = compileText(t, fmt.Sprintf("version: 1\nrules:\n  - name: parens\n    when: %s\n    actions: {folder: A}\n", parens))
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "the limit is 4096")
}

// TestConcurrentEvaluation evaluates one ruleset from many goroutines; run
// with -race it shows the compiled ruleset is safe to share.
func TestConcurrentEvaluation(t *testing.T) {
	rs := scaleRules(t, 500)
	events := scaleEvents(200, 3)
	want := make([]Decision, len(events))
	for i, ev := range events {
		want[i] = rs.Evaluate(context.Background(), ev)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range events {
				j := (i + g*17) % len(events)
				var opts []EvalOption
				if g%2 == 1 {
					opts = append(opts, FullTrace()) // half the goroutines trace
				}
				got := rs.Evaluate(context.Background(), events[j], opts...)
				assert.Equal(t, want[j].Matched, got.Matched)
				assert.Equal(t, want[j].Plan, got.Plan)
			}
		})
	}
	wg.Wait()
}
