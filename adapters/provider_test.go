package adapters_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/engine"
)

func TestRegistry(t *testing.T) {
	var r adapters.Registry
	require.NoError(t, r.Register(vaultstream.New("a")))
	require.NoError(t, r.Register(shift72.New("b")))
	require.ErrorContains(t, r.Register(shift72.New("c")), `provider "shift72" is registered twice`)
	require.Equal(t, []string{"vaultstream", "shift72"}, r.Names())

	ev, err := r.DecodePayload("shift72", []byte(`{"eventType": "screener_updated", "slug": "/film/9"}`))
	require.NoError(t, err)
	require.Equal(t, "/film/9", ev.Content.ID)
	_, err = r.DecodePayload("vimeo", []byte(`{}`))
	require.ErrorContains(t, err, `unknown provider "vimeo"`)
	require.Len(t, r.CompileOptions(), 8, "event types, capabilities, query sources and payload fields of each provider")

	sources, ok := r.Sources("vaultstream")
	require.True(t, ok)
	require.Equal(t, map[string][]string{"content-usage": {"last_accessed_before"}, "catalog": {"created_before", "created_after"}}, sources)
	sources, ok = r.Sources("shift72")
	require.True(t, ok)
	require.Equal(t, map[string][]string{"catalog": {}}, sources)
	_, ok = r.Sources("vimeo")
	require.False(t, ok)
}

// TestCompileOptionsDeclareSources: the registry's options let a rule file
// schedule the sources each provider declares, and refuse the others.
func TestCompileOptionsDeclareSources(t *testing.T) {
	var r adapters.Registry
	require.NoError(t, r.Register(vaultstream.New("a")))
	require.NoError(t, r.Register(shift72.New("b")))
	file := func(provider, source, params string) map[string][]byte {
		return map[string][]byte{"s.yaml": []byte(`version: 1
schedules:
  - name: sweep
    cron: "@daily"
    provider: ` + provider + `
    source: ` + source + `
    params: {` + params + `}
rules:
  - name: archive
    on: [schedule.sweep]
    actions: {folder: Archive}
`)}
	}
	for _, ok := range [][3]string{
		{"vaultstream", "content-usage", `last_accessed_before: "{{ daysAgo(90) }}"`},
		{"vaultstream", "catalog", `created_after: "2025-01-01T00:00:00Z"`},
		{"shift72", "catalog", ``},
	} {
		_, errs := engine.LoadFiles(file(ok[0], ok[1], ok[2]), r.CompileOptions()...)
		require.Empty(t, errs, "%v", ok)
	}
	for _, bad := range [][3]string{
		{"vaultstream", "films", ``},
		{"vaultstream", "catalog", `last_accessed_before: "x"`},
		{"shift72", "content-usage", ``},
	} {
		_, errs := engine.LoadFiles(file(bad[0], bad[1], bad[2]), r.CompileOptions()...)
		require.NotEmpty(t, errs, "%v", bad)
	}
}

// TestCheckQuery: a query is checked against the sources a provider
// declares, and the error names what is known.
func TestCheckQuery(t *testing.T) {
	sources := map[string][]string{"content-usage": {"last_accessed_before"}, "catalog": {}}
	require.NoError(t, adapters.CheckQuery("vaultstream", sources, "content-usage", map[string]string{"last_accessed_before": "x"}))
	require.NoError(t, adapters.CheckQuery("vaultstream", sources, "catalog", nil))
	err := adapters.CheckQuery("vaultstream", sources, "usage", nil)
	require.ErrorIs(t, err, adapters.ErrBadQuery)
	require.ErrorContains(t, err, `vaultstream has no query source "usage" (known: catalog, content-usage)`)
	err = adapters.CheckQuery("vaultstream", sources, "content-usage", map[string]string{"before": "x"})
	require.ErrorContains(t, err, `vaultstream query content-usage has no param "before" (known: last_accessed_before)`)
	err = adapters.CheckQuery("vaultstream", sources, "catalog", map[string]string{"before": "x"})
	require.ErrorContains(t, err, `vaultstream query catalog takes no params, not "before"`)
}

// TestEventIDIsStable: redelivering the same bytes is the same event, and the
// same bytes from another provider are another event.
func TestEventIDIsStable(t *testing.T) {
	body := []byte(`{"eventType":"upload_started","slug":"/film/176"}`)
	require.Equal(t, adapters.EventID("shift72", body), adapters.EventID("shift72", body))
	require.NotEqual(t, adapters.EventID("shift72", body), adapters.EventID("vaultstream", body))
	require.NotEqual(t, adapters.EventID("shift72", body), adapters.EventID("shift72", append(body, ' ')))
}
