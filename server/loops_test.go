package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The recent writes hold what the window holds: older writes of an item
// are dropped as new ones come, and items whose writes all left the window
// are forgotten, so memory follows the traffic of the window.
func TestRecentWritesKeepTheWindow(t *testing.T) {
	r := newRecentWrites(time.Minute)
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	r.add("vaultstream", "c_1", recentWrite{at: t0, fields: []string{"folder"}})
	r.add("vaultstream", "c_1", recentWrite{at: t0.Add(30 * time.Second), fields: []string{"tags"}})
	require.Len(t, r.since("vaultstream", "c_1", t0), 2)
	require.Len(t, r.since("vaultstream", "c_1", t0.Add(10*time.Second)), 1)
	require.Empty(t, r.since("shift72", "c_1", t0), "items are per provider")

	r.add("vaultstream", "c_1", recentWrite{at: t0.Add(90 * time.Second), fields: []string{"visibility"}})
	require.Len(t, r.items[itemKey("vaultstream", "c_1")], 2, "the write of t0 left the window")

	for i := range 1023 {
		r.add("vaultstream", "other", recentWrite{at: t0.Add(time.Hour + time.Duration(i)*time.Millisecond), fields: []string{"folder"}})
	}
	require.NotContains(t, r.items, itemKey("vaultstream", "c_1"), "an item with nothing in the window is forgotten")
}
