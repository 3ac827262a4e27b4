package adapters_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

func TestActionsOrder(t *testing.T) {
	five := 5
	plan := engine.Plan{Folder: "HR", Visibility: "team", Tags: []string{"a", "b"}, RemoveTags: []string{"draft"},
		Permissions: []engine.Permission{{Team: "HR", Permission: "view"}},
		Metadata:    map[string]any{"z": 1, "a": true},
		Derivatives: []engine.Derivative{{Kind: "export", Format: "gif", Width: &five}},
		Notify:      []engine.Notify{{URL: "https://hooks.example.com", Text: "x"}}}
	var got []string
	for _, a := range adapters.Actions(plan) {
		got = append(got, a.String())
	}
	require.Equal(t, []string{`folder "HR"`, `visibility "team"`, `tag "a"`, `tag "b"`, `remove_tag "draft"`,
		"permission team HR: view", "metadata.a = true", "metadata.z = 1", "derivative export"}, got)
	require.Empty(t, adapters.Actions(engine.Plan{}))
}
