package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// scheduleOptions declare the providers and their query sources as the
// provider registry does.
var scheduleOptions = append([]Option{
	ProviderSources("vaultstream", map[string][]string{
		"content-usage": {"last_accessed_before"},
		"catalog":       {"created_before", "created_after"},
	}),
	ProviderSources("shift72", map[string][]string{"catalog": {}}),
}, testOptions...)

const staleSchedule = `version: 1
schedules:
  - name: stale-content
    cron: "0 2 * * *"
    timezone: Europe/Paris
    provider: vaultstream
    source: content-usage
    params:
      last_accessed_before: "{{ daysAgo(90) }}"
  - name: new-films
    cron: "@every 90m"
    provider: shift72
    source: catalog
    max_changes: 5
rules:
  - name: archive-stale
    on: [schedule.stale-content]
    provider: vaultstream
    actions: {folder: Archive, visibility: private}
`

func loadText(t *testing.T, text string, opts ...Option) *Ruleset {
	t.Helper()
	l, errs := LoadFiles(map[string][]byte{"s.yaml": []byte(text)}, opts...)
	require.Empty(t, errs)
	return l.Ruleset
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestScheduleCompiled: a schedule keeps what was written, defaults what
// was not, and lists in file order.
func TestScheduleCompiled(t *testing.T) {
	rs := loadText(t, staleSchedule, scheduleOptions...)
	all := rs.Schedules()
	require.Len(t, all, 2)
	s := all[0]
	require.Equal(t, "stale-content", s.Name)
	require.Equal(t, "0 2 * * *", s.Cron)
	require.Equal(t, "Europe/Paris", s.Timezone)
	require.Equal(t, "vaultstream", s.Provider)
	require.Equal(t, "content-usage", s.Source)
	require.Equal(t, 100, s.MaxChanges, "the default change budget")
	require.Equal(t, "s.yaml:3:5", s.Position)
	require.Equal(t, "schedule.stale-content", s.EventType())

	films, ok := rs.Schedule("new-films")
	require.True(t, ok)
	require.Same(t, all[1], films)
	require.Equal(t, "", films.Timezone, "no timezone means UTC")
	require.Equal(t, 5, films.MaxChanges)
	_, ok = rs.Schedule("nope")
	require.False(t, ok)

	all[0] = nil
	require.NotNil(t, rs.Schedules()[0], "Schedules returns a copy")
}

// TestScheduleNext: runs are reckoned in the schedule's zone, strictly
// after the time given, and returned in UTC.
func TestScheduleNext(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	rs := loadText(t, staleSchedule, scheduleOptions...)
	stale, _ := rs.Schedule("stale-content")
	for _, c := range []struct{ after, want string }{
		{"2026-01-15T00:00:00Z", "2026-01-15T01:00:00Z"}, // 02:00 in Paris in winter (UTC+1)
		{"2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"}, // 02:00 in summer (UTC+2) is 00:00: strictly after
		{"2026-07-01T23:59:59Z", "2026-07-02T00:00:00Z"},
	} {
		got := stale.Next(utc(c.after))
		require.Equal(t, c.want, got.Format(time.RFC3339), "after %s", c.after)
		require.Equal(t, time.UTC, got.Location())
	}
	// When the clocks change: a run in the spring gap happens when it ends,
	// a time that happens twice in autumn runs once.
	for _, c := range []struct{ after, want string }{
		{"2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z"}, // 02:00 does not exist on the 29th: 03:00 CEST
		{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"},
		{"2026-10-24T12:00:00Z", "2026-10-25T01:00:00Z"}, // 02:00 happens twice on the 25th: once
		{"2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z"},
		{"2026-10-25T01:00:00Z", "2026-10-26T01:00:00Z"},
	} {
		require.Equal(t, c.want, stale.Next(utc(c.after)).Format(time.RFC3339), "after %s", c.after)
	}
	nyText := strings.NewReplacer(`"0 2 * * *"`, `"30 1 * * *"`, "Europe/Paris", "America/New_York").Replace(staleSchedule)
	nyStale, _ := loadText(t, nyText, scheduleOptions...).Schedule("stale-content")
	var runs []string
	for at, i := utc("2026-10-31T12:00:00Z"), 0; i < 3; i++ {
		at = nyStale.Next(at)
		runs = append(runs, at.Format(time.RFC3339))
	}
	require.Equal(t, []string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", "2026-11-03T06:30:00Z"}, runs,
		"01:30 happens twice in New York on November 1st; it runs once")
	hourly, _ := loadText(t, strings.Replace(staleSchedule, `"0 2 * * *"`, `"15 * * * *"`, 1), scheduleOptions...).Schedule("stale-content")
	runs = nil
	for at, i := utc("2026-10-24T22:30:00Z"), 0; i < 3; i++ {
		at = hourly.Next(at)
		runs = append(runs, at.In(paris).Format("15:04 MST"))
	}
	require.Equal(t, []string{"01:15 CEST", "02:15 CET", "03:15 CET"}, runs, "hourly runs follow the wall clock: 02:15 happens twice and runs once")

	// The zone of the time given does not matter, only the instant.
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	require.Equal(t, "2026-01-15T01:00:00Z", stale.Next(utc("2026-01-15T00:00:00Z").In(ny)).Format(time.RFC3339))

	films, _ := rs.Schedule("new-films")
	require.Equal(t, "2026-01-15T01:30:00Z", films.Next(utc("2026-01-15T00:00:00Z")).Format(time.RFC3339))

	utcDaily := loadText(t, strings.ReplaceAll(staleSchedule, "    timezone: Europe/Paris\n", ""), scheduleOptions...)
	s, _ := utcDaily.Schedule("stale-content")
	require.Equal(t, "2026-01-15T02:00:00Z", s.Next(utc("2026-01-15T00:00:00Z")).Format(time.RFC3339), "UTC by default")
}

// TestScheduleParams: params render at the time given; a time renders as
// RFC 3339 in UTC.
func TestScheduleParams(t *testing.T) {
	rs := loadText(t, staleSchedule, scheduleOptions...)
	stale, _ := rs.Schedule("stale-content")
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	got, err := stale.Params(time.Date(2026, 4, 1, 14, 0, 0, 0, paris))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"last_accessed_before": "2026-01-01T12:00:00Z"}, got)

	films, _ := rs.Schedule("new-films")
	got, err = films.Params(utc("2026-04-01T12:00:00Z"))
	require.NoError(t, err)
	require.Equal(t, map[string]string{}, got, "no params is an empty map, not nil")

	text := strings.Replace(staleSchedule, `"{{ daysAgo(90) }}"`, `"since {{ now }} minus {{ 1 + 1 }} {{ lists.unit[0] }}"`, 1)
	text = strings.Replace(text, "rules:\n", "lists:\n  unit: [days]\nrules:\n", 1)
	stale, _ = loadText(t, text, scheduleOptions...).Schedule("stale-content")
	got, err = stale.Params(utc("2026-04-01T12:00:00Z"))
	require.NoError(t, err)
	require.Equal(t, "since 2026-04-01T12:00:00Z minus 2 days", got["last_accessed_before"])

	empty := strings.Replace(staleSchedule, `"{{ daysAgo(90) }}"`, `"{{ join(lists.none) }}"`, 1)
	empty = strings.Replace(empty, "rules:\n", "lists:\n  none: []\nrules:\n", 1)
	stale, _ = loadText(t, empty, scheduleOptions...).Schedule("stale-content")
	_, err = stale.Params(utc("2026-04-01T12:00:00Z"))
	require.EqualError(t, err, "schedule stale-content (s.yaml:3:5): param last_accessed_before: the template gave an empty value")
}

