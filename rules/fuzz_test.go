package rules_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/rules"
)

// fuzzMaxInput bounds the work done for one input: PosAt walks the scalar
// from its start, so checking every offset is quadratic in its length.
const fuzzMaxInput = 8 << 10

// FuzzParseFile feeds arbitrary text to ParseFile and ParseTestFile. Neither
// may panic, every problem must carry a usable position in the file it was
// given, and every position inside a parsed scalar must map back to the file.
func FuzzParseFile(f *testing.F) {
	for _, name := range []string{"organize.yaml", "organize_test.yaml", "publish.yaml", "publish_test.yaml", "stale.yaml", "stale_test.yaml"} {
		text, err := os.ReadFile("../examples/rules/" + name)
		require.NoError(f, err)
		f.Add(text)
	}
	for _, seed := range parseSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if len(text) > fuzzMaxInput {
			t.Skip("input too long")
		}
		const path, testPath = "rules/fuzz.yaml", "rules/fuzz_test.yaml"
		file, errs := rules.ParseFile(path, text)
		require.NotNil(t, file)
		require.Equal(t, path, file.Path)
		checkErrors(t, path, errs)
		for _, s := range fileScalars(file) {
			checkScalar(t, path, s)
		}
		checkErrors(t, path, rules.Validate(&rules.Set{Files: []*rules.File{file}}))

		tf, errs := rules.ParseTestFile(testPath, text)
		require.NotNil(t, tf)
		checkErrors(t, testPath, errs)
		for _, c := range tf.Cases {
			checkScalar(t, testPath, c.Name)
			if c.Now != nil {
				checkScalar(t, testPath, *c.Now)
			}
		}
	})
}

// checkErrors requires every problem to be at a 1-based line and column of
// path, and to read "path:line:col: message".
func checkErrors(t *testing.T, path string, errs rules.ErrorList) {
	t.Helper()
	for _, e := range errs {
		require.NotNil(t, e)
		prefix := fmt.Sprintf("%s:%d:%d: ", path, e.Pos.Line, e.Pos.Col)
		if e.Pos.File == path && e.Pos.Line >= 1 && e.Pos.Col >= 1 && strings.HasPrefix(e.Error(), prefix) {
			continue // the common case, without require's bookkeeping
		}
		require.Equal(t, path, e.Pos.File, "error %q", e.Message)
		require.GreaterOrEqual(t, e.Pos.Line, 1, "line of error %q", e.Message)
		require.GreaterOrEqual(t, e.Pos.Col, 1, "column of error %q", e.Message)
		require.True(t, strings.HasPrefix(e.Error(), prefix), "%q does not start with %q", e.Error(), prefix)
	}
	if len(errs) > 0 {
		require.Error(t, errs.Err())
	} else {
		require.NoError(t, errs.Err())
	}
}

// checkScalar requires PosAt to give a position in path for every rune
// offset of the scalar's value, and for the offset just past its end.
func checkScalar(t *testing.T, path string, s rules.Scalar) {
	t.Helper()
	if s.Pos == (rules.Pos{}) && s.Value == "" {
		return // a field that was not set
	}
	if s.Pos.File != path || s.Pos.Line < 1 || s.Pos.Col < 1 {
		require.Failf(t, "scalar has a bad position", "scalar %q at %+v", s.Value, s.Pos)
	}
	n := utf8.RuneCountInString(s.Value)
	for _, i := range offsets(n) {
		// Checked by hand first: require's bookkeeping would dominate the
		// run time of the fuzz function.
		if p := s.PosAt(i); p.File != path || p.Line < 1 || p.Col < 1 {
			require.Failf(t, "PosAt gave a bad position", "PosAt(%d) of %q (at %s) = %+v", i, s.Value, s.Pos, p)
		}
	}
	// Offsets outside the value must not panic either.
	s.PosAt(-1)
	s.PosAt(n + 1)
}

