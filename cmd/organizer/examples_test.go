package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/engine"
)

// TestExamplesCheck: the shipped example rules are valid.
func TestExamplesCheck(t *testing.T) {
	r := organizer(t, "check", examplesRules)
	require.Equal(t, exitOK, r.code, "the examples must stay valid: %s", r)
	require.Empty(t, r.stderr)
	require.Regexp(t, `^ok: \d+ rules in \d+ files, \d+ tests \(ruleset sha256:[0-9a-f]{64}\)\n$`, r.stdout)
}

// TestExamplesTest: the shipped example tests pass, and every example rule
// is matched by some test.
func TestExamplesTest(t *testing.T) {
	r := organizer(t, "test", examplesRules)
	require.Equal(t, exitOK, r.code, "the example tests must pass: %s", r)
	require.Empty(t, r.stderr)
	out := lines(r.stdout)
	require.Regexp(t, `^\d+ passed, 0 failed$`, out[len(out)-1])
	require.NotContains(t, r.stdout, "FAIL")
	require.NotContains(t, r.stdout, "matched in no test", "an example rule has no test")
}

// TestExamplesEvents: every example event dry-runs cleanly in both formats,
// with a trace entry per rule and none in error, and lands where the
// example's name says it should.
func TestExamplesEvents(t *testing.T) {
	events, err := filepath.Glob(filepath.Join(examplesEvents, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, events)
	loaded, errs := engine.Load([]string{examplesRules}, compileOptions()...)
	require.Empty(t, errs)
	ruleCount := len(loaded.Ruleset.Rules())

	wantMatched := map[string][]any{
		"finance-uploaded.json":    {"department"},
		"hr-transcoded.json":       {"publish-to-department"},
		"launch-transcoded.json":   {"launch-public", "publish-to-department"},
		"onboarding-uploaded.json": {"training"},
		"town-hall-uploaded.json":  {"leadership"},
	}
	for _, event := range events {
		name := filepath.Base(event)
		t.Run(name, func(t *testing.T) {
			doc := dryRunJSON(t, examplesRules, event)
			trace := requireDecisionShape(t, doc)
			require.Len(t, trace, ruleCount, "one trace entry per example rule")
			for _, e := range trace {
				require.NotEqual(t, "error", e["result"], "%s: rule %s: %s", name, e["rule"], e["detail"])
				requirePositionAtName(t, e["position"].(string), e["rule"].(string))
			}
			if want, ok := wantMatched[name]; ok {
				require.Equal(t, want, doc["matched"])
			} else {
				require.NotEmpty(t, doc["matched"], "%s matches no example rule", name)
			}

			r := organizer(t, "dry-run", "--rules", examplesRules, "--event", event)
			require.Equal(t, exitOK, r.code, "%s", r)
			require.Empty(t, r.stderr)
			require.True(t, strings.Contains(r.stdout, "\nplan\n") && strings.Contains(r.stdout, "\ntrace\n"), "%s", r.stdout)
		})
	}

	t.Run("pattern 1 publishes to the department", func(t *testing.T) {
		doc := dryRunJSON(t, examplesRules, filepath.Join(examplesEvents, "hr-transcoded.json"))
		plan := doc["plan"].(map[string]any)
		require.Equal(t, "HR", plan["folder"])
		require.Equal(t, "team", plan["visibility"])
		require.Equal(t, []any{map[string]any{"team": "HR", "permission": "view"}}, plan["permissions"])
	})
}
