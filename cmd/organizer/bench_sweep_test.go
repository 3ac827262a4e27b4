package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// bench sweep with a few items and a short latency: the table has its
// rows, the organizer's apply makes a read and two writes per item, and the
// check passes.
func TestBenchSweep(t *testing.T) {
	r := organizer(t, "bench", "sweep", "--items", "40", "--latency", "2ms", "--workers", "8", "--serial-items", "0")
	require.Equal(t, 0, r.code, r.String())
	out := r.stdout
	require.True(t, strings.HasPrefix(out, "sweep: 40 items (39 stale, 1 recent), simulator latency 2ms per request"), out)
	num := `\s+[\d.]+(ms|s|µs)\s+\d+\s+`
	for _, row := range []string{
		`organizer dry-run \(1 page of 100\)\s+39` + num + `2\s+0\.051\s+0\.000\s+0\.051\s+target ≤ 30s for 10,000 items`,
		`organizer apply \(8 workers\)\s+39` + num + `117\s+1\.000\s+2\.000\s+3\.000\s+target ≥ 200 items/s: (met|MISSED)`,
		`organizer dry-run \+ apply\s+39` + num + `119\s+`,
		// every stale item: a folder look-up, a page, then a GET and a PATCH each
		`serial reference\s+39` + num + `80\s+1\.051\s+1\.000\s+2\.051`,
	} {
		require.Regexp(t, regexp.MustCompile(`(?m)^\s*`+row), out)
	}
	require.Regexp(t, `ratio organizer/serial, items/s: [\d.]+× dry-run \+ apply, [\d.]+× apply alone`, out)
	require.Contains(t, out, "check: ok, organizer archived all 39 stale items and none of the 1 recent; the serial script its 39 and nothing else\n")
	require.NotContains(t, out, "FAILED")
}

// An item the apply could not archive fails the bench, and says which.
func TestBenchSweepCheckFails(t *testing.T) {
	opts := sweepBenchOptions{Items: 12, Latency: time.Millisecond, Workers: 4, SerialItems: 3,
		beforeApply: func(sim *vaultstreamtest.Server) {
			require.NoError(t, sim.Fail(vaultstreamtest.Fault{Match: "PATCH /content/c_000003", Status: 400, Times: vaultstreamtest.Forever}))
		}}
	r, err := benchSweep(context.Background(), opts)
	require.ErrorContains(t, err, "1 stale items were not archived (c_000003)")
	require.Equal(t, 1, r.failed)
	require.Contains(t, r.String(), "check: FAILED, organizer: 1 stale items were not archived (c_000003)")
}

// The check itself: a recent item archived, or a stale one left, is named.
func TestBenchSweepCheckArchived(t *testing.T) {
	now := time.Now().UTC()
	seed, recent := sweepSeed(10, now)
	require.Len(t, recent, 1)
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	sim.Load(seed)
	err := checkArchived(sim, seed, recent, nil)
	require.ErrorContains(t, err, "9 stale items were not archived")

	archive := sim.AddFolder(benchArchive)
	for _, c := range sim.Contents() {
		c.FolderID, c.Visibility = archive, "private"
		sim.AddContent(c)
	}
	err = checkArchived(sim, seed, recent, nil)
	require.EqualError(t, err, "1 items that should have been left alone were changed (c_000005)")

	only := map[string]bool{"c_000001": true}
	err = checkArchived(sim, seed, recent, only)
	require.ErrorContains(t, err, "9 items that should have been left alone were changed")
}
