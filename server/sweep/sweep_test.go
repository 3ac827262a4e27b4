package sweep_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/server/sweep"
)

const archiveRules = `version: 1
schedules:
  - name: stale-content
    cron: "0 2 * * *"
    provider: vaultstream
    source: content-usage
    params:
      last_accessed_before: "{{ daysAgo(90) }}"
rules:
  - name: archive-stale
    on: [schedule.stale-content]
    actions: {folder: Archive, visibility: private}
`

var now = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)

// seeded is the simulator with 250 items nobody watched for 200 days and
// 3 watched yesterday.
func seeded(t *testing.T) *vaultstreamtest.Server {
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	for i := range 250 {
		sim.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("old_%03d", i), Title: fmt.Sprintf("Old %d", i),
			Visibility: "team", CreatedAt: now.AddDate(-1, 0, 0), LastAccessed: now.AddDate(0, 0, -200)})
	}
	for i := range 3 {
		sim.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("new_%d", i), Title: fmt.Sprintf("New %d", i),
			Visibility: "team", CreatedAt: now.AddDate(0, -1, 0), LastAccessed: now.AddDate(0, 0, -1)})
	}
	return sim
}

func archiveQuery(t *testing.T) (sweep.Query, *engine.Ruleset) {
	t.Helper()
	var p vaultstream.Provider
	loaded, errs := engine.LoadFiles(map[string][]byte{"archive.yaml": []byte(archiveRules)},
		engine.ProviderSources(vaultstream.Name, p.Sources()))
	require.Empty(t, errs)
	sch, ok := loaded.Ruleset.Schedule("stale-content")
	require.True(t, ok)
	params, err := sch.Params(now)
	require.NoError(t, err)
	return sweep.Query{Provider: sch.Provider, Source: sch.Source, Params: params, EventType: sch.EventType(), Now: now}, loaded.Ruleset
}

func decideAll(t *testing.T, client *vaultstream.Client, q sweep.Query, rs *engine.Ruleset) (all, changed []sweep.Decided) {
	t.Helper()
	require.NoError(t, sweep.Decide(context.Background(), client, q, rs, func(d sweep.Decided) error {
		all = append(all, d)
		if len(d.Changes) > 0 {
			changed = append(changed, d)
		}
		return nil
	}))
	return all, changed
}

// The guide's Pattern 2 as a sweep: the 250 stale items, and only they,
// would change, field by field; deciding writes nothing; applying archives
// exactly them, riding out a rate limit; a second sweep finds nothing left
// to change.
func TestSweepArchivesStaleContent(t *testing.T) {
	sim := seeded(t)
	client := vaultstream.NewClient(sim.URL(), sim.Token())
	q, rs := archiveQuery(t)

	all, changed := decideAll(t, client, q, rs)
	require.Len(t, all, 250, "every stale item, over several pages, and none of the recent ones")
	require.Len(t, changed, 250)
	require.Equal(t, []sweep.Change{{Field: "folder", Current: "(none)", Planned: "Archive"}, {Field: "visibility", Current: "team", Planned: "private"}},
		changed[0].Changes)
	require.Equal(t, "schedule.stale-content", changed[0].Event.Type)
	require.Empty(t, sim.Writes(), "deciding writes nothing")

	require.NoError(t, sim.Fail(vaultstreamtest.Fault{Match: "PATCH", Status: http.StatusTooManyRequests, RetryAfter: time.Second}))
	outcomes := sweep.Apply(context.Background(), client, changed, 16, nil)
	for _, o := range outcomes {
		require.NoError(t, o.Err, o.ContentID)
	}
	archived := 0
	for _, c := range sim.Contents() {
		if c.Visibility == "private" {
			archived++
			require.Regexp(t, "^old_", c.ID)
		}
	}
	require.Equal(t, 250, archived)

	_, changed = decideAll(t, client, q, rs)
	require.Empty(t, changed, "nothing is left to change")
}