// TestScheduleErrors: every mistake in a schedule is reported in one pass,
// each at the value that is wrong, with a suggestion where one is close.
func TestScheduleErrors(t *testing.T) {
	text := `version: 1
schedules:
  - name: stale-content
    cron: "0 2 * *"
    timezone: Europe/Pariss
    provider: vaultstream
    source: content-usge
  - name: usage
    cron: "@every 30s"
    provider: vaultstream
    source: content-usage
    params:
      last_accesed_before: "{{ daysAgo(90) }}"
      title: "{{ title }}"
  - name: films
    cron: "0 0 30 2 *"
    provider: shift72
    source: catalog
    params: {since: "{{ daysAgo('x') }}"}
  - name: other
    cron: "TZ=Europe/Paris 0 2 * * *"
    provider: vaultstrem
    source: catalog
    max_changes: 0
rules:
  - name: archive
    on: [schedule.stale-contnet, schedule.usage, schedule.nope, "schedule.film*", "schedule.x*"]
    actions: {folder: Archive}
`
	_, errs := LoadFiles(map[string][]byte{"s.yaml": []byte(text)}, scheduleOptions...)
	require.Equal(t, strings.Join([]string{
		`s.yaml:4:11: invalid cron "0 2 * *": expected exactly 5 fields, found 4: [0 2 * *] (want 5 fields, minute hour day-of-month month day-of-week, or @hourly, @daily, @weekly, @every 90m)`,
		`s.yaml:5:15: unknown time zone "Europe/Pariss" (an IANA name, such as Europe/Paris, America/New_York or UTC)`,
		`s.yaml:7:13: provider vaultstream has no source "content-usge"; did you mean "content-usage"?`,
		`s.yaml:13:7: source content-usage of vaultstream takes no param "last_accesed_before"; did you mean "last_accessed_before"?`,
		`s.yaml:14:7: source content-usage of vaultstream takes no param "title" (params: last_accessed_before)`,
		`s.yaml:14:18: a schedule's params see only now, lists and the helpers, not title: the query has no item yet`,
		`s.yaml:16:11: cron "0 0 30 2 *" never runs: no date matches it`,
		`s.yaml:19:14: source catalog of shift72 takes no param "since"; it takes none`,
		`s.yaml:19:33: cannot use string as argument (type int) to call daysAgo `,
		`s.yaml:21:11: cron "TZ=Europe/Paris 0 2 * * *": write the time zone in timezone:, not in cron`,
		`s.yaml:22:15: unknown provider "vaultstrem"; did you mean "vaultstream"?`,
		`s.yaml:24:18: max_changes must be at least 1, not 0 (it is how many items one run may change)`,
		`s.yaml:27:10: no schedule named "stale-contnet"; did you mean "schedule.stale-content"?`,
		`s.yaml:27:50: no schedule named "nope" (schedules: stale-content, usage, films, other)`,
		`s.yaml:27:83: event type pattern "schedule.x*" matches no schedule (schedules: stale-content, usage, films, other)`,
	}, "\n"), errs.Error())
}

