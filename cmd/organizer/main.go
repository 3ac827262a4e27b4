// Command organizer applies declarative rules to video-platform webhooks.
//
// Usage:
//
//	organizer check PATH...
//	organizer test PATH...
//	organizer dry-run --rules PATH --event FILE [--format text|json]
//	organizer schedules --rules PATH [--now TIME] [--format text|json]
//	organizer simulate vaultstream|shift72 [--addr HOST:PORT]
//	organizer schema [--file rules|tests]
//	organizer version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes, which scripts and CI rely on: 0 for success, 1 when the
// command did its job and found a problem, 2 when it was used wrongly.
const (
	exitOK      = 0
	exitFailure = 1 // invalid rules, failing tests, unreadable input
	exitUsage   = 2
)

// failure is an error a command returns after doing its job and finding a
// problem: invalid rules, a failing test. Anything else cobra returns is a
// usage error.
type failure struct{ err error }

func (f failure) Error() string { return f.err.Error() }

// errReported is a failure whose details the command has already printed.
var errReported = errors.New("reported")

// run is the whole program, testable: it parses args, runs the command and
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var f failure
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &f):
		if !errors.Is(f.err, errReported) {
			fmt.Fprintln(stderr, "organizer:", f.err)
		}
		return exitFailure
	default:
		fmt.Fprintln(stderr, "organizer:", err)
		fmt.Fprintln(stderr, "Run 'organizer --help' for usage.")
		return exitUsage
	}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "organizer",
		Short:         "Declarative rules for video-platform webhooks",
		Long:          "organizer files, tags and shares videos from YAML rules when VaultStream or SHIFT72 send a webhook.",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		checkCommand(),
		testCommand(),
		dryRunCommand(),
		impactCommand(),
		sweepCommand(),
		schedulesCommand(),
		schemaCommand(),
		serveCommand(),
		revertCommand(),
		benchCommand(),
		simulateCommand(),
		versionCommand(),
	)
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// formatFlag adds --format text|json to a command.
func formatFlag(cmd *cobra.Command) *string {
	return cmd.Flags().String("format", "text", "output format: text or json")
}

func checkFormat(format string) error {
	if format != "text" && format != "json" {
		return fmt.Errorf("--format must be text or json, not %q", format)
	}
	return nil
}

// parseNow reads a --now flag: an RFC 3339 time, or the current time when
// the flag is empty.
func parseNow(flag string) (time.Time, error) {
	if flag == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, flag)
	if err != nil {
		return time.Time{}, fmt.Errorf("--now must be an RFC 3339 time like 2026-01-02T15:04:05Z: %w", err)
	}
	return t, nil
}
