package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A small rule set a content manager might write for their first rules.
const firstRules = `version: 1
rules:
  - name: training
    on: [content.uploaded]
    when: containsAny(lower(title), ["training", "onboarding"])
    stop: true
    actions:
      folder: Training
      tags: [training]

  - name: inbox
    on: [content.uploaded]
    actions:
      folder: Inbox

  - name: archive-deleted
    on: [content.deleted]
    actions:
      tags: [deleted]
`

// firstTests has two tests; the first expects folder %s (line 9).
const firstTests = `tests:
  - name: onboarding goes to Training
    event:
      provider: vaultstream
      type: content.uploaded
      content: {id: c1, title: Onboarding 101}
    expect:
      matched: [training]
      folder: %s
      tags: [training]

  - name: anything else goes to the inbox
    event:
      provider: vaultstream
      type: content.uploaded
      content: {id: c2, title: Holiday party}
    expect:
      matched: [inbox]
      folder: Inbox
      tags: []
`

// TestTestFailsThenPasses: a wrong expectation fails with what was expected
// and what the rules did, at the expectation's position, and exits 1; once
// the user fixes the expectation, the same command passes and exits 0.
func TestTestFailsThenPasses(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "rules.yaml", firstRules)
	tests := writeFile(t, dir, "rules_test.yaml", fmt.Sprintf(firstTests, "Trainings"))

	r := organizer(t, "test", dir)
	require.Equal(t, exitFailure, r.code, "%s", r)
	out := lines(r.stdout)
	require.NotEmpty(t, out)
	require.Equal(t, "1 passed, 1 failed", out[len(out)-1], "%s", r.stdout)
	require.Contains(t, r.stdout, "--- FAIL: onboarding goes to Training ("+tests+":2:5)")
	// The difference, at the line of the wrong expectation.
	require.Contains(t, r.stdout, tests+`:9:7: folder: want "Trainings", got "Training"`)
	require.NotContains(t, r.stdout, "anything else goes to the inbox", "a passing test is not listed as failing")

	// Fix the expectation: the same run now passes.
	writeFile(t, dir, "rules_test.yaml", fmt.Sprintf(firstTests, "Training"))
	r = organizer(t, "test", dir)
	require.Equal(t, exitOK, r.code, "%s", r)
	out = lines(r.stdout)
	require.Equal(t, "2 passed, 0 failed", out[len(out)-1], "%s", r.stdout)
	require.NotContains(t, r.stdout, "FAIL")
	require.Empty(t, r.stderr)
}

// TestTestShowsListDifferences: a wrong list expectation shows both lists.
func TestTestShowsListDifferences(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "rules.yaml", firstRules)
	tests := writeFile(t, dir, "rules_test.yaml", strings.Replace(fmt.Sprintf(firstTests, "Training"),
		"matched: [inbox]", "matched: [training, inbox]", 1))

	r := organizer(t, "test", dir)
	require.Equal(t, exitFailure, r.code, "%s", r)
	require.Contains(t, r.stdout, tests+`:18:7: matched: want ["training","inbox"], got ["inbox"]`)
	require.True(t, strings.HasSuffix(r.stdout, "1 passed, 1 failed\n"), "%s", r.stdout)
}

// TestTestReportsUncoveredRule: a rule that no test sees match is named in
// the coverage report, with its position; rules the tests exercise are not.
func TestTestReportsUncoveredRule(t *testing.T) {
	dir := t.TempDir()
	rules := writeFile(t, dir, "rules.yaml", firstRules)
	writeFile(t, dir, "rules_test.yaml", fmt.Sprintf(firstTests, "Training"))

	r := organizer(t, "test", dir)
	require.Equal(t, exitOK, r.code, "uncovered rules are reported, not a failure: %s", r)
	var uncovered []string
	for _, l := range lines(r.stdout) {
		if strings.Contains(l, "matched in no test") {
			uncovered = append(uncovered, l)
		}
	}
	require.Equal(t, []string{"coverage: rule archive-deleted (" + rules + ":16:5) matched in no test"}, uncovered, "%s", r.stdout)
	require.Equal(t, "name: archive-deleted", textAt(t, rules, 16, 5), "the position points at the rule")
	require.Contains(t, r.stdout, "coverage: 2 of 3 rules matched in some test")
}

// TestTestWithoutTests: rules with no *_test.yaml beside them is a failure
// that says where tests go, not a silent pass.
func TestTestWithoutTests(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "rules.yaml", firstRules)
	r := organizer(t, "test", dir)
	require.Equal(t, exitFailure, r.code, "%s", r)
	require.Contains(t, r.stderr, "no rule tests found")
	require.Contains(t, r.stderr, "_test.yaml")
}

// TestTestOnInvalidRules: test refuses rules that do not check, prints the
// same problems check prints, and runs no test.
func TestTestOnInvalidRules(t *testing.T) {
	check := organizer(t, "check", "testdata/mistakes.yaml")
	r := organizer(t, "test", "testdata/mistakes.yaml")
	require.Equal(t, exitFailure, r.code, "%s", r)
	require.Contains(t, r.stdout, "testdata/mistakes.yaml:16:35: unknown name lowr; did you mean lower?")
	require.Equal(t, check.stdout, r.stdout)
	require.NotContains(t, r.stdout, "passed")
}
