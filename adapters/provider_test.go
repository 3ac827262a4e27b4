package adapters_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
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
	require.Len(t, r.CompileOptions(), 4, "event types and capabilities of each provider")
}

// TestEventIDIsStable: redelivering the same bytes is the same event, and the
// same bytes from another provider are another event.
func TestEventIDIsStable(t *testing.T) {
	body := []byte(`{"eventType":"upload_started","slug":"/film/176"}`)
	require.Equal(t, adapters.EventID("shift72", body), adapters.EventID("shift72", body))
	require.NotEqual(t, adapters.EventID("shift72", body), adapters.EventID("vaultstream", body))
	require.NotEqual(t, adapters.EventID("shift72", body), adapters.EventID("shift72", append(body, ' ')))
}
