package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckGolden runs `organizer check` on each broken fixture and compares
// what it prints with the fixture's golden file (-update rewrites them).
func TestCheckGolden(t *testing.T) {
	for _, name := range []string{"mistakes", "positions"} {
		t.Run(name, func(t *testing.T) {
			r := organizer(t, "check", filepath.Join("testdata", name+".yaml"))
			require.Equal(t, exitFailure, r.code, "%s", r)
			require.Empty(t, r.stderr)
			golden(t, filepath.Join("testdata", name+".golden"), r.stdout)
		})
	}
}

// TestCheckReportsEveryMistakeOnce: a content manager's file with seven
// different mistakes gets all seven back from one run, one line each, sorted,
// each at the exact line and column of the mistake, and check exits 1.
func TestCheckReportsEveryMistakeOnce(t *testing.T) {
	const file = "testdata/mistakes.yaml"
	r := organizer(t, "check", file)
	require.Equal(t, exitFailure, r.code, "%s", r)
	require.Empty(t, r.stderr)

	want := []struct {
		line, col int
		token     string // what the column must point at in the file
		message   string
	}{
		{8, 5, "whne:", `unknown rule field "whne"; did you mean "when"?`},
		// `when: |` block scalar: the name is on the expression's second line.
		{16, 35, "lowr(title)", "unknown name lowr; did you mean lower?"},
		// double-quoted `when`, with escaped quotes and an É before the name.
		{22, 35, "titel", "unknown name titel; did you mean title?"},
		{29, 15, "{{ metadata.department }}", `folder: YAML reads an unquoted {{ }} as a mapping; quote the template: "{{ ... }}"`},
		{31, 11, "training", `rule name "training" is already used at testdata/mistakes.yaml:6:11`},
		{39, 19, "everyone", `visibility "everyone" must be one of`},
		{43, 11, "maybe", `stop must be true or false, not the text "maybe"`},
	}

	out := lines(r.stdout)
	require.Len(t, out, len(want)+1, "one line per mistake, then the count:\n%s", r.stdout)
	require.Equal(t, "7 problems", out[len(out)-1])

	var got []problem
	for _, l := range out[:len(out)-1] {
		got = append(got, parseProblem(t, l))
	}
	for i, w := range want {
		p := got[i]
		require.Equal(t, file, p.file)
		require.Equal(t, [2]int{w.line, w.col}, [2]int{p.line, p.col}, "position of %q", p.message)
		require.True(t, strings.HasPrefix(p.message, w.message), "message at %d:%d\nwant prefix: %s\ngot:         %s", p.line, p.col, w.message, p.message)
		// The column was counted by hand above; check it against the file.
		require.Equal(t, columnOf(t, file, w.line, w.token), p.col, "column of %q on line %d", w.token, w.line)
	}
}

// TestCheckPositionsInsideStrings: a misspelled name inside a `when` or a
// template is reported at that name, whatever the YAML string style: folded,
// single-quoted with doubled-quote escapes, double-quoted with \u, \U escapes and an
// emoji, a \-continued line, a plain multi-line scalar, a tab, and templates
// after non-ASCII text. Columns count runes, as an editor does.
func TestCheckPositionsInsideStrings(t *testing.T) {
	const file = "testdata/positions.yaml"
	r := organizer(t, "check", file)
	require.Equal(t, exitFailure, r.code, "%s", r)

	want := []struct {
		line  int
		token string
	}{
		{12, "titel"},        // when: >
		{19, "lowr("},        // when: >- with ï earlier in the scalar
		{24, "titel"},        // 'single ''quoted'''
		{29, "titel"},        // "\u00e9\U0001F600😀"
		{35, "titel"},        // "...\<newline>  titel"
		{42, "titel"},        // plain scalar over several lines: content.titel
		{47, "titel"},        // a tab before the name
		{52, "finance_wrds"}, // lists.<misspelled>
		{58, "titleCse"},     // template after "Équipe — "
		{59, "lowr("},        // second template of a flow list, after "ünïcödé "
	}
	out := lines(r.stdout)
	require.Len(t, out, len(want)+1, "%s", r.stdout)
	require.Equal(t, "10 problems", out[len(out)-1])
	for i, w := range want {
		p := parseProblem(t, out[i])
		require.Equal(t, w.line, p.line, "line of %q", out[i])
		require.Equal(t, columnOf(t, file, w.line, w.token), p.col,
			"%q should point at %q in %q", out[i], w.token, lineOf(t, file, w.line))
		require.Contains(t, p.message, strings.TrimSuffix(w.token, "("), "the message names the misspelling")
	}
}

