package engine

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/rules"
)

// guarded is a rule set whose launch rule makes content public, with a
// guard that holds public content nobody approved.
const guarded = `version: 1
guards:
  - name: unapproved-public
    when: plan.visibility == "public" && metadata.approved != true
    message: public content needs metadata.approved
  - name: broken
    when: int(metadata.level) > 3
    message: level too high
rules:
  - name: launch
    on: [content.uploaded]
    when: lower(title) contains "launch"
    actions: {visibility: public, tags: [launch]}
`

func launchEvent(metadata map[string]any) Event {
	return Event{Provider: "vaultstream", Type: "content.uploaded",
		Content: Content{ID: "c1", Title: "Product Launch", Metadata: metadata}}
}

func TestGuardHoldsDecision(t *testing.T) {
	rs := loadText(t, guarded)
	for _, opts := range [][]EvalOption{nil, {FullTrace()}} {
		d := rs.Evaluate(context.Background(), launchEvent(map[string]any{"level": 1}), opts...)
		require.Equal(t, []string{"unapproved-public"}, d.HeldBy)
		require.Equal(t, []Hold{{Guard: "unapproved-public", Message: "public content needs metadata.approved", Position: "s.yaml:3:11"}}, d.Holds)
		require.Equal(t, "public", d.Plan.Visibility, "a guard does not change the plan")
		require.Equal(t, []string{"launch"}, d.Plan.Tags)

		d = rs.Evaluate(context.Background(), launchEvent(map[string]any{"approved": true, "level": 1}), opts...)
		require.Empty(t, d.HeldBy, "approved content is not held")
	}
}

func TestHeldByIsAlwaysInJSON(t *testing.T) {
	rs := loadText(t, guarded)
	d := rs.Evaluate(context.Background(), launchEvent(map[string]any{"approved": true, "level": 1}))
	var got map[string]any
	b, err := json.Marshal(d)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &got))
	require.Equal(t, []any{}, got["held_by"])
	require.Equal(t, []any{}, got["holds"])
}

// TestGuardErrorHolds: a guard that cannot be evaluated fails closed.
func TestGuardErrorHolds(t *testing.T) {
	rs := loadText(t, guarded)
	d := rs.Evaluate(context.Background(), launchEvent(map[string]any{"approved": true, "level": "high"}))
	require.Equal(t, []string{"broken"}, d.HeldBy)
	require.Contains(t, d.Holds[0].Message, "level too high (the guard could not be evaluated, so the decision is held: ")
}

// TestGuardDeadlineHolds: guards that the deadline stops hold the decision.
func TestGuardDeadlineHolds(t *testing.T) {
	rs := loadText(t, guarded)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := rs.Evaluate(ctx, launchEvent(map[string]any{"approved": true, "level": 1}))
	require.Equal(t, []string{"unapproved-public", "broken"}, d.HeldBy)
	require.Contains(t, d.Holds[0].Message, "evaluation deadline exceeded before this guard ran")
}

func TestGuardErrors(t *testing.T) {
	text := `version: 1
guards:
  - name: typo
    when: plan.visibilty == "public"
  - name: typo
    when: plan.folder ==
  - name: nowhen
    message: x
  - name: extra
    when: true
    colour: red
  - name: perm
    when: any(plan.permissions, .tem == "x")
rules:
  - name: early
    when: plan.folder == "x"
    actions: {folder: A}
`
	_, errs := LoadFiles(map[string][]byte{"g.yaml": []byte(text)})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	require.Equal(t, []string{
		"g.yaml:4:16: plan has no field visibilty; did you mean visibility?",
		`g.yaml:5:11: guard name "typo" is already used at g.yaml:3:11`,
		"g.yaml:6:24: unexpected token EOF",
		`g.yaml:7:5: guard "nowhen" needs a when: the condition that puts a decision on hold`,
		`g.yaml:11:5: unknown guard field "colour"`,
		"g.yaml:13:34: permission has no field tem; did you mean team?",
		"g.yaml:16:11: plan is the merged plan, which only guards can read: rules run before it exists",
	}, trimSuggestions(got))
}

// trimSuggestions drops the list of valid keys after an unknown-key error.
func trimSuggestions(msgs []string) []string {
	for i, m := range msgs {
		if j := len(`g.yaml:11:5: unknown guard field "colour"`); len(m) > j && m[:j] == `g.yaml:11:5: unknown guard field "colour"` {
			msgs[i] = m[:j]
		}
	}
	return msgs
}

func TestRuleTestExpectsHeldBy(t *testing.T) {
	set := &rules.Set{}
	require.Empty(t, set.Add("r.yaml", []byte(guarded)))
	require.Empty(t, set.Add("r_test.yaml", []byte(`tests:
  - name: unapproved launch is held
    event: {type: content.uploaded, content: {id: a, title: Launch, metadata: {level: 1}}}
    expect: {visibility: public, held_by: [unapproved-public]}
  - name: wrongly expected to go
    event: {type: content.uploaded, content: {id: a, title: Launch, metadata: {level: 1}}}
    expect: {held_by: []}
`)))
	rs, errs := compileSet(set)
	require.Empty(t, errs)
	report := rs.RunTests(context.Background(), set, nil)
	require.True(t, report.Results[0].Passed, report.Results[0].Failures)
	require.Equal(t, []string{`r_test.yaml:7:14: held_by: want [], got ["unapproved-public"]` +
		` (unapproved-public at r.yaml:3:11: public content needs metadata.approved)`}, report.Results[1].Failures)
}

// BenchmarkGuards measures what one guard adds to evaluating Pattern 3:
// compare guards=0 with guards=1 of the same run.
func BenchmarkGuards(b *testing.B) {
	events := pattern3Events(1000, 42)
	text, err := os.ReadFile("../examples/rules/organize.yaml")
	require.NoError(b, err)
	guard := "\nguards:\n  - name: public\n    when: plan.visibility == \"public\" && metadata.approved != true\n"
	for _, c := range []struct{ name, text string }{{"guards=0", string(text)}, {"guards=1", string(text) + guard}} {
		l, errs := LoadFiles(map[string][]byte{"organize.yaml": []byte(c.text)})
		require.Empty(b, errs)
		ctx := context.Background()
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				_ = l.Ruleset.Evaluate(ctx, events[i%len(events)])
			}
		})
	}
}