// offsets returns the rune offsets 0 to n inclusive at which to call PosAt:
// all of them for a short value, and for a long one (where PosAt, which walks
// the value from its start, would make checking every offset quadratic) the
// first and last scalarEdge and scalarSamples spread in between.
func offsets(n int) []int {
	const scalarEdge, scalarSamples = 128, 128
	if n <= 2*scalarEdge+scalarSamples {
		out := make([]int, n+1)
		for i := range out {
			out[i] = i
		}
		return out
	}
	var out []int
	for i := 0; i < scalarEdge; i++ {
		out = append(out, i)
	}
	step := (n - 2*scalarEdge) / scalarSamples
	for i := scalarEdge; i <= n-scalarEdge; i += step {
		out = append(out, i)
	}
	for i := n - scalarEdge + 1; i <= n; i++ {
		out = append(out, i)
	}
	return out
}

// fileScalars returns every scalar reachable from a parsed rule file.
func fileScalars(f *rules.File) []rules.Scalar {
	var out []rules.Scalar
	tmpl := func(ts ...*rules.Template) {
		for _, t := range ts {
			if t != nil {
				out = append(out, t.Scalar)
			}
		}
	}
	for _, l := range f.Lists {
		out = append(out, l.Name)
		out = append(out, l.Values...)
	}
	for _, s := range f.Schedules {
		out = append(out, s.Name, s.Cron, s.Provider, s.Source)
		for _, opt := range []*rules.Scalar{s.Timezone, s.MaxChanges} {
			if opt != nil {
				out = append(out, *opt)
			}
		}
		for _, p := range s.Params {
			out = append(out, p.Key)
			tmpl(p.Value)
		}
	}
	for _, r := range f.Rules {
		if r == nil {
			continue
		}
		out = append(out, r.Name)
		out = append(out, r.On...)
		if r.Provider != nil {
			out = append(out, *r.Provider)
		}
		if r.When != nil {
			out = append(out, *r.When)
		}
		a := &r.Actions
		tmpl(a.Folder, a.Visibility)
		tmpl(a.Tags...)
		tmpl(a.RemoveTags...)
		for _, p := range a.Permissions {
			tmpl(p.Team, p.User, p.Permission)
		}
		for _, m := range a.Metadata {
			out = append(out, m.Key)
			tmpl(m.Value)
		}
		for _, d := range a.Derivatives {
			out = append(out, d.Kind)
			for _, p := range d.Params {
				out = append(out, p.Key)
				tmpl(p.Value)
			}
		}
		for _, n := range a.Notify {
			tmpl(n.URL, n.Text)
		}
	}
	return out
}