// TestCheckWindowsLineEndings: the same file saved with CRLF line endings
// gets the same problems at the same positions.
func TestCheckWindowsLineEndings(t *testing.T) {
	raw, err := os.ReadFile("testdata/mistakes.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	crlf := writeFile(t, dir, "mistakes.yaml", strings.ReplaceAll(string(raw), "\n", "\r\n"))

	want := organizer(t, "check", "testdata/mistakes.yaml")
	got := organizer(t, "check", crlf)
	require.Equal(t, exitFailure, got.code, "%s", got)
	require.Equal(t,
		strings.ReplaceAll(want.stdout, "testdata/mistakes.yaml", "MISTAKES"),
		strings.ReplaceAll(got.stdout, crlf, "MISTAKES"))
}

// TestCheckYAMLSyntaxErrorPosition: YAML that does not parse at all is still
// reported as file:line:col, exit 1, at the line YAML chokes on.
func TestCheckYAMLSyntaxErrorPosition(t *testing.T) {
	dir := t.TempDir()
	t.Run("unclosed quote", func(t *testing.T) {
		file := writeFile(t, dir, "quote.yaml", "version: 1\nrules:\n  - name: a\n    actions:\n      folder: \"Training\n")
		r := organizer(t, "check", file)
		require.Equal(t, exitFailure, r.code, "%s", r)
		p := parseProblem(t, lines(r.stdout)[0])
		require.Equal(t, file, p.file)
		require.Contains(t, p.message, "YAML syntax")
	})
	t.Run("unquoted template mid-list", func(t *testing.T) {
		// YAML reads {{ b }} as a mapping; check says to quote it, at the {{.
		file := writeFile(t, dir, "tmpl.yaml", "version: 1\nrules:\n  - name: a\n    actions:\n      tags: [a, {{ b }}]\n")
		r := organizer(t, "check", file)
		require.Equal(t, exitFailure, r.code, "%s", r)
		p := parseProblem(t, lines(r.stdout)[0])
		require.Equal(t, [2]int{5, columnOf(t, file, 5, "{{")}, [2]int{p.line, p.col}, "%s", r.stdout)
		require.Contains(t, p.message, "quote the template")
	})
	t.Run("tab indentation", func(t *testing.T) {
		// YAML forbids tabs for indentation; the problem is the tab itself,
		// in column 1, not the '-' after it.
		file := writeFile(t, dir, "tab.yaml", "version: 1\nrules:\n\t- name: a\n\t  actions:\n\t    folder: A\n")
		r := organizer(t, "check", file)
		require.Equal(t, exitFailure, r.code, "%s", r)
		p := parseProblem(t, lines(r.stdout)[0])
		require.Equal(t, 3, p.line, "%s", r.stdout)
		require.Equal(t, 1, p.col, "BUG: the column should point at the tab (col 1), got %s", r.stdout)
	})
}

// TestCheckMistakesInTestFiles: check also validates *_test.yaml files, so a
// misspelled expectation is caught before it silently tests nothing.
func TestCheckMistakesInTestFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "rules.yaml", "version: 1\nrules:\n  - name: inbox\n    actions:\n      folder: Inbox\n")
	tests := writeFile(t, dir, "rules_test.yaml", `tests:
  - name: everything goes to the inbox
    event: {type: content.uploaded, content: {id: c1, titel: Holiday party}}
    expect:
      foldr: Inbox
`)
	r := organizer(t, "check", dir)
	require.Equal(t, exitFailure, r.code, "%s", r)
	out := lines(r.stdout)
	require.Len(t, out, 3, "%s", r.stdout)
	titel := parseProblem(t, out[0])
	require.Equal(t, [3]any{tests, 3, columnOf(t, tests, 3, "titel")}, [3]any{titel.file, titel.line, titel.col})
	require.Contains(t, titel.message, `did you mean "title"?`)
	foldr := parseProblem(t, out[1])
	require.Equal(t, [3]any{tests, 5, 7}, [3]any{foldr.file, foldr.line, foldr.col})
	require.Contains(t, foldr.message, `did you mean "folder"?`)
	require.Equal(t, "2 problems", out[2])
}

