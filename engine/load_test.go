package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/rules"
)

// ruleFile is a valid rule file with one rule per name, each filing titles
// containing the name under a folder of that name.
func ruleFile(names ...string) string {
	s := "version: 1\nrules:\n"
	for _, n := range names {
		s += "  - name: " + n + "\n    when: title contains \"" + n + "\"\n    actions:\n      folder: " + n + "\n"
	}
	return s
}

const (
	// brokenWhen is a rule file whose when (line 4, col 18) does not parse.
	brokenWhen = "version: 1\nrules:\n  - name: r1\n    when: title ==\n    actions:\n      folder: A\n"
	// brokenField is a rule file with an unknown field at line 4, col 5.
	brokenField = "version: 1\nrules:\n  - name: r1\n    colour: red\n    actions:\n      folder: A\n"
	// oneTest is a rule-test file with one test.
	oneTest = "tests:\n  - name: t\n    event: {type: content.uploaded}\n    expect: {folder: A}\n"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"b.yaml":        ruleFile("second"),
		"a.yml":         ruleFile("first"),
		"a_test.yaml":   oneTest,
		"notes.txt":     "not rules",
		".a.yaml.swp":   "an editor's swap file",
		".hidden.yaml":  brokenField,
		"sub.yaml.orig": brokenField,
	})
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	writeFiles(t, filepath.Join(dir, "sub"), map[string]string{"c.yaml": brokenField})

	l, errs := Load([]string{dir})
	require.Empty(t, errs)
	require.NotNil(t, l.Ruleset)
	require.Equal(t, []string{"first", "second"}, l.Ruleset.RuleNames(), "files load in lexical order; subdirectories and dot files are not read")
	require.Len(t, l.Set.Files, 2)
	require.Len(t, l.Set.Tests, 1)
	require.Equal(t, 1, l.Tests())
	require.Equal(t, filepath.Join(dir, "a.yml"), l.Set.Files[0].Path)
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": ruleFile("alpha"), "b.yaml": ruleFile("beta")})
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")

	l, errs := Load([]string{b, a})
	require.Empty(t, errs)
	require.Equal(t, []string{"beta", "alpha"}, l.Ruleset.RuleNames(), "paths load in the order given")

	missing := filepath.Join(dir, "nope")
	l, errs = Load([]string{a, missing})
	require.Nil(t, l.Ruleset, "one good path does not hide a bad one")
	require.Len(t, errs, 1)
	require.Equal(t, missing+":1:1", errs[0].Pos.String())
	require.Contains(t, errs[0].Message, "cannot read rules")

	empty := t.TempDir()
	writeFiles(t, empty, map[string]string{"a_test.yaml": oneTest})
	_, errs = Load([]string{empty})
	require.Len(t, errs, 1)
	require.Equal(t, empty+":1:1: no rule files found (looked for *.yaml and *.yml)", errs[0].Error())
}

// TestLoadReportsEveryProblem: problems of parsing, of validation across
// files and of compilation come together, sorted, from files on disk and
// from files given as text alike.
func TestLoadReportsEveryProblem(t *testing.T) {
	files := map[string]string{
		"z.yaml": brokenField,
		"a.yaml": brokenWhen,
		"m.yaml": ruleFile("alpha"),
		"n.yaml": ruleFile("alpha"),
		"t.yaml": "version: 1\nrules:\n  - name: typed\n    when: title + 1\n    actions:\n      folder: A\n",
	}
	want := []string{
		"a.yaml:4:18", "n.yaml:3:11", "t.yaml:4:17", "z.yaml:3:11", "z.yaml:4:5",
	}
	check := func(t *testing.T, l *Loaded, errs rules.ErrorList, prefix string) {
		t.Helper()
		require.Nil(t, l.Ruleset)
		require.Len(t, l.Set.Files, 5, "files with problems are in the set as far as they parsed")
		expect, got := make([]string, len(want)), make([]string, len(errs))
		for i, w := range want {
			expect[i] = prefix + w
		}
		for i, e := range errs {
			got[i] = e.Pos.String()
		}
		require.Equal(t, expect, got)
		require.Contains(t, errs[0].Message, "unexpected token EOF")
		require.Contains(t, errs[1].Message, `rule name "alpha" is already used at `+prefix+"m.yaml:3:11")
		require.Contains(t, errs[2].Message, "mismatched types")
		require.Contains(t, errs[4].Message, `unknown rule field "colour"`)
	}
	dir := t.TempDir()
	writeFiles(t, dir, files)
	l, errs := Load([]string{dir})
	check(t, l, errs, dir+string(filepath.Separator))

	inline := map[string][]byte{}
	for name, text := range files {
		inline["inline/"+name] = []byte(text)
	}
	l, errs = LoadFiles(inline)
	check(t, l, errs, "inline/")
}

func TestLoadFiles(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		l, errs := LoadFiles(map[string][]byte{
			"b.yaml":      []byte(ruleFile("beta")),
			"a.yaml":      []byte(ruleFile("alpha")),
			"a_test.yaml": []byte(oneTest),
		})
		require.Empty(t, errs)
		require.Equal(t, []string{"alpha", "beta"}, l.Ruleset.RuleNames(), "files in lexical order of name")
		require.Equal(t, 1, l.Tests())

		// The same files on disk give the same digest.
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"a.yaml": ruleFile("alpha"), "b.yaml": ruleFile("beta")})
		disk, errs := Load([]string{dir})
		require.Empty(t, errs)
		require.Equal(t, l.Ruleset.Digest(), disk.Ruleset.Digest())
	})
	t.Run("options", func(t *testing.T) {
		text := "version: 1\nrules:\n  - name: r1\n    on: [content.deleted]\n    actions:\n      folder: A\n"
		_, errs := LoadFiles(map[string][]byte{"x.yaml": []byte(text)}, EventTypes("content.uploaded"))
		require.Len(t, errs, 1)
		require.Equal(t, "x.yaml:4:10", errs[0].Pos.String())
	})
	t.Run("nothing", func(t *testing.T) {
		_, errs := LoadFiles(nil)
		require.Len(t, errs, 1)
		require.Equal(t, "(inline):1:1: no rule files given", errs[0].Error())
		_, errs = LoadFiles(map[string][]byte{"a_test.yaml": []byte(oneTest)})
		require.Len(t, errs, 1)
		require.Equal(t, "a_test.yaml:1:1: no rule files found (only rule-test files given)", errs[0].Error())
	})
}

// TestLoadSurvivesAPanic: a bug that panics while loading is a problem like
// any other, not a crash of the service or the command.
func TestLoadSurvivesAPanic(t *testing.T) {
	boom := Option(func(*config) { panic("boom") })
	l, errs := LoadFiles(map[string][]byte{"a.yaml": []byte(ruleFile("alpha"))}, boom)
	require.Nil(t, l.Ruleset)
	require.Equal(t, "(inline):1:1: internal error loading rules: boom", errs.Error())

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": ruleFile("alpha")})
	l, errs = Load([]string{dir}, boom)
	require.Nil(t, l.Ruleset)
	require.Equal(t, dir+":1:1: internal error loading rules: boom", errs.Error())
}