// parseSeeds are rule files and rule-test files as people write them, and
// as they get them wrong.
var parseSeeds = []string{
	// A valid file using every action.
	`version: 1
lists:
  words: [training, "town hall", ceo]
rules:
  - name: everything
    description: every action there is
    on: [content.uploaded, "content.*"]
    provider: vaultstream
    when: containsAny(lower(title), lists.words) && metadata.department != nil
    stop: true
    actions:
      folder: "Shows/{{ titleCase(metadata.department ?? 'General') }}"
      visibility: team
      tags: [training, "{{ slug(title) }}"]
      remove_tags: draft
      permissions:
        - team: "{{ metadata.department }}"
          permission: view
        - user: u_42
          permission: edit
      metadata:
        reviewed: true
        count: 3
        owner: "{{ event.provider }}"
      derivatives:
        - transcode: {profile: hd, output_format: mp4}
        - export: {format: gif, start_seconds: 5, duration_seconds: "{{ 2 + 3 }}", width: 480}
      notify:
        - url: https://hooks.example.com/x
          text: "New upload: {{ title }}"
`,
	// Schedules, right and wrong.
	`version: 1
schedules:
  - name: stale-content
    cron: "0 2 * * *"
    timezone: Europe/Paris
    provider: vaultstream
    source: content-usage
    max_changes: 100
    params:
      last_accessed_before: "{{ daysAgo(90) }}"
  - name: Bad Name
    cron: [x]
    max_changes: -1
    params: {a: "{{", a: b}
  - just text
rules:
  - name: archive-stale
    on: [schedule.stale-content]
    actions: {folder: Archive, visibility: private}
`,
	// An unquoted template, which YAML reads as a mapping.
	`version: 1
rules:
  - name: unquoted
    actions:
      folder: {{ metadata.department }}
      tags: [{{ x }}]
`,
	// Block scalars, literal and folded, with indentation and blank lines.
	`version: 1
rules:
  - name: blocks
    when: |
      lower(title) contains "quarterly"
        && metadata.year >= 2024

      || title == "x"
    actions:
      folder: >-
        Reports/{{ metadata.year }}
        and more
      tags:
        - |-
          a {{ title }}
`,
	// Unknown keys, misspelled keys and duplicate keys.
	`version: 1
rule:
  - name: typo
rules:
  - name: dup
    nme: dup
    whn: true
    actions:
      fodler: X
      folder: X
      folder: Y
      visibilty: team
  - name: dup
    actions: {tags: [a]}
`,
	// Deeply nested parentheses and a long boolean chain.
	`version: 1
rules:
  - name: deep
    when: ((((((((((((((((((((title == "a"))))))))))))))))))) || (((((1 < 2) && (2 < 3)) || false)))
    actions: {folder: "{{ ((((((((title)))))))) }}"}
`,
	// repeat, replace and join, with quotes and escapes.
	`version: 1
rules:
  - name: repeat
    when: 'repeat("ab", 3) == "ababab" && replace(title, "a", "b") != ''x'''
    actions:
      folder: "{{ repeat(\"-\", 10) }}\t{{ join([\"a\", \"b\"], \"/\") }}"
`,
	// Loops over lists and metadata.
	`version: 1
lists:
  langs: [en, fr, de]
  empty: []
rules:
  - name: loops
    when: all(lists.langs, {# != ""}) && any(metadata.tags ?? [], {# in lists.langs}) && none(lists.empty, .x)
    actions:
      tags: ['{{ filter(lists.langs, {# startsWith "e"})[0] }}']
`,
	// Regular expressions, with named groups read back as match.
	`version: 1
rules:
  - name: episode
    on: [content.transcoded]
    when: title matches "^(?P<show>.+) S(?P<season>\\d+)E\\d+$"
    actions:
      folder: "Shows/{{ match.show }}/Season {{ match.season }}"
      tags: ["{{ match[\"1\"] }}"]
`,
	// Unicode in names, values and templates, with escapes that PosAt must
	// walk: \x, \u, \U and a line continuation.
	"version: 1\nrules:\n  - name: unicode\n    when: \"title == \\\"\u00c9quipe \\u00e9t\\u00e9 \\U0001F600 \\x41\\\n      caf\u00e9\\\" && true\"\n    actions:\n      folder: \"\u65e5\u672c\u8a9e/{{ lower(title) }}/\U0001F3AC\"\n      tags: [\u00e9t\u00e9, '\u00e7a ''va''']\n",
	// Windows line endings and tabs.
	"version: 1\r\nrules:\r\n  - name: crlf\r\n    when: \"title\t== 'x'\"\r\n    actions:\r\n      folder: \"a\r\n        b {{ title }}\"\r\n",
	// Anchors, aliases, tags and a merge key.
	`version: 1
base: &base {folder: X}
rules:
  - &r
    name: alias
    when: !!str true
    actions:
      <<: *base
      tags: *r
  - *r
`,
	// Type mistakes: a list where a scalar goes, a mapping for on, bad version.
	`version: "1"
lists: [a, b]
rules:
  name: not-a-list
  on: {content: uploaded}
  stop: yes
  actions: [folder]
`,
	// A rule file with no rules, the empty file and a document marker.
	"version: 1\n",
	"",
	"---\n...\n",
	// YAML syntax errors.
	"version: 1\nrules:\n  - name: x\n   when: [\n",
	"version: 1\nrules:\n\t- name: tab\n",
	"version: 1\nrules:\n  - name: x\n    when: \"unterminated\n",
	// A rule-test file with an event, a payload and expectations.
	`tests:
  - name: an upload
    now: 2026-01-02T03:04:05Z
    event:
      id: e1
      provider: vaultstream
      type: content.uploaded
      content: {id: c1, title: Onboarding, metadata: {department: HR, n: 1.5, nested: {a: [1, null]}}}
      data: {size: 12}
    expect:
      matched: [training]
      folder: Training
      tags: []
      metadata: {reviewed: true}
  - name: a payload
    provider: vaultstream
    payload: {"event": "video.transcoded", "video": {"id": "v1"}}
    expect: {matched: []}
  - name: both
    event: {type: x, bogus: 1, content: {titel: y}}
    payload: {}
`,
}
