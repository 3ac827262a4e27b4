package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// everyKeyRules uses every key the rule-file schema has, each mapping once.
const everyKeyRules = `version: 1
lists:
  words: [a, b]
schedules:
  - name: s
    cron: "0 3 * * *"
    timezone: UTC
    provider: vaultstream
    source: content
    max_changes: 5
    params: {q: x}
guards:
  - name: g
    when: "true"
    message: m
rules:
  - name: r
    description: d
    on: [content.uploaded]
    provider: vaultstream
    when: "true"
    stop: false
    enabled: true
    mode: live
    actions:
      folder: F
      visibility: team
      tags: [t]
      remove_tags: [u]
      permissions:
        - {team: T, permission: view}
        - {user: U, permission: edit}
      metadata: {k: v}
      derivatives:
        - transcode: {profile: p, output_format: mp4}
        - export: {format: gif, start_seconds: 1, duration_seconds: 2, width: 3}
      notify:
        - {url: "https://example.invalid/x", text: hi}
`

// everyKeyTests uses every key the rule-test schema has.
const everyKeyTests = `tests:
  - name: a
    now: 2026-01-01T00:00:00Z
    event:
      id: e
      provider: vaultstream
      type: content.uploaded
      received_at: 2026-01-01T00:00:00Z
      content: {id: c, title: t, metadata: {}, folder: f, tags: [x], visibility: team}
      data: {}
    expect: {matched: [], errors: [], folder: "", visibility: "", tags: [], remove_tags: [],
             permissions: [], metadata: {}, derivatives: [], notify: [], held_by: []}
  - name: b
    provider: shift72
    payload: {}
    expect: {matched: []}
`

// TestSchemaKeysAreWalkerKeys: the walker reads every key of every mapping
// the schema describes, and reads no key the schema lacks (that is an
// internal error in fields).
func TestSchemaKeysAreWalkerKeys(t *testing.T) {
	for what, keys := range shapeKeys {
		for _, k := range keys {
			docs := "\n" + everyKeyRules + everyKeyTests
			if !strings.Contains(docs, " "+k+":") && !strings.Contains(docs, "{"+k+":") && !strings.Contains(docs, "\n"+k+":") {
				t.Errorf("the key %s.%s is in the schema but not in this test's documents", what, k)
			}
		}
	}
	_, errs := ParseFile("r.yaml", []byte(everyKeyRules))
	_, more := ParseTestFile("r_test.yaml", []byte(everyKeyTests))
	for _, e := range append(errs, more...) {
		t.Errorf("the walker refuses a key of the schema: %v", e)
	}
	require.NotEmpty(t, shapeKeys["rule"])
}

// TestWalkerKeyMissingFromSchema: a key the walker reads that the schema
// lacks is reported, not silently accepted.
func TestWalkerKeyMissingFromSchema(t *testing.T) {
	w := &walker{src: newSource("r.yaml", []byte("x: 1\n"))}
	root := w.document([]byte("x: 1\n"))
	w.fields(root, "guard", []field{{"x", func(_, _ *yaml.Node) {}}})
	require.Len(t, w.errs, 1)
	require.Equal(t, fmt.Sprintf("r.yaml:1:1: internal error: guard field %q is missing from the rule-file schema", "x"), w.errs[0].Error())
}
