package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/engine"
)

// evalTimeout bounds one event's evaluation, so that a rule set that runs
// away (a huge loop in an expression) cannot hang the command.
const evalTimeout = 2 * time.Second

func dryRunCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dry-run --rules PATH (--event FILE | --provider NAME --payload FILE | --provider NAME --content-id ID --type TYPE)",
		Short: "Show what the rules would do with an event, and why, without doing it",
		Args:  cobra.NoArgs,
	}
	rulesPath := cmd.Flags().String("rules", "./rules", "rule file or directory")
	eventFile := cmd.Flags().String("event", "", "a normalized event as JSON (- for standard input)")
	provider := cmd.Flags().String("provider", "", "with --payload: the provider whose webhook body it is (vaultstream, shift72)")
	payloadFile := cmd.Flags().String("payload", "", "a raw webhook body as the provider sends it (- for standard input)")
	contentID := cmd.Flags().String("content-id", "", "with --provider and --type: evaluate the item as the platform has it now (reads only)")
	eventType := cmd.Flags().String("type", "", "with --content-id: the event type to evaluate it as")
	now := cmd.Flags().String("now", "", "the time rules see as now (RFC 3339; default: the current time)")
	format := formatFlag(cmd)
	cmd.MarkFlagsOneRequired("event", "payload", "content-id")
	cmd.MarkFlagsMutuallyExclusive("event", "payload", "content-id")
	cmd.MarkFlagsRequiredTogether("content-id", "type")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := checkFormat(*format); err != nil {
			return err
		}
		at, err := parseNow(*now)
		if err != nil {
			return err
		}
		var ev engine.Event
		switch {
		case (*payloadFile != "" || *contentID != "") && *provider == "":
			return fmt.Errorf("--payload and --content-id need --provider")
		case *payloadFile != "":
			ev, err = readPayload(*provider, *payloadFile, cmd.InOrStdin())
		case *contentID != "":
			ctx, cancel := contextWithTimeout(cmd, 30*time.Second)
			ev, err = fetchEvent(ctx, *provider, *contentID, *eventType)
			cancel()
		default:
			ev, err = readEvent(*eventFile, cmd.InOrStdin())
		}
		if err != nil {
			return failure{err}
		}
		l, errs := load([]string{*rulesPath})
		if len(errs) > 0 {
			printCheck(cmd.ErrOrStderr(), l, errs)
			return failure{errReported}
		}
		ctx, cancel := contextWithTimeout(cmd, evalTimeout)
		defer cancel()
		d := l.Ruleset.Evaluate(ctx, ev, engine.Now(at), engine.FullTrace())
		if err := interrupted(cmd); err != nil {
			return err // a decision cut short by a signal is not one to act on
		}
		if *format == "json" {
			writeJSON(cmd.OutOrStdout(), d)
		} else {
			printDecision(cmd.OutOrStdout(), &d)
		}
		return nil
	}
	return cmd
}

// readPayload decodes a raw webhook body through the provider's adapter,
// without a signature: the person running the dry-run wrote it down.
func readPayload(provider, name string, stdin io.Reader) (engine.Event, error) {
	raw, err := readInput(name, stdin)
	if err != nil {
		return engine.Event{}, fmt.Errorf("cannot read the payload: %w", err)
	}
	ev, err := providers().DecodePayload(provider, raw)
	if err != nil {
		return engine.Event{}, fmt.Errorf("%s: %w", name, err)
	}
	return ev, nil
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

// readEvent reads a normalized event, refusing unknown fields so that a
// misspelled key is reported rather than ignored. A normalized event has
// content; a body without it is most likely a provider's raw webhook
// (VaultStream's {"type", "data"} decodes without an unknown field), which
// --provider and --payload read, so the error says so rather than
// evaluating an event about nothing.
func readEvent(name string, stdin io.Reader) (engine.Event, error) {
	var ev engine.Event
	raw, err := readInput(name, stdin)
	if err != nil {
		return ev, fmt.Errorf("cannot read the event: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return ev, fmt.Errorf("%s: not a valid event: %w%s", name, err, rawPayloadHint(raw, name))
	}
	if dec.More() {
		return ev, fmt.Errorf("%s: not a valid event: more data follows the event's JSON object", name)
	}
	if hint := rawPayloadHint(raw, name); hint != "" {
		return ev, fmt.Errorf("%s: not a normalized event: it has no content%s", name, hint)
	}
	if ev.Type == "" {
		return ev, fmt.Errorf("%s: the event has no type", name)
	}
	return ev, nil
}

// rawPayloadHint returns, for a JSON object without "content", advice to
// dry-run it as a raw webhook body; "" for anything else.
func rawPayloadHint(raw []byte, name string) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return ""
	}
	if _, ok := fields["content"]; ok {
		return ""
	}
	return fmt.Sprintf("; if it is a provider's raw webhook body, use --provider NAME --payload %s instead of --event", name)
}
