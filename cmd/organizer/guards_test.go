package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const guardRules = "testdata/guards/rules.yaml"

// TestDryRunShowsHold: a decision a guard holds says so, with the guard's
// message, in the text output and in JSON.
func TestDryRunShowsHold(t *testing.T) {
	r := organizer(t, "dry-run", "--rules", guardRules, "--event", "testdata/guards/event.json", "--now", fixedNow)
	require.Equal(t, exitOK, r.code, "%s", r)
	require.Contains(t, r.stdout, "\nheld by: unapproved-public (public content needs metadata.approved)\n")

	doc := dryRunJSON(t, guardRules, "testdata/guards/event.json")
	require.Equal(t, []any{"unapproved-public"}, doc["held_by"])
	require.Equal(t, []any{map[string]any{"guard": "unapproved-public", "message": "public content needs metadata.approved",
		"position": guardRules + ":4:11"}}, doc["holds"])
}

// TestRuleTestHeldBy: a rule test can expect a hold.
func TestRuleTestHeldBy(t *testing.T) {
	r := organizer(t, "test", "testdata/guards")
	require.Equal(t, exitOK, r.code, "%s", r)
	require.Contains(t, r.stdout, "2 passed, 0 failed")
}
