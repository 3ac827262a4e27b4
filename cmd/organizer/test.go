package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/engine"
)

func testCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test PATH...",
		Short: "Run the rule tests (*_test.yaml) and report failures and coverage",
		Args:  cobra.MinimumNArgs(1),
	}
	format := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*format); err != nil {
			return err
		}
		l, errs := load(args)
		if len(errs) > 0 {
			printCheck(cmd.OutOrStdout(), l, errs)
			return failure{errReported}
		}
		if l.Tests() == 0 {
			return failure{fmt.Errorf("no rule tests found in %v (write them in *_test.yaml files beside the rules)", args)}
		}
		ctx, cancel := contextWithTimeout(cmd, evalTimeout*10)
		defer cancel()
		report := l.Ruleset.RunTests(ctx, l.Set, providers().DecodePayload)
		if *format == "json" {
			writeJSON(cmd.OutOrStdout(), report)
		} else {
			printReport(cmd.OutOrStdout(), &report)
		}
		if report.Failed > 0 {
			return failure{errReported}
		}
		return nil
	}
	return cmd
}

// printReport writes test results like go test: the failures with their
// differences, coverage, then "N passed, N failed".
func printReport(w io.Writer, r *engine.TestReport) {
	for _, res := range r.Results {
		if res.Passed {
			continue
		}
		fmt.Fprintf(w, "--- FAIL: %s (%s)\n", res.Name, res.Position)
		for _, f := range res.Failures {
			fmt.Fprintf(w, "    %s\n", f)
		}
	}
	full, never := 0, 0
	for _, c := range r.Coverage {
		switch {
		case c.Matched && c.NotMatched:
			full++
		case !c.Matched:
			never++
			fmt.Fprintf(w, "coverage: rule %s (%s) matched in no test\n", c.Rule, c.Position)
		}
		if !c.Matched && !c.NotMatched {
			continue // no test reached the rule: its clauses say nothing more
		}
		for _, cl := range c.Clauses {
			switch {
			case !cl.True:
				fmt.Fprintf(w, "coverage: rule %s: %s (%s) was never true in a test\n", c.Rule, cl.Clause, cl.Position)
			case !cl.False:
				fmt.Fprintf(w, "coverage: rule %s: %s (%s) was never false in a test\n", c.Rule, cl.Clause, cl.Position)
			}
		}
	}
	if len(r.Coverage) > 0 {
		fmt.Fprintf(w, "coverage: %d of %d rules matched in some test; %d seen both matching and not matching\n",
			len(r.Coverage)-never, len(r.Coverage), full)
	}
	status := "ok"
	if r.Failed > 0 {
		status = "FAIL"
	}
	fmt.Fprintln(w, status)
	fmt.Fprintf(w, "%d passed, %d failed\n", r.Passed, r.Failed)
}