// TestCheckJSON: `check --format json` gives the same problems as the text
// format, as data.
func TestCheckJSON(t *testing.T) {
	text := organizer(t, "check", "testdata/mistakes.yaml")
	r := organizer(t, "check", "--format", "json", "testdata/mistakes.yaml")
	require.Equal(t, exitFailure, r.code, "%s", r)
	var got struct {
		Valid  bool `json:"valid"`
		Errors []struct {
			Position struct {
				File string `json:"file"`
				Line int    `json:"line"`
				Col  int    `json:"col"`
			} `json:"position"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got), r.stdout)
	require.False(t, got.Valid)
	var want, have []problem
	for _, l := range lines(text.stdout) {
		if !strings.HasSuffix(l, " problems") {
			want = append(want, parseProblem(t, l))
		}
	}
	for _, e := range got.Errors {
		have = append(have, problem{file: e.Position.File, line: e.Position.Line, col: e.Position.Col, message: e.Message})
	}
	require.Equal(t, want, have)
	require.Contains(t, have, problem{"testdata/mistakes.yaml", 16, 35, "unknown name lowr; did you mean lower?"})

	ok := organizer(t, "check", "--format", "json", examplesRules)
	require.Equal(t, exitOK, ok.code, "%s", ok)
	require.JSONEq(t, `[]`, string(mustField(t, ok.stdout, "errors")), "no problems is [], not null")
	require.JSONEq(t, `true`, string(mustField(t, ok.stdout, "valid")))
}

func mustField(t *testing.T, doc, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(doc), &m), doc)
	v, ok := m[key]
	require.True(t, ok, "no %q in %s", key, doc)
	return v
}

// TestCheckLiteralActionMistakesOnce: a wrong literal value in an action is
// reported once, at the value, not a second time at the rule.
func TestCheckLiteralActionMistakesOnce(t *testing.T) {
	for _, c := range []struct {
		name, action, token, message string
	}{
		{"visibility", "visibility: everyone", "everyone", `visibility "everyone" must be one of`},
		{"permission", "permissions: [{team: HR, permission: own}]", "own", `permission "own" must be one of`},
		{"export width", "derivatives: [{export: {format: mp4, width: wide}}]", "wide", "export.width must be a whole number"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := writeFile(t, t.TempDir(), "rules.yaml",
				"version: 1\nrules:\n  - name: share\n    actions:\n      "+c.action+"\n")
			r := organizer(t, "check", file)
			require.Equal(t, exitFailure, r.code, "%s", r)
			out := lines(r.stdout)
			require.Equal(t, "1 problem", out[len(out)-1], "one mistake, one problem (compiling must not report it again at the rule):\n%s", r.stdout)
			p := parseProblem(t, out[0])
			require.Equal(t, [2]int{5, columnOf(t, file, 5, c.token)}, [2]int{p.line, p.col}, "%s", r.stdout)
			require.Contains(t, p.message, c.message)
		})
	}
}
