package engine

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/rules"
)

var update = flag.Bool("update", false, "rewrite the .golden files")

// testOptions declare providers and event types as the CLI does.
var testOptions = []Option{
	EventTypes("content.uploaded", "content.transcoded", "playback.started", "playback.completed", "ingestion_updated"),
	Provider("vaultstream"),
	Provider("shift72", "tags", "remove_tags", "visibility", "permissions"),
}

// TestCompileErrors compiles each testdata/compile_err/<case>.yaml and
// compares every problem with <case>.golden: positions inside expressions
// land on the character the user typed, in every YAML scalar style.
func TestCompileErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/compile_err/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			rs, errs := compileSet(parsed(t, path), testOptions...)
			require.Nil(t, rs)
			got := errs.Error() + "\n"
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), got)
		})
	}
}

// TestErrorColumnPointsAtName checks, independently of the goldens, that the
// reported column of a misspelled name is where that name stands in the file.
func TestErrorColumnPointsAtName(t *testing.T) {
	text, err := os.ReadFile("testdata/compile_err/positions.yaml")
	require.NoError(t, err)
	lines := strings.Split(string(text), "\n")
	_, errs := compileSet(parsed(t, "testdata/compile_err/positions.yaml"))
	require.Len(t, errs, 7)
	for _, e := range errs {
		name := misspelled(e.Message)
		require.NotEmpty(t, name, "message %q names no misspelling", e.Message)
		line := []rune(lines[e.Pos.Line-1])
		at := string(line[e.Pos.Col-1:])
		require.True(t, strings.HasPrefix(at, name), "%s: column points at %q, not at %q", e.Pos, at, name)
	}
}

func misspelled(msg string) string {
	for _, prefix := range []string{"unknown name ", "content has no field ", "unknown list "} {
		if rest, ok := strings.CutPrefix(msg, prefix); ok {
			var name string
			fmt.Sscanf(strings.Trim(strings.Fields(rest)[0], `";?`), "%s", &name)
			return strings.Trim(name, `";`)
		}
	}
	return ""
}

// parsed reads, parses and validates one rule file that has no problem
// before compilation.
func parsed(t *testing.T, path string) *rules.Set {
	t.Helper()
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	set := &rules.Set{}
	require.Empty(t, set.Add(path, text))
	require.Empty(t, rules.Validate(set))
	return set
}
