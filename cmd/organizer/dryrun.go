package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/engine"
)

// evalTimeout bounds one event's evaluation (research/security.md §5.4).
const evalTimeout = 2 * time.Second

func dryRunCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dry-run --rules PATH --event FILE",
		Short: "Show what the rules would do with an event, and why, without doing it",
		Args:  cobra.NoArgs,
	}
	rulesPath := cmd.Flags().String("rules", "./rules", "rule file or directory")
	eventFile := cmd.Flags().String("event", "", "a normalized event as JSON (- for standard input)")
	now := cmd.Flags().String("now", "", "the time rules see as now (RFC 3339; default: the current time)")
	format := formatFlag(cmd)
	_ = cmd.MarkFlagRequired("event")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*format); err != nil {
			return err
		}
		at := time.Now().UTC()
		if *now != "" {
			t, err := time.Parse(time.RFC3339, *now)
			if err != nil {
				return fmt.Errorf("--now must be an RFC 3339 time like 2026-01-02T15:04:05Z: %w", err)
			}
			at = t
		}
		ev, err := readEvent(*eventFile, cmd.InOrStdin())
		if err != nil {
			return failure{err}
		}
		_, rs, errs := load([]string{*rulesPath})
		if len(errs) > 0 {
			printCheck(cmd.ErrOrStderr(), nil, nil, errs)
			return failure{errReported}
		}
		ctx, cancel := contextWithTimeout(cmd, evalTimeout)
		defer cancel()
		d := rs.Evaluate(ctx, ev, engine.Now(at), engine.FullTrace())
		if *format == "json" {
			writeJSON(cmd.OutOrStdout(), d)
		} else {
			printDecision(cmd.OutOrStdout(), &d)
		}
		return nil
	}
	return cmd
}

// readEvent reads a normalized event, refusing unknown fields so that a
// misspelled key is reported rather than ignored.
func readEvent(name string, stdin interface{ Read([]byte) (int, error) }) (engine.Event, error) {
	var ev engine.Event
	var raw []byte
	var err error
	if name == "-" {
		var buf bytes.Buffer
		_, err = buf.ReadFrom(stdin)
		raw = buf.Bytes()
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return ev, fmt.Errorf("cannot read the event: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return ev, fmt.Errorf("%s: not a valid event: %w", name, err)
	}
	if dec.More() {
		return ev, fmt.Errorf("%s: not a valid event: more data follows the event's JSON object", name)
	}
	if ev.Type == "" {
		return ev, fmt.Errorf("%s: the event has no type", name)
	}
	return ev, nil
}
