package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckWarnsAboutPayloadFields: a rule reading a data field that its
// provider's documented payload lacks gets a warning with a suggestion, at
// the field's position; the rules are still valid.
func TestCheckWarnsAboutPayloadFields(t *testing.T) {
	path := writeFile(t, t.TempDir(), "rules.yaml", `version: 1
rules:
  - name: long-videos
    on: [content.transcoded]
    when: data.duration_secs > 600
    actions: {tags: [long]}
  - name: completed-films
    on: [ingestion_updated]
    when: data.status == "completed"
    actions: {folder: Ready To Publish}
`)
	r := organizer(t, "check", path)
	require.Equal(t, exitOK, r.code, "a warning does not fail check: %s", r)
	out := lines(r.stdout)
	require.Len(t, out, 2, "%s", r.stdout)
	require.Equal(t, path+":5:11: warning: data.duration_secs is not in the documented payload of content.transcoded; did you mean data.duration_seconds?", out[0])
	require.Regexp(t, `^ok: 2 rules in 1 file`, out[1])

	r = organizer(t, "check", "--format", "json", path)
	require.Equal(t, exitOK, r.code, "%s", r)
	var doc struct {
		Valid    bool
		Warnings []struct{ Message string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.True(t, doc.Valid)
	require.Len(t, doc.Warnings, 1)
	require.Contains(t, doc.Warnings[0].Message, "did you mean data.duration_seconds?")
}

// TestCheckExamplesHaveNoWarnings: the examples read only documented fields.
func TestCheckExamplesHaveNoWarnings(t *testing.T) {
	r := organizer(t, "check", "--format", "json", examplesRules)
	require.Equal(t, exitOK, r.code, "%s", r)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.Equal(t, []any{}, doc["warnings"])
}
