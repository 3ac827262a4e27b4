package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// TestDryRunLiveItem evaluates an item as the platform has it, fetched from
// the VaultStream simulator, and checks that nothing was written.
func TestDryRunLiveItem(t *testing.T) {
	sim := vaultstreamtest.NewServer()
	defer sim.Close()
	sim.AddContent(vaultstreamtest.Content{ID: "c_77", Title: "Compliance module 3", Metadata: map[string]any{"department": "Legal"}})
	t.Setenv("ORGANIZER_VAULTSTREAM_API_URL", sim.URL())
	t.Setenv("ORGANIZER_VAULTSTREAM_API_TOKEN", sim.Token())

	r := organizer(t, "dry-run", "--rules", examplesRules, "--provider", "vaultstream", "--content-id", "c_77",
		"--type", "content.uploaded", "--format", "json")
	require.Equal(t, exitOK, r.code, "%s", r)
	var doc struct {
		Matched []string
		Plan    struct{ Folder string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.Equal(t, []string{"training"}, doc.Matched)
	require.Equal(t, "Training", doc.Plan.Folder)
	require.Empty(t, sim.Writes(), "a dry-run never writes")

	r = organizer(t, "dry-run", "--rules", examplesRules, "--provider", "vaultstream", "--content-id", "c_nope", "--type", "content.uploaded")
	require.Equal(t, exitFailure, r.code)
	require.Contains(t, r.stderr, "permanent failure")

	t.Setenv("ORGANIZER_VAULTSTREAM_API_TOKEN", "")
	r = organizer(t, "dry-run", "--rules", examplesRules, "--provider", "vaultstream", "--content-id", "c_77", "--type", "content.uploaded")
	require.Equal(t, exitFailure, r.code)
	require.Contains(t, r.stderr, "needs ORGANIZER_VAULTSTREAM_API_URL and ORGANIZER_VAULTSTREAM_API_TOKEN")
}
