package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// update rewrites the golden files under testdata instead of comparing with
// them: go test ./cmd/organizer -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Paths to the shipped examples, relative to this package's directory.
const (
	examplesRules  = "../../examples/rules"
	examplesEvents = "../../examples/events"
)

// result is what a user sees after running the organizer once.
type result struct {
	code   int
	stdout string
	stderr string
}

// output is everything printed, stdout then stderr.
func (r result) output() string { return r.stdout + r.stderr }

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// organizer runs the CLI in-process, as `organizer args...` would. A panic
// fails the test with the arguments that caused it instead of crashing the
// test binary: users must never see a stack trace.
func organizer(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := func() (code int) {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("organizer %s panicked: %v\n%s", strings.Join(args, " "), p, debug.Stack())
			}
		}()
		return run(context.Background(), args, &stdout, &stderr)
	}()
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	require.NotContains(t, r.output(), "goroutine ", "organizer %s printed a stack trace", strings.Join(args, " "))
	return r
}

// writeFile writes text to name inside dir and returns the file's path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

// golden compares got with the golden file, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		t.Logf("updated %s", path)
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./cmd/organizer -update to create it")
	require.Equal(t, string(want), got, "output differs from %s (run with -update if the change is intended)", path)
}

// lines splits output into its lines, without the final newline.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// problem is one "file:line:col: message" line of check's output.
type problem struct {
	file      string
	line, col int
	message   string
}

var problemLine = regexp.MustCompile(`^(.+?\.ya?ml):(\d+):(\d+): (.+)$`)

// parseProblem parses one "file:line:col: message" line, failing the test if
// the line does not have that shape.
func parseProblem(t *testing.T, s string) problem {
	t.Helper()
	m := problemLine.FindStringSubmatch(s)
	require.NotNil(t, m, "not a file:line:col: message line: %q", s)
	line, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	return problem{file: m[1], line: line, col: col, message: m[4]}
}

// columnOf returns the 1-based rune column at which token first appears on
// the 1-based line of the file: what an editor shows for that token.
func columnOf(t *testing.T, file string, line int, token string) int {
	t.Helper()
	text := lineOf(t, file, line)
	i := strings.Index(text, token)
	require.GreaterOrEqual(t, i, 0, "%s:%d does not contain %q: %q", file, line, token, text)
	return utf8.RuneCountInString(text[:i]) + 1
}

// lineOf returns the text of a 1-based line of a file, without its line end.
func lineOf(t *testing.T, file string, line int) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	all := strings.Split(string(raw), "\n")
	require.LessOrEqual(t, line, len(all), "%s has no line %d", file, line)
	require.GreaterOrEqual(t, line, 1)
	return strings.TrimSuffix(all[line-1], "\r")
}

// textAt returns the text of a file from a 1-based line and rune column to
// the end of that line.
func textAt(t *testing.T, file string, line, col int) string {
	t.Helper()
	runes := []rune(lineOf(t, file, line))
	require.LessOrEqual(t, col-1, len(runes), "%s:%d has no column %d", file, line, col)
	require.GreaterOrEqual(t, col, 1)
	return string(runes[col-1:])
}
