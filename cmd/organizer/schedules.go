package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/engine"
)

// scheduleRuns is how many upcoming runs `organizer schedules` shows.
const scheduleRuns = 3

func schedulesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedules --rules PATH [--now TIME]",
		Short: "List the rules' schedules with their next runs",
		Args:  cobra.NoArgs,
	}
	rulesPath := cmd.Flags().String("rules", "./rules", "rule file or directory")
	now := cmd.Flags().String("now", "", "list the runs after this time (RFC 3339; default: the current time)")
	format := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*format); err != nil {
			return err
		}
		at, err := parseNow(*now)
		if err != nil {
			return err
		}
		l, errs := load([]string{*rulesPath})
		if len(errs) > 0 {
			printCheck(cmd.ErrOrStderr(), l, errs)
			return failure{errReported}
		}
		list := schedulesOf(l.Ruleset, at)
		if *format == "json" {
			writeJSON(cmd.OutOrStdout(), struct {
				Schedules []scheduleInfo `json:"schedules"`
			}{list})
		} else {
			printSchedules(cmd.OutOrStdout(), list, *rulesPath)
		}
		return nil
	}
	return cmd
}

// scheduleInfo is one schedule as `organizer schedules` shows it.
type scheduleInfo struct {
	Name       string   `json:"name"`
	Cron       string   `json:"cron"`
	Timezone   string   `json:"timezone"` // UTC when the schedule names none
	Provider   string   `json:"provider"`
	Source     string   `json:"source"`
	MaxChanges int      `json:"max_changes"`
	NextRuns   []string `json:"next_runs"` // RFC 3339, in UTC

	local []string // the next runs on the zone's clock, for the text table
}

// schedulesOf lists the ruleset's schedules, in file order, each with its
// next runs after now.
func schedulesOf(rs *engine.Ruleset, now time.Time) []scheduleInfo {
	out := []scheduleInfo{}
	for _, s := range rs.Schedules() {
		info := scheduleInfo{Name: s.Name, Cron: s.Cron, Timezone: s.Timezone, Provider: s.Provider,
			Source: s.Source, MaxChanges: s.MaxChanges, NextRuns: []string{}}
		if info.Timezone == "" {
			info.Timezone = "UTC"
		}
		loc, err := time.LoadLocation(info.Timezone) // loaded once already, when the schedule compiled
		if err != nil {
			loc = time.UTC
		}
		for t, i := now, 0; i < scheduleRuns; i++ {
			t = s.Next(t)
			if t.IsZero() {
				break
			}
			info.NextRuns = append(info.NextRuns, t.Format(time.RFC3339))
			info.local = append(info.local, t.In(loc).Format("Mon 2 Jan 15:04 MST"))
		}
		out = append(out, info)
	}
	return out
}

// printSchedules writes the schedules as a table, one run per line, each in
// UTC and, for a schedule in another zone, on that zone's clock.
func printSchedules(w io.Writer, list []scheduleInfo, path string) {
	if len(list) == 0 {
		fmt.Fprintf(w, "no schedules in %s\n", path)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "SCHEDULE\tCRON\tTIMEZONE\tPROVIDER\tSOURCE\tMAX CHANGES\tNEXT RUNS")
	for _, s := range list {
		runs := make([]string, len(s.NextRuns))
		for i, run := range s.NextRuns {
			runs[i] = run
			if s.Timezone != "UTC" {
				runs[i] += "  " + s.local[i]
			}
		}
		if len(runs) == 0 {
			runs = []string{"(none)"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.Name, s.Cron, s.Timezone, s.Provider, s.Source, s.MaxChanges, runs[0])
		for _, run := range runs[1:] {
			fmt.Fprintf(tw, "\t\t\t\t\t\t%s\n", run)
		}
	}
	tw.Flush()
}