// TestScheduleWithoutSources: a provider that declares no sources cannot
// be queried, and a rule set with no schedules says so for schedule.x.
func TestScheduleWithoutSources(t *testing.T) {
	_, errs := LoadFiles(map[string][]byte{"s.yaml": []byte(staleSchedule)}, testOptions...)
	require.Equal(t, "s.yaml:6:15: provider vaultstream has no sources\ns.yaml:12:15: provider shift72 has no sources", errs.Error())

	_, errs = LoadFiles(map[string][]byte{"r.yaml": []byte("version: 1\nrules:\n  - name: r\n    on: [schedule.nightly]\n    actions: {folder: A}\n")})
	require.Equal(t, `r.yaml:4:10: no schedule named "nightly"; this rule set defines no schedules (schedules: in a rule file)`, errs.Error())
}

// TestScheduleEventsMatchRules: an item of a schedule's query is an event
// of type schedule.<name> from the schedule's provider, which rules for that
// type and provider match, and rules for another provider skip.
func TestScheduleEventsMatchRules(t *testing.T) {
	text := staleSchedule + `  - name: shift72-only
    on: [schedule.new-films]
    provider: shift72
    actions: {folder: Elsewhere}
  - name: any-schedule
    on: ["schedule.*"]
    actions: {tags: [swept]}
`
	rs := loadText(t, text, scheduleOptions...)
	stale, _ := rs.Schedule("stale-content")
	ev := Event{ID: "e1", Provider: stale.Provider, Type: stale.EventType(),
		Content: Content{ID: "c_1", Title: "Old town hall"}, Data: map[string]any{"last_accessed": "2025-01-01T00:00:00Z"}}
	d := rs.Evaluate(context.Background(), ev, Now(utc("2026-04-01T00:00:00Z")), FullTrace())
	require.Equal(t, []string{"archive-stale", "any-schedule"}, d.Matched)
	require.Equal(t, "Archive", d.Plan.Folder)
	require.Equal(t, "private", d.Plan.Visibility)
	require.Equal(t, []string{"swept"}, d.Plan.Tags)
	require.Equal(t, Skipped, d.Trace[1].Verdict)

	d = rs.Evaluate(context.Background(), ev, Now(utc("2026-04-01T00:00:00Z")))
	require.Equal(t, []string{"archive-stale", "any-schedule"}, d.Matched, "the same without a full trace")
}

// TestScheduleProviderMismatch: a rule for one provider that names the
// events of a schedule querying another can never match them.
func TestScheduleProviderMismatch(t *testing.T) {
	text := staleSchedule + `  - name: films
    on: [schedule.new-films, schedule.stale-content]
    provider: shift72
    actions: {folder: Films}
`
	_, errs := LoadFiles(map[string][]byte{"s.yaml": []byte(text)}, scheduleOptions...)
	require.Equal(t, `s.yaml:21:30: schedule stale-content queries vaultstream, so rule "films" (provider: shift72) never sees its events`, errs.Error())
}

