package rules

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestScheduleParsed: a schedule keeps every field as written, with the
// position of each, and rules may name its events in on:.
func TestScheduleParsed(t *testing.T) {
	f, errs := ParseFile("archive.yaml", []byte(`version: 1
schedules:
  - name: stale-content
    cron: "0 2 * * *"
    timezone: Europe/Paris
    provider: vaultstream
    source: content-usage
    max_changes: 250
    params:
      last_accessed_before: "{{ daysAgo(90) }}"
  - name: nightly
    cron: "@daily"
    provider: shift72
    source: catalog
rules:
  - name: archive-stale
    on: [schedule.stale-content]
    actions: {folder: Archive, visibility: private}
`))
	require.Empty(t, errs)
	require.Len(t, f.Schedules, 2)
	s := f.Schedules[0]
	require.Equal(t, Pos{File: "archive.yaml", Line: 3, Col: 5}, s.Pos)
	require.Equal(t, "stale-content", s.Name.Value)
	require.Equal(t, "0 2 * * *", s.Cron.Value)
	require.Equal(t, Pos{File: "archive.yaml", Line: 4, Col: 11}, s.Cron.Pos)
	require.Equal(t, "Europe/Paris", s.Timezone.Value)
	require.Equal(t, "vaultstream", s.Provider.Value)
	require.Equal(t, "content-usage", s.Source.Value)
	require.Equal(t, 250, s.MaxChangesValue())
	require.Len(t, s.Params, 1)
	require.Equal(t, "last_accessed_before", s.Params[0].Key.Value)
	require.Equal(t, Pos{File: "archive.yaml", Line: 10, Col: 7}, s.Params[0].Key.Pos)
	require.False(t, s.Params[0].Value.IsLiteral())

	n := f.Schedules[1]
	require.Nil(t, n.Timezone, "no timezone means UTC")
	require.Equal(t, DefaultMaxChanges, n.MaxChangesValue())
	require.Empty(t, n.Params)
	require.Equal(t, "schedule.stale-content", f.Rules[0].On[0].Value)
}

// TestScheduleNamesUniqueAcrossFiles: a schedule name used in two files is
// reported at the second, naming the first.
func TestScheduleNamesUniqueAcrossFiles(t *testing.T) {
	const sched = "version: 1\nschedules:\n  - name: nightly\n    cron: \"@daily\"\n    provider: shift72\n    source: catalog\n"
	set := &Set{}
	require.Empty(t, set.Add("a.yaml", []byte(sched)))
	require.Empty(t, set.Add("b.yaml", []byte(sched)))
	require.Len(t, set.Schedules(), 2)
	errs := Validate(set)
	require.Equal(t, `b.yaml:3:11: schedule name "nightly" is already used at a.yaml:3:11`, sortedLines(errs))
}

// TestScheduleMissingFields: each missing required field is its own problem,
// at the schedule, naming the schedule.
func TestScheduleMissingFields(t *testing.T) {
	_, errs := ParseFile("s.yaml", []byte("version: 1\nschedules:\n  - name: nightly\n    timezone: UTC\n"))
	require.Equal(t, strings.Join([]string{
		`s.yaml:3:5: schedule "nightly" needs a cron expression (cron:)`,
		`s.yaml:3:5: schedule "nightly" needs a provider`,
		`s.yaml:3:5: schedule "nightly" needs a source`,
	}, "\n"), sortedLines(errs))
}
