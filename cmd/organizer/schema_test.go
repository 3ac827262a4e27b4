package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/organizer-dev/organizer/rules"
)

// printedSchema runs organizer schema and compiles what it prints.
func printedSchema(t *testing.T, args ...string) (*jsonschema.Schema, string) {
	t.Helper()
	r := organizer(t, append([]string{"schema"}, args...)...)
	require.Equal(t, exitOK, r.code, "%s", r)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
	require.NoError(t, err, "organizer schema printed something that is not JSON")
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("schema.json", doc))
	s, err := c.Compile("schema.json")
	require.NoError(t, err, "organizer schema printed an invalid schema")
	return s, r.stdout
}

// yamlInstance reads YAML text as the JSON value a schema validates.
func yamlInstance(t *testing.T, text []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(text, &v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return inst
}

// TestSchemaAcceptsExamples: every example rule file and rule-test file is
// valid against the printed schema, and names the committed schema, which
// is what organizer schema prints, on its first line.
func TestSchemaAcceptsExamples(t *testing.T) {
	schemas := map[string]*jsonschema.Schema{}
	for _, kind := range []string{rules.SchemaRules, rules.SchemaTests} {
		s, printed := printedSchema(t, "--file", kind)
		schemas[kind] = s
		committed, err := os.ReadFile(filepath.Join("..", "..", "docs", "schema", kind+".json"))
		require.NoError(t, err)
		require.Equal(t, printed, string(committed),
			"docs/schema/%s.json is out of date: go run ./cmd/organizer schema --file %s > docs/schema/%s.json", kind, kind, kind)
	}
	files, err := filepath.Glob(filepath.Join(examplesRules, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		kind := rules.SchemaRules
		if rules.IsTestFile(f) {
			kind = rules.SchemaTests
		}
		text, err := os.ReadFile(f)
		require.NoError(t, err)
		first, _, _ := strings.Cut(string(text), "\n")
		require.Equal(t, "# yaml-language-server: $schema=../../docs/schema/"+kind+".json", first, f)
		require.NoError(t, schemas[kind].Validate(yamlInstance(t, text)), f)
	}
}

// TestSchemaRejectsMistakes: what the loader refuses, the schema refuses,
// and a template where an enum is expected is accepted by both.
func TestSchemaRejectsMistakes(t *testing.T) {
	s, _ := printedSchema(t)
	rule := func(actions string) string {
		return "version: 1\nrules:\n  - name: r\n    actions:\n      " + actions + "\n"
	}
	for _, c := range []struct {
		text  string
		valid bool
	}{
		{rule("folder: Training"), true},
		{rule(`visibility: "{{ metadata.visibility }}"`), true},
		{rule("visibility: team"), true},
		{rule("foldr: Training"), false},
		{rule("visibility: everyone"), false},
		{rule("permissions: [{team: HR, permission: owner}]"), false},
		{rule("permissions: [{team: HR, user: ann, permission: view}]"), false},
		{rule("derivatives: [{export: {format: mp4, width: wide}}]"), false},
		{"version: 1\nrules:\n  - name: r\n    mode: dry\n    actions: {folder: A}\n", false},
		{"version: 1\nrules:\n  - name: r\n    mode: shadow\n    enabled: false\n    actions: {folder: A}\n", true},
		{"version: 1\nguards:\n  - name: g\n    message: no when\n", false},
		{"version: 1\nguards:\n  - name: g\n    when: plan.visibility == \"public\"\n", true},
		{"version: 2\nrules: []\n", false},
		{"version: 1\nrules:\n  - name: 42\n    actions: {folder: A}\n", true},
		{"version: 1\nrules:\n  - name: Big\n    actions: {folder: A}\n", false},
		{"version: 1\nrules:\n  - name: r\n    when: title == \"x\"\n", false},
		{"version: 1\nrules:\n  - name: r\n    stop: true\n", true},
	} {
		err := s.Validate(yamlInstance(t, []byte(c.text)))
		if c.valid {
			require.NoError(t, err, c.text)
		} else {
			require.Error(t, err, c.text)
		}
		_, errs := rules.ParseFile("r.yaml", []byte(c.text))
		require.Equal(t, c.valid, len(errs) == 0, "the loader and the schema disagree on:\n%s%v", c.text, errs)
	}
}

// TestTestSchemaRejectsMistakes: the rule-test schema refuses what the
// loader refuses.
func TestTestSchemaRejectsMistakes(t *testing.T) {
	s, _ := printedSchema(t, "--file", "tests")
	for _, c := range []struct {
		text  string
		valid bool
	}{
		{"tests:\n  - name: a\n    event: {type: content.uploaded}\n    expect: {held_by: []}\n", true},
		{"tests:\n  - name: a\n    event: {type: content.uploaded}\n    expect: {foldr: A}\n", false},
		{"tests:\n  - name: a\n    payload: {}\n    expect: {folder: A}\n", false},
		{"tests:\n  - name: a\n    provider: shift72\n    payload: {}\n    expect: {folder: A}\n", true},
		{"tests:\n  - name: a\n    provider: shift72\n    payload: {}\n    event: {}\n    expect: {folder: A}\n", false},
		{"tests:\n  - name: a\n    event: {type: content.uploaded, colour: red}\n    expect: {folder: A}\n", false},
		{"tests:\n  - name: a\n    event: {type: content.uploaded}\n", false},
	} {
		err := s.Validate(yamlInstance(t, []byte(c.text)))
		if c.valid {
			require.NoError(t, err, c.text)
		} else {
			require.Error(t, err, c.text)
		}
		_, errs := rules.ParseTestFile("r_test.yaml", []byte(c.text))
		require.Equal(t, c.valid, len(errs) == 0, "the loader and the schema disagree on:\n%s%v", c.text, errs)
	}
}

func TestSchemaUsage(t *testing.T) {
	r := organizer(t, "schema", "--file", "events")
	require.Equal(t, exitUsage, r.code, "%s", r)
	require.Contains(t, r.stderr, `--file must be rules or tests, not "events"`)
}
