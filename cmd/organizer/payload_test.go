package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDryRunPayload dry-runs raw webhook bodies as the platforms send them,
// decoded by each provider's adapter: a SHIFT72 ingestion-completed
// notification and a VaultStream transcode.
func TestDryRunPayload(t *testing.T) {
	for _, c := range []struct {
		provider, payload, content, matched, folder string
	}{
		{"shift72", "shift72-ingestion-completed.json", "/film/176", "film-ingested", "Ready To Publish"},
		{"vaultstream", "vaultstream-content-transcoded.json", "c_1001", "publish-to-department", "General"},
	} {
		r := organizer(t, "dry-run", "--rules", examplesRules, "--provider", c.provider,
			"--payload", filepath.Join("../../examples/payloads", c.payload), "--format", "json")
		require.Equal(t, exitOK, r.code, "%s", r)
		var doc struct {
			Event struct {
				ID, Provider, Type string
				Content            struct{ ID string }
			}
			Matched []string
			Plan    struct{ Folder string }
		}
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
		require.Equal(t, c.provider, doc.Event.Provider)
		require.Equal(t, c.content, doc.Event.Content.ID)
		require.Regexp(t, "^"+c.provider+"_[0-9a-f]{32}$", doc.Event.ID)
		require.Equal(t, []string{c.matched}, doc.Matched)
		require.Equal(t, c.folder, doc.Plan.Folder)
	}
}

func TestDryRunBadPayloads(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ provider, body, want string }{
		"malformed":        {"shift72", `{"eventType": `, "malformed webhook body"},
		"no type":          {"vaultstream", `{"data": {}}`, `no "type"`},
		"unknown provider": {"vimeo", `{}`, `unknown provider "vimeo"`},
	} {
		r := organizer(t, "dry-run", "--rules", examplesRules, "--provider", c.provider, "--payload", writeFile(t, dir, name+".json", c.body))
		require.Equal(t, exitFailure, r.code, name)
		require.Contains(t, r.stderr, c.want, name)
		require.Empty(t, r.stdout, name)
	}
}
