package rules

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the .golden files")

// parseFile reads one file and parses and validates it as a set of its own,
// returning every problem, sorted. (engine.Load is the loader; package rules
// only parses.)
func parseFile(t *testing.T, path string) (*Set, ErrorList) {
	t.Helper()
	text, err := os.ReadFile(path)
	require.NoError(t, err)
	set := &Set{}
	errs := set.Add(path, text)
	errs = append(errs, Validate(set)...)
	errs.Sort()
	return set, errs
}

// TestErrors parses each testdata/err/<case>.yaml on its own and compares
// every problem found with <case>.golden, one "file:line:col: message" per
// line, sorted.
func TestErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/err/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, errs := parseFile(t, path)
			require.NotEmpty(t, errs, "a file in testdata/err must have problems")
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

func TestOKFilesHaveNoProblems(t *testing.T) {
	set, errs := parseFile(t, "testdata/ok/full.yaml")
	require.Empty(t, errs)
	rules := set.Rules()
	require.Len(t, rules, 1)
	r := rules[0]
	require.Equal(t, "training", r.Name.Value)
	require.Equal(t, Pos{File: "testdata/ok/full.yaml", Line: 5, Col: 5}, r.Pos)
	require.Len(t, r.On, 2)
	require.Equal(t, "containsAny(lower(title), lists.training_words)\n", r.When.Value)
	a := r.Actions
	require.Equal(t, "Training", a.Folder.Value)
	require.Len(t, a.Tags, 2)
	require.False(t, a.Tags[1].IsLiteral())
	require.Len(t, a.Permissions, 2)
	require.Len(t, a.Metadata, 2)
	require.Equal(t, true, a.Metadata[0].Typed)
	require.Len(t, a.Derivatives, 2)
	require.Len(t, a.Notify, 1)
}

func TestTestFileProblems(t *testing.T) {
	_, errs := ParseTestFile("t_test.yaml", []byte(`tests:
  - name: both
    event: {type: content.uploaded, contnet: {}}
    payload: {a: 1}
    expect: {foldr: x}
  - event: {type: content.uploaded}
`))
	require.Equal(t, strings.Join([]string{
		`t_test.yaml:2:5: test "both" has both an event and a payload; keep one`,
		`t_test.yaml:3:37: unknown event field "contnet"; did you mean "content"?`,
		`t_test.yaml:5:14: unknown expect field "foldr"; did you mean "folder"?`,
		`t_test.yaml:6:5: test needs a name`,
		`t_test.yaml:6:5: test needs an expect block`,
	}, "\n"), sortedLines(errs))
}

func sortedLines(errs ErrorList) string {
	errs.Sort()
	return errs.Error()
}
