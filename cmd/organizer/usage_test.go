package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUsageErrors: a command line the organizer cannot understand exits 2,
// says what is wrong on stderr, points at --help, and does nothing else.
func TestUsageErrors(t *testing.T) {
	event := filepath.Join(examplesEvents, "finance-uploaded.json")
	for _, c := range []struct {
		name    string
		args    []string
		message string
	}{
		{"unknown command", []string{"orgnaize"}, `unknown command "orgnaize"`},
		{"unknown flag", []string{"check", "--strict", examplesRules}, "unknown flag: --strict"},
		// cobra reads "check" as the value of the unknown flag and then
		// complains about the path; the exit code is still right.
		{"unknown flag before the command", []string{"--verbose", "check", examplesRules}, "unknown "},
		{"check with no path", []string{"check"}, "requires at least 1 arg"},
		{"test with no path", []string{"test"}, "requires at least 1 arg"},
		{"dry-run without --event", []string{"dry-run", "--rules", examplesRules}, `at least one of the flags in the group [event payload content-id] is required`},
		{"dry-run with --event and --payload", []string{"dry-run", "--rules", examplesRules, "--event", event, "--provider", "shift72", "--payload", event}, `[event payload] were all set`},
		{"dry-run --payload without --provider", []string{"dry-run", "--rules", examplesRules, "--payload", event}, `--payload and --content-id need --provider`},
		{"dry-run with --format xml", []string{"dry-run", "--rules", examplesRules, "--event", event, "--format", "xml"}, `--format must be text or json, not "xml"`},
		{"check with --format xml", []string{"check", "--format", "xml", examplesRules}, `--format must be text or json, not "xml"`},
		{"test with --format xml", []string{"test", "--format", "xml", examplesRules}, `--format must be text or json, not "xml"`},
		{"dry-run with a bad --now", []string{"dry-run", "--rules", examplesRules, "--event", event, "--now", "yesterday"}, "--now must be an RFC 3339 time"},
		{"dry-run with a stray argument", []string{"dry-run", "--rules", examplesRules, "--event", event, "extra"}, `"extra"`},
		{"version with an argument", []string{"version", "extra"}, `"extra"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := organizer(t, c.args...)
			require.Equal(t, exitUsage, r.code, "organizer %s: %s", strings.Join(c.args, " "), r)
			require.Empty(t, r.stdout, "a usage error prints nothing on stdout")
			require.Contains(t, r.stderr, c.message)
			require.Contains(t, r.stderr, "organizer --help")
		})
	}
}

// TestMissingRules: rules that are not there are a failure (exit 1) that
// names the path, for every command that reads rules.
func TestMissingRules(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-rules")
	event := filepath.Join(examplesEvents, "finance-uploaded.json")
	for _, args := range [][]string{
		{"check", missing},
		{"test", missing},
		{"dry-run", "--rules", missing, "--event", event},
		{"check", examplesRules, missing}, // one good path does not hide a bad one
	} {
		t.Run(args[0], func(t *testing.T) {
			r := organizer(t, args...)
			require.Equal(t, exitFailure, r.code, "organizer %s: %s", strings.Join(args, " "), r)
			require.Contains(t, r.output(), missing+":1:1: cannot read rules")
			require.NotContains(t, r.output(), "ok:")
		})
	}
}

// TestEmptyRulesDirectory: a directory without rule files is a failure that
// says what was looked for.
func TestEmptyRulesDirectory(t *testing.T) {
	dir := t.TempDir()
	r := organizer(t, "check", dir)
	require.Equal(t, exitFailure, r.code, "%s", r)
	require.Contains(t, r.stdout, "no rule files found")
}

// TestVersion: version prints one line starting with "organizer ".
func TestVersion(t *testing.T) {
	r := organizer(t, "version")
	require.Equal(t, exitOK, r.code, "%s", r)
	require.Empty(t, r.stderr)
	out := lines(r.stdout)
	require.Len(t, out, 1, "%q", r.stdout)
	require.True(t, strings.HasPrefix(out[0], "organizer "), "%q", out[0])
	require.Greater(t, len(strings.TrimSpace(strings.TrimPrefix(out[0], "organizer "))), 0, "the version itself is missing: %q", out[0])
}

// TestHelp: --help lists every command and exits 0.
func TestHelp(t *testing.T) {
	r := organizer(t, "--help")
	require.Equal(t, exitOK, r.code, "%s", r)
	for _, cmd := range []string{"check", "test", "dry-run", "version"} {
		require.Contains(t, r.stdout, "  "+cmd+" ")
	}
}
