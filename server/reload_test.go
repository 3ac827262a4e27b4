package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// After an edit of a rule file, the next webhook is decided by the edited
// rules: the decision names the new ruleset and follows the new actions.
// Once through the watcher, once through POST /v1/rules/reload.
func TestRulesEditDecidesNextEvent(t *testing.T) {
	h := startHarness(t, recordOnly)
	file := filepath.Join(h.rules, "media.yaml")
	text, err := os.ReadFile(file)
	require.NoError(t, err)
	decide := func(contentID string) decision {
		t.Helper()
		_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": contentID, "title": "Marketing reel " + contentID}))
		return decisionOf(t, h.waitFor(resp["event_id"].(string), 5*time.Second, StatusRecorded))
	}
	digest := func() string {
		_, st := h.do(http.MethodGet, "/v1/rules", nil, nil)
		return st["digest"].(string)
	}

	first := decide("c_1")
	require.Equal(t, "Marketing", first.Plan.Folder)
	require.Equal(t, digest(), first.Ruleset)

	// Saved in an editor: the watcher picks it up.
	writeRenamed(t, file, strings.Replace(string(text), "folder: Marketing", "folder: Promotion", 1))
	require.Eventually(t, func() bool { return digest() != first.Ruleset }, 5*time.Second, 10*time.Millisecond)
	second := decide("c_2")
	require.Equal(t, "Promotion", second.Plan.Folder, "the next event is decided by the edited rules")
	require.Equal(t, digest(), second.Ruleset)

	// Written in place, then reloaded by hand: in force when the reload answers.
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(string(text), "folder: Marketing", "folder: Campaigns", 1)), 0o644))
	status, _ := h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(t, http.StatusOK, status)
	third := decide("c_3")
	require.Equal(t, "Campaigns", third.Plan.Folder, "the next event is decided by the reloaded rules")
	require.NotEqual(t, second.Ruleset, third.Ruleset)
}