// TestScheduleDigest: the ruleset's digest changes when a schedule does.
func TestScheduleDigest(t *testing.T) {
	a := loadText(t, staleSchedule, scheduleOptions...)
	b := loadText(t, strings.Replace(staleSchedule, "daysAgo(90)", "daysAgo(60)", 1), scheduleOptions...)
	c := loadText(t, strings.Replace(staleSchedule, `"0 2 * * *"`, `"0 3 * * *"`, 1), scheduleOptions...)
	require.NotEqual(t, a.Digest(), b.Digest())
	require.NotEqual(t, a.Digest(), c.Digest())
	require.NotEqual(t, b.Digest(), c.Digest())
}

// TestDaysAgoInRules: daysAgo is a helper for every rule: a time in
// conditions, RFC 3339 in UTC in text.
func TestDaysAgoInRules(t *testing.T) {
	rs := loadText(t, `version: 1
rules:
  - name: recent
    when: date(metadata.published) > daysAgo(30) && daysSince(daysAgo(7)) == 7
    actions:
      folder: "Recent since {{ daysAgo(30) }}"
      metadata: {checked_at: "{{ now }}"}
`)
	ev := Event{Type: "content.uploaded", Content: Content{ID: "c", Metadata: map[string]any{"published": "2026-03-20T00:00:00Z"}}}
	d := rs.Evaluate(context.Background(), ev, Now(utc("2026-04-01T12:00:00Z")))
	require.Equal(t, []string{"recent"}, d.Matched)
	require.Equal(t, "Recent since 2026-03-02T12:00:00Z", d.Plan.Folder)

	ev.Content.Metadata["published"] = "2026-01-01T00:00:00Z"
	d = rs.Evaluate(context.Background(), ev, Now(utc("2026-04-01T12:00:00Z")))
	require.Empty(t, d.Matched)

	_, errs := LoadFiles(map[string][]byte{"r.yaml": []byte("version: 1\nrules:\n  - name: r\n    when: dayAgo(3) < now\n    actions: {folder: A}\n")})
	require.Equal(t, "r.yaml:4:11: unknown name dayAgo; did you mean daysAgo?", errs.Error())
}

// TestScheduleNextThroughClockChanges: stepping run to run through the
// spring and autumn clock changes of 2026 in zones with one-hour and
// half-hour changes, every run is after the previous and no wall-clock
// time runs twice.
func TestScheduleNextThroughClockChanges(t *testing.T) {
	for _, tz := range []string{"Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"} {
		for _, expr := range []string{"0 2 * * *", "30 1 * * *", "*/20 * * * *", "15 2 * * 0"} {
			text := strings.NewReplacer(`"0 2 * * *"`, `"`+expr+`"`, "Europe/Paris", tz).Replace(staleSchedule)
			s, _ := loadText(t, text, scheduleOptions...).Schedule("stale-content")
			loc, err := time.LoadLocation(tz)
			require.NoError(t, err)
			seen := map[string]bool{}
			for _, span := range [][2]string{{"2026-03-01T00:00:00Z", "2026-04-10T00:00:00Z"}, {"2026-09-30T00:00:00Z", "2026-11-05T00:00:00Z"}} {
				for at := utc(span[0]); at.Before(utc(span[1])); {
					next := s.Next(at)
					require.True(t, next.After(at), "%s %s: Next(%s) = %s", tz, expr, at, next)
					wall := next.In(loc).Format("2006-01-02 15:04")
					require.False(t, seen[wall], "%s %s: %s runs twice", tz, expr, wall)
					seen[wall] = true
					at = next
				}
			}
		}
	}
}

// An @every schedule's runs are whole multiples of the interval since the
// Unix epoch, so two processes asked at different times agree on them.
func TestScheduleEveryTicksAgreeAcrossProcesses(t *testing.T) {
	text := "version: 1\nschedules:\n  - {name: often, cron: \"@every 90m\", provider: vaultstream, source: catalog}\n"
	l, errs := LoadFiles(map[string][]byte{"s.yaml": []byte(text)}, scheduleOptions...)
	require.Empty(t, errs)
	s, _ := l.Ruleset.Schedule("often")
	a := s.Next(time.Date(2026, 12, 3, 10, 7, 13, 0, time.UTC))
	b := s.Next(time.Date(2026, 12, 3, 10, 29, 59, 0, time.UTC))
	require.Equal(t, time.Date(2026, 12, 3, 10, 30, 0, 0, time.UTC), a, "10:30 UTC is a whole number of 90 minutes since 1970")
	require.Equal(t, a, b, "asked at different times within one interval, the next run is the same")
	require.Equal(t, a.Add(90*time.Minute), s.Next(a), "the run after a run is one interval later")
}
