package vaultstream

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPayloadFieldsMatchTestdata: the fields check warns about are exactly
// those of the documented payload of each event type.
func TestPayloadFieldsMatchTestdata(t *testing.T) {
	require.ElementsMatch(t, EventTypes, slices.Collect(maps.Keys(PayloadFields)), "one field list per event type")
	for _, typ := range EventTypes {
		body, err := os.ReadFile(filepath.Join("testdata", typ+".json"))
		require.NoError(t, err)
		var payload struct{ Data map[string]any }
		require.NoError(t, json.Unmarshal(body, &payload))
		require.ElementsMatch(t, slices.Collect(maps.Keys(payload.Data)), PayloadFields[typ], typ)
	}
}
