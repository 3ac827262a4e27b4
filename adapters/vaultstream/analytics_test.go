package vaultstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

func TestContentUsage(t *testing.T) {
	sim := vaultstreamtest.NewServer()
	defer sim.Close()
	day := func(d int) time.Time { return time.Date(2026, 1, d, 8, 0, 0, 0, time.UTC) }
	sim.AddContent(vaultstreamtest.Content{ID: "old", Title: "Old", LastAccessed: day(2)})
	sim.AddContent(vaultstreamtest.Content{ID: "older", Title: "Older", LastAccessed: day(1)})
	sim.AddContent(vaultstreamtest.Content{ID: "recent", Title: "Recent", LastAccessed: day(20)})
	c := vaultstream.NewClient(sim.URL(), sim.Token())

	items, err := c.ContentUsage(context.Background(), day(10), 100)
	require.NoError(t, err)
	require.Len(t, items, 2)
	require.Equal(t, "older", items[0].ContentID, "oldest first")
	require.Equal(t, day(1), items[0].LastAccessed)
	require.Equal(t, "old", items[1].ContentID)

	items, err = c.ContentUsage(context.Background(), day(10), 1)
	require.NoError(t, err)
	require.Len(t, items, 1)

	_, err = vaultstream.NewClient(sim.URL(), "wrong").ContentUsage(context.Background(), day(10), 1)
	var ce *adapters.CallError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 401, ce.Status)
}
