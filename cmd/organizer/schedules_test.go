package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	schedulesRules  = "testdata/schedules/rules.yaml"
	schedulesBroken = "testdata/schedules/broken.yaml"
	// schedulesNow is the day before the spring clock change in Paris: the
	// 02:00 Paris run of the 29th happens at 03:00 CEST, when the gap ends.
	schedulesNow = "2026-03-28T12:00:00Z"
)

// TestSchedulesGolden: `organizer schedules` prints a table of every
// schedule, in file order, with its next three runs in UTC.
func TestSchedulesGolden(t *testing.T) {
	r := organizer(t, "schedules", "--rules", schedulesRules, "--now", schedulesNow)
	require.Equal(t, exitOK, r.code, "%s", r)
	require.Empty(t, r.stderr)
	golden(t, "testdata/schedules/schedules.golden", r.stdout)
}

// TestSchedulesJSON: the JSON lists each schedule's fields and next runs,
// the time zone UTC when the schedule names none.
func TestSchedulesJSON(t *testing.T) {
	r := organizer(t, "schedules", "--rules", schedulesRules, "--now", schedulesNow, "--format", "json")
	require.Equal(t, exitOK, r.code, "%s", r)
	require.Empty(t, r.stderr)
	var got struct {
		Schedules []map[string]any `json:"schedules"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.Len(t, got.Schedules, 3)
	require.Equal(t, map[string]any{
		"name": "stale-content", "cron": "0 2 * * *", "timezone": "Europe/Paris",
		"provider": "vaultstream", "source": "content-usage", "max_changes": float64(100),
		"next_runs": []any{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z"},
	}, got.Schedules[0])
	require.Equal(t, "UTC", got.Schedules[1]["timezone"])
	require.Equal(t, []any{"2026-03-28T13:30:00Z", "2026-03-28T15:00:00Z", "2026-03-28T16:30:00Z"}, got.Schedules[1]["next_runs"],
		"@every 90m counts from --now")
	require.Equal(t, float64(1000), got.Schedules[2]["max_changes"])
}

// TestSchedulesNone: rules without schedules list none: [] in JSON, a line
// saying so in text.
func TestSchedulesNone(t *testing.T) {
	r := organizer(t, "schedules", "--rules", examplesRules+"/organize.yaml", "--format", "json")
	require.Equal(t, exitOK, r.code, "%s", r)
	require.JSONEq(t, `{"schedules": []}`, r.stdout)

	r = organizer(t, "schedules", "--rules", examplesRules+"/organize.yaml")
	require.Equal(t, exitOK, r.code, "%s", r)
	require.Equal(t, "no schedules in "+examplesRules+"/organize.yaml\n", r.stdout)
}

// TestSchedulesInvalidRules: invalid rules exit 1 with every problem as
// file:line:col, exactly as check prints them, and no table.
func TestSchedulesInvalidRules(t *testing.T) {
	check := organizer(t, "check", schedulesBroken)
	require.Equal(t, exitFailure, check.code, "%s", check)
	for _, format := range []string{"text", "json"} {
		r := organizer(t, "schedules", "--rules", schedulesBroken, "--format", format)
		require.Equal(t, exitFailure, r.code, "%s", r)
		require.Empty(t, r.stdout)
		require.Equal(t, check.stdout, r.stderr)
	}
	out := lines(check.stdout)
	require.Equal(t, "4 problems", out[len(out)-1])
	for i, want := range []struct {
		line  int
		token string
		msg   string
	}{
		{4, `"0 2 * *"`, `invalid cron "0 2 * *": expected exactly 5 fields, found 4`},
		{5, "Europe/Pariss", `unknown time zone "Europe/Pariss"`},
		{7, "content-usge", `provider vaultstream has no source "content-usge"; did you mean "content-usage"?`},
		{12, "schedule.stale-contnet", `no schedule named "stale-contnet"; did you mean "schedule.stale-content"?`},
	} {
		p := parseProblem(t, out[i])
		require.Equal(t, schedulesBroken, p.file)
		require.Equal(t, [2]int{want.line, columnOf(t, schedulesBroken, want.line, want.token)}, [2]int{p.line, p.col}, "%s", out[i])
		require.Contains(t, p.message, want.msg)
	}
}

// TestSchedulesUsage: a bad --now or --format is a usage error (exit 2);
// missing rules are a failure (exit 1) naming the path.
func TestSchedulesUsage(t *testing.T) {
	for _, args := range [][]string{
		{"schedules", "--rules", schedulesRules, "--now", "tomorrow"},
		{"schedules", "--rules", schedulesRules, "--format", "yaml"},
		{"schedules", "--rules", schedulesRules, "extra"},
	} {
		r := organizer(t, args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", args, r)
		require.Empty(t, r.stdout)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	r := organizer(t, "schedules", "--rules", missing)
	require.Equal(t, exitFailure, r.code, "%s", r)
	require.Contains(t, r.stderr, missing+":1:1: cannot read rules")
}
