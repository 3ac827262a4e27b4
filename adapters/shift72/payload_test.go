package shift72

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPayloadFieldsMatchTestdata: the fields check warns about are those of
// SHIFT72's documented examples, every one of which has them all.
func TestPayloadFieldsMatchTestdata(t *testing.T) {
	require.ElementsMatch(t, EventTypes, slices.Collect(maps.Keys(PayloadFields)), "one field list per event type")
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		var payload map[string]any
		require.NoError(t, json.Unmarshal(body, &payload))
		typ, _ := payload["eventType"].(string)
		require.ElementsMatch(t, slices.Collect(maps.Keys(payload)), PayloadFields[typ], f)
	}
}
