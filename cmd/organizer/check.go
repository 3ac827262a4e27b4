package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/rules"
)

func checkCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check PATH...",
		Short: "Validate rule files and print every problem as file:line:col: message",
		Args:  cobra.MinimumNArgs(1),
	}
	format := formatFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkFormat(*format); err != nil {
			return err
		}
		l, errs := load(args)
		out := cmd.OutOrStdout()
		if *format == "json" {
			writeJSON(out, checkResult{Valid: len(errs) == 0, Errors: orEmpty(errs), Warnings: orEmpty(l.Warnings),
				Rules: rulesIn(l.Ruleset), Ruleset: digestOf(l.Ruleset)})
		} else {
			printCheck(out, l, errs)
		}
		if len(errs) > 0 {
			return failure{errReported}
		}
		return nil
	}
	return cmd
}

type checkResult struct {
	Valid  bool            `json:"valid"`
	Errors rules.ErrorList `json:"errors"`
	// Warnings do not make the rules invalid: a rule reading a payload
	// field its event types' documented payloads lack.
	Warnings rules.ErrorList `json:"warnings"`
	Rules    int             `json:"rules"`
	Ruleset  string          `json:"ruleset,omitempty"`
}

// load reads, validates and compiles the rules at paths with the providers'
// compile options, returning every problem found.
func load(paths []string) (*engine.Loaded, rules.ErrorList) {
	return engine.Load(paths, compileOptions()...)
}

// printCheck writes every problem and warning and the count of problems,
// or, when there is none, what was loaded. Warnings do not change the exit
// code.
func printCheck(w io.Writer, l *engine.Loaded, errs rules.ErrorList) {
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}
	for _, e := range l.Warnings {
		fmt.Fprintf(w, "%s: warning: %s\n", e.Pos, e.Message)
	}
	if len(errs) > 0 {
		fmt.Fprintf(w, "%d %s\n", len(errs), plural(len(errs), "problem", "problems"))
		return
	}
	rs, files, tests := l.Ruleset, len(l.Set.Files), l.Tests()
	fmt.Fprintf(w, "ok: %d %s in %d %s, %d %s (ruleset %s)\n",
		rs.Len(), plural(rs.Len(), "rule", "rules"), files, plural(files, "file", "files"),
		tests, plural(tests, "test", "tests"), rs.Digest())
}

func rulesIn(rs *engine.Ruleset) int {
	if rs == nil {
		return 0
	}
	return rs.Len()
}

func digestOf(rs *engine.Ruleset) string {
	if rs == nil {
		return ""
	}
	return rs.Digest()
}

func orEmpty(errs rules.ErrorList) rules.ErrorList {
	if errs == nil {
		return rules.ErrorList{}
	}
	return errs
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
