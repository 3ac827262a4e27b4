package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// sweepRules are the guide's Pattern 2 (benchSweepRules), and a rule for
// uploads that a backfill reaches.
const sweepRules = benchSweepRules + `  - name: tag-training
    on: [content.uploaded]
    when: title contains "Training"
    actions: {tags: [training]}
`

// sweepSim is the simulator seeded with 250 items unwatched for 200 days
// and 3 watched yesterday, with the CLI's API settings pointing at it.
func sweepSim(t *testing.T) (*vaultstreamtest.Server, string) {
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	now := time.Now().UTC()
	for i := range 250 {
		sim.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("old_%03d", i), Title: fmt.Sprintf("Training %d", i), Visibility: "team",
			CreatedAt: now.AddDate(-1, 0, 0), LastAccessed: now.AddDate(0, 0, -200)})
	}
	for i := range 3 {
		sim.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("new_%d", i), Title: fmt.Sprintf("Recent %d", i), Visibility: "team",
			CreatedAt: now.AddDate(0, -1, 0), LastAccessed: now.AddDate(0, 0, -1)})
	}
	t.Setenv("ORGANIZER_VAULTSTREAM_API_URL", sim.URL())
	t.Setenv("ORGANIZER_VAULTSTREAM_API_TOKEN", sim.Token())
	rules := filepath.Join(t.TempDir(), "archive.yaml")
	require.NoError(t, os.WriteFile(rules, []byte(sweepRules), 0o644))
	return sim, rules
}

func archivedCount(sim *vaultstreamtest.Server) int {
	n := 0
	for _, c := range sim.Contents() {
		if c.Visibility == "private" {
			n++
		}
	}
	return n
}

// Pattern 2 from the command line: the dry-run reports the 250 changes
// and writes nothing; over the change budget, --apply refuses and writes
// nothing; within it, it archives exactly the 250.
func TestSweepScheduleDryRunBudgetApply(t *testing.T) {
	sim, rules := sweepSim(t)

	dry := organizer(t, "sweep", "--rules", rules, "--schedule", "stale-content")
	require.Equal(t, 0, dry.code, dry.String())
	require.Contains(t, dry.stdout, "old_000  \"Training 0\"\n  folder:      (none) → Archive\n  visibility:  team → private\n")
	require.True(t, strings.HasSuffix(dry.stdout, "250 items, 250 would change, 0 unchanged, 0 failed\n"), dry.stdout)
	require.Empty(t, sim.Writes(), "a dry-run writes nothing")

	refused := organizer(t, "sweep", "--rules", rules, "--schedule", "stale-content", "--apply", "--max-changes", "10")
	require.Equal(t, 1, refused.code, refused.String())
	require.Contains(t, refused.stderr, "250 items would change, more than the change budget of 10: nothing was changed")
	require.Empty(t, sim.Writes(), "a refused run writes nothing")

	applied := organizer(t, "sweep", "--rules", rules, "--schedule", "stale-content", "--apply", "--max-changes", "1000", "--format", "json")
	require.Equal(t, 0, applied.code, applied.String())
	var rep sweepReport
	require.NoError(t, json.Unmarshal([]byte(applied.stdout), &rep))
	require.Equal(t, sweepReport{Items: 250, Changed: 250, Applied: true}, sweepReport{Items: rep.Items, Changed: rep.Changed, Unchanged: rep.Unchanged, Failed: rep.Failed, Applied: rep.Applied})
	require.Equal(t, 250, archivedCount(sim))
	for _, c := range sim.Contents() {
		if strings.HasPrefix(c.ID, "new_") {
			require.Equal(t, "team", c.Visibility, "a recently watched item is left alone")
		}
	}
}

// A backfill: the whole catalog decided as if each item had just been
// uploaded, so a new rule reaches the content that already exists.
func TestSweepBackfillAs(t *testing.T) {
	sim, rules := sweepSim(t)
	r := organizer(t, "sweep", "--rules", rules, "--provider", "vaultstream", "--as", "content.uploaded", "--apply", "--max-changes", "300")
	require.Equal(t, 0, r.code, r.String())
	require.True(t, strings.HasSuffix(r.stdout, "253 items, 250 changed, 3 unchanged, 0 failed\n"), r.stdout)
	c, _ := sim.Content("old_007")
	require.Equal(t, []string{"training"}, c.Tags)
	c, _ = sim.Content("new_1")
	require.Empty(t, c.Tags)

	usage := organizer(t, "sweep", "--rules", rules, "--provider", "vaultstream")
	require.Equal(t, 2, usage.code, usage.String())
}
