package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	traceRules = "testdata/trace/rules.yaml"
	traceEvent = "testdata/trace/event.json"
	fixedNow   = "2026-03-01T12:00:00Z"
)

var (
	positionPattern = regexp.MustCompile(`^.+\.ya?ml:\d+:\d+$`)
	digestPattern   = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	traceResults    = []string{"matched", "not_matched", "skipped", "error"}
)

// dryRunJSON runs dry-run --format json and decodes the output generically,
// so that a missing, extra or null key shows up.
func dryRunJSON(t *testing.T, rules, event string) map[string]any {
	t.Helper()
	r := organizer(t, "dry-run", "--rules", rules, "--event", event, "--format", "json", "--now", fixedNow)
	require.Equal(t, exitOK, r.code, "%s", r)
	require.Empty(t, r.stderr)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), "dry-run --format json printed something that is not JSON:\n%s", r.stdout)
	return doc
}

func keys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// requireDecisionShape checks the documented shape of a dry-run JSON
// document and returns its trace entries.
func requireDecisionShape(t *testing.T, doc map[string]any) []map[string]any {
	t.Helper()
	require.Equal(t, []string{"event", "held_by", "holds", "matched", "plan", "ruleset", "sources", "trace"}, keys(doc))
	require.IsType(t, []any{}, doc["held_by"], "held_by must be a list, [] when no guard holds the decision")
	require.IsType(t, []any{}, doc["holds"], "holds must be a list, [] when no guard holds the decision")

	require.IsType(t, map[string]any{}, doc["event"])
	require.IsType(t, "", doc["ruleset"])
	require.Regexp(t, digestPattern, doc["ruleset"])
	require.IsType(t, []any{}, doc["matched"], "matched must be a list, [] when nothing matched")

	plan, ok := doc["plan"].(map[string]any)
	require.True(t, ok, "plan is %T", doc["plan"])
	require.Equal(t, []string{"derivatives", "folder", "metadata", "notify", "permissions", "remove_tags", "tags", "visibility"}, keys(plan))
	require.IsType(t, "", plan["folder"])
	require.IsType(t, "", plan["visibility"])
	for _, k := range []string{"tags", "remove_tags", "permissions", "derivatives", "notify"} {
		require.IsType(t, []any{}, plan[k], "plan.%s must be a list ([] when empty), not %v", k, plan[k])
	}
	require.IsType(t, map[string]any{}, plan["metadata"], "plan.metadata must be an object ({} when empty)")

	list, ok := doc["trace"].([]any)
	require.True(t, ok, "trace is %T", doc["trace"])
	require.NotEmpty(t, list)
	var trace []map[string]any
	for i, item := range list {
		e, ok := item.(map[string]any)
		require.True(t, ok, "trace[%d] is %T", i, item)
		require.Equal(t, []string{"detail", "overridden", "position", "result", "rule", "values"}, keys(e), "trace[%d]", i)
		require.IsType(t, "", e["rule"])
		require.NotEmpty(t, e["rule"])
		require.IsType(t, "", e["position"])
		require.Regexp(t, positionPattern, e["position"], "trace[%d].position", i)
		require.Contains(t, traceResults, e["result"], "trace[%d].result", i)
		require.IsType(t, "", e["detail"])
		require.NotEmpty(t, e["detail"], "trace[%d] says why", i)
		require.IsType(t, map[string]any{}, e["values"], "trace[%d].values must be an object, not %v", i, e["values"])
		require.IsType(t, []any{}, e["overridden"], "trace[%d].overridden must be a list, not %v", i, e["overridden"])
		trace = append(trace, e)
	}
	return trace
}

// requirePositionAtName checks that a trace position names the line of the
// rule's `name:`, with the column on the `name` key.
func requirePositionAtName(t *testing.T, position, rule string) {
	t.Helper()
	i := strings.LastIndex(position, ":")
	j := strings.LastIndex(position[:i], ":")
	file := position[:j]
	line, err := strconv.Atoi(position[j+1 : i])
	require.NoError(t, err)
	col, err := strconv.Atoi(position[i+1:])
	require.NoError(t, err)
	require.Equal(t, "name: "+rule, strings.TrimSpace(textAt(t, file, line, col)),
		"position %s of rule %s should point at its name: line, which reads %q", position, rule, lineOf(t, file, line))
}

// TestDryRunJSONShape: dry-run --format json prints exactly the documented
// keys, lists as [] rather than null, and a trace entry per rule whose
// position points at the rule's name: line. The fixture makes every result
// appear: error, matched, not_matched and skipped.
func TestDryRunJSONShape(t *testing.T) {
	doc := dryRunJSON(t, traceRules, traceEvent)
	trace := requireDecisionShape(t, doc)

	require.Equal(t, []any{"first-folder", "second-folder"}, doc["matched"])
	plan := doc["plan"].(map[string]any)
	require.Equal(t, "First", plan["folder"], "the first rule to set the folder wins")
	require.Equal(t, "team", plan["visibility"])
	require.Equal(t, []any{"first"}, plan["tags"])
	require.Equal(t, []any{}, plan["remove_tags"])
	require.Equal(t, map[string]any{}, plan["metadata"])

	type row struct{ rule, result string }
	var got []row
	for _, e := range trace {
		got = append(got, row{e["rule"].(string), e["result"].(string)})
		requirePositionAtName(t, e["position"].(string), e["rule"].(string))
	}
	require.Equal(t, []row{
		{"by-code", "error"},
		{"first-folder", "matched"},
		{"second-folder", "matched"},
		{"never", "not_matched"},
		{"transcoded-only", "skipped"},
	}, got)

	require.Contains(t, trace[0]["detail"], "not a string", "the error says what went wrong")
	require.Equal(t, []any{`folder "Second": rule first-folder set "First" first`}, trace[2]["overridden"])
	require.Equal(t, map[string]any{"title": "Hello"}, trace[3]["values"], "a rule that did not match shows the values it saw")
	require.Contains(t, trace[4]["detail"], "content.transcoded")

	event := doc["event"].(map[string]any)
	require.Equal(t, "evt_trace", event["id"])
	require.Equal(t, "content.uploaded", event["type"])
}

// TestDryRunJSONShapeEmptyPlan: an event no rule acts on still has every
// plan key, every list [] and matched [].
func TestDryRunJSONShapeEmptyPlan(t *testing.T) {
	event := writeFile(t, t.TempDir(), "deleted.json", `{"id": "e", "provider": "vaultstream", "type": "content.deleted", "content": {"id": "c"}}`)
	doc := dryRunJSON(t, traceRules, event)
	trace := requireDecisionShape(t, doc)
	require.Equal(t, []any{}, doc["matched"])
	require.Equal(t, "", doc["plan"].(map[string]any)["folder"])
	for _, e := range trace {
		require.Equal(t, "skipped", e["result"])
	}
}

// TestDryRunTracePositionWhenNameIsNotFirst: a rule whose `name:` is not its
// first key is still located at its name: line in the trace.
func TestDryRunTracePositionWhenNameIsNotFirst(t *testing.T) {
	dir := t.TempDir()
	rules := writeFile(t, dir, "rules.yaml", `version: 1
rules:
  - description: Everything goes to the inbox
    on: [content.uploaded]
    name: inbox
    actions:
      folder: Inbox
`)
	event := writeFile(t, dir, "event.json", `{"type": "content.uploaded", "content": {"id": "c1", "title": "Hello"}}`)
	doc := dryRunJSON(t, rules, event)
	trace := requireDecisionShape(t, doc)
	require.Len(t, trace, 1)
	// The trace uses rules.Rule.Pos, where the rule's mapping starts.
	requirePositionAtName(t, trace[0]["position"].(string), "inbox")
}

// TestDryRunText: the default text format shows the event, the plan, then
// one trace line per rule in order, with its mark, position, result and why.
func TestDryRunText(t *testing.T) {
	r := organizer(t, "dry-run", "--rules", traceRules, "--event", traceEvent, "--now", fixedNow)
	require.Equal(t, exitOK, r.code, "%s", r)
	require.Empty(t, r.stderr)
	out := lines(r.stdout)

	require.Equal(t, `event    vaultstream content.uploaded c_1 (id "evt_trace")`, out[0])
	require.Equal(t, `title    "Hello"`, out[1])
	require.Regexp(t, `^ruleset  sha256:[0-9a-f]{64}$`, out[2])
	require.Equal(t, "matched  first-folder, second-folder", out[3])

	plan := slices.Index(out, "plan")
	trace := slices.Index(out, "trace")
	require.Greater(t, plan, 0, "%s", r.stdout)
	require.Greater(t, trace, plan, "%s", r.stdout)
	planText := strings.Join(out[plan+1:trace], "\n")
	require.Regexp(t, `(?m)^  folder +First +\(first-folder\)$`, planText)
	require.Regexp(t, `(?m)^  visibility +team +\(second-folder\)$`, planText)
	require.Regexp(t, `(?m)^  tags +first +\(first-folder\)$`, planText)

	traceText := strings.Join(out[trace+1:], "\n")
	want := []struct{ mark, rule, pos, result string }{
		{"!", "by-code", traceRules + ":5:5", "error: lower: 7 (float64) is not a string"},
		{"✓", "first-folder", traceRules + ":12:5", "matched: the rule has no condition"},
		{"✓", "second-folder", traceRules + ":18:5", "matched: when is true"},
		{"✗", "never", traceRules + ":25:5", `not_matched: title == "nope" is false (title: "Hello")`},
		{"-", "transcoded-only", traceRules + ":31:5", "skipped: event type content.uploaded is not in on: [content.transcoded]"},
	}
	last := -1
	for _, w := range want {
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^  %s %s +%s +%s`,
			regexp.QuoteMeta(w.mark), regexp.QuoteMeta(w.rule), regexp.QuoteMeta(w.pos), regexp.QuoteMeta(w.result)))
		loc := re.FindStringIndex(traceText)
		require.NotNil(t, loc, "no trace line for %s like %s in:\n%s", w.rule, re, traceText)
		require.Greater(t, loc[0], last, "trace lines are not in rule order:\n%s", traceText)
		last = loc[0]
	}
	require.Contains(t, traceText, `overridden: folder "Second": rule first-folder set "First" first`)
	require.Contains(t, traceText, `saw {"title":"Hello"}`)
}

// TestDryRunTextEmptyPlan: when no rule acts, the text says so.
func TestDryRunTextEmptyPlan(t *testing.T) {
	event := writeFile(t, t.TempDir(), "deleted.json", `{"type": "content.deleted", "content": {"id": "c"}}`)
	r := organizer(t, "dry-run", "--rules", traceRules, "--event", event)
	require.Equal(t, exitOK, r.code, "%s", r)
	require.Contains(t, r.stdout, "matched  (none)")
	require.Regexp(t, `(?m)^  \(nothing\) +no rule asks for an action$`, r.stdout)
}

// TestDryRunTitleCaseNonASCII: Pattern 3 files content under its department
// title-cased as Python's str.title() does, and tags it with the lower-cased
// department, for any script.
func TestDryRunTitleCaseNonASCII(t *testing.T) {
	for _, c := range []struct{ department, folder, tag string }{
		{"ÉQUIPE FINANCE", "Équipe Finance", "équipe finance"},
		{"straße", "Straße", "straße"},
		{"STRASSE", "Strasse", "strasse"},
		{"ΟΔΥΣΣΕΥΣ", "Οδυσσευς", "οδυσσευς"}, // final sigma
		{"o'neil sales", "O'Neil Sales", "o'neil sales"},
		{"recherche & développement", "Recherche & Développement", "recherche & développement"},
	} {
		t.Run(c.department, func(t *testing.T) {
			ev, err := json.Marshal(map[string]any{
				"id": "evt", "provider": "vaultstream", "type": "content.uploaded",
				"content": map[string]any{"id": "c1", "title": "Budget walkthrough", "metadata": map[string]any{"department": c.department}},
			})
			require.NoError(t, err)
			event := writeFile(t, t.TempDir(), "event.json", string(ev))

			doc := dryRunJSON(t, examplesRules, event)
			require.Equal(t, []any{"department"}, doc["matched"])
			plan := doc["plan"].(map[string]any)
			require.Equal(t, c.folder, plan["folder"])
			require.Equal(t, []any{c.tag}, plan["tags"])

			r := organizer(t, "dry-run", "--rules", examplesRules, "--event", event)
			require.Equal(t, exitOK, r.code, "%s", r)
			require.Regexp(t, `(?m)^  folder +`+regexp.QuoteMeta(c.folder)+` +\(department\)$`, r.stdout)
			require.Regexp(t, `(?m)^  tags +`+regexp.QuoteMeta(c.tag)+` +\(department\)$`, r.stdout)
		})
	}
}

// TestDryRunBadEvents: an event that cannot be read is a failure (exit 1)
// with a message naming the file and the problem, never a panic.
func TestDryRunBadEvents(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, text, message string }{
		{"truncated.json", `{"id": "e", "type": "content.uploaded", `, "not a valid event"},
		{"empty.json", ``, "not a valid event"},
		{"not-an-object.json", `[1, 2]`, "not a valid event"},
		{"misspelled-key.json", `{"typ": "content.uploaded"}`, `unknown field "typ"`},
		{"no-type.json", `{"id": "e", "content": {"id": "c"}}`, "the event has no type"},
		{"wrong-type.json", `{"type": "content.uploaded", "content": {"title": 42}}`, "not a valid event"},
		{"bad-time.json", `{"type": "content.uploaded", "received_at": "yesterday"}`, "not a valid event"},
		{"trailing-garbage.json", `{"type": "content.uploaded", "content": {"id": "c"}} trailing`, "not a valid event"},
		{"two-events.json", `{"type": "content.uploaded"} {"type": "content.deleted"}`, "not a valid event"},
	} {
		t.Run(c.name, func(t *testing.T) {
			event := writeFile(t, dir, c.name, c.text)
			r := organizer(t, "dry-run", "--rules", examplesRules, "--event", event)
			require.Equal(t, exitFailure, r.code, "a malformed event must exit 1 (readEvent decodes only the first JSON value): %s", r)
			require.Empty(t, r.stdout, "no plan for a malformed event")
			require.Contains(t, r.stderr, event)
			require.Contains(t, r.stderr, c.message)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		r := organizer(t, "dry-run", "--rules", examplesRules, "--event", dir+"/nope.json")
		require.Equal(t, exitFailure, r.code, "%s", r)
		require.Contains(t, r.stderr, "cannot read the event")
		require.Contains(t, r.stderr, "nope.json")
	})
}

// TestDryRunRawPayloadAsEvent: a provider's raw webhook body given as
// --event is refused (exit 1, no decision) with advice to use --provider and
// --payload. VaultStream's body decodes as an event about nothing, and
// SHIFT72's has fields no event has; neither may give an empty decision.
func TestDryRunRawPayloadAsEvent(t *testing.T) {
	for _, payload := range []string{"vaultstream-content-transcoded.json", "shift72-ingestion-completed.json"} {
		t.Run(payload, func(t *testing.T) {
			path := filepath.Join("../../examples/payloads", payload)
			r := organizer(t, "dry-run", "--rules", examplesRules, "--event", path)
			require.Equal(t, exitFailure, r.code, "%s", r)
			require.Empty(t, r.stdout, "no decision for a raw payload")
			require.Contains(t, r.stderr, path)
			require.Contains(t, r.stderr, "--provider NAME --payload "+path)
		})
	}
	t.Run("stdin", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		root := newRoot(&stdout, &stderr)
		root.SetIn(strings.NewReader(`{"type": "content.uploaded", "data": {"content_id": "c1"}}`))
		root.SetArgs([]string{"dry-run", "--rules", examplesRules, "--event", "-"})
		err := root.Execute()
		var f failure
		require.ErrorAs(t, err, &f, "a failure exits 1, not 2")
		require.Contains(t, err.Error(), "--provider NAME --payload -")
		require.Empty(t, stdout.String())
	})
}

// TestDryRunInvalidRules: dry-run refuses rules that do not check, printing
// the same problems check prints (on stderr), and exits 1.
func TestDryRunInvalidRules(t *testing.T) {
	check := organizer(t, "check", "testdata/mistakes.yaml")
	r := organizer(t, "dry-run", "--rules", "testdata/mistakes.yaml", "--event", traceEvent)
	require.Equal(t, exitFailure, r.code, "%s", r)
	require.Empty(t, r.stdout)
	require.Contains(t, r.stderr, "testdata/mistakes.yaml:8:5: unknown rule field \"whne\"")
	require.Equal(t, check.stdout, r.stderr)
}

// TestDryRunExplainGolden: the text dry-run names the clause that was false
// with the value it saw, shows the rule beside each plan value, and marks
// disabled and shadow rules, with what a shadow rule would have done.
func TestDryRunExplainGolden(t *testing.T) {
	r := organizer(t, "dry-run", "--rules", "testdata/explain/rules.yaml", "--event", "testdata/explain/event.json", "--now", fixedNow)
	require.Equal(t, exitOK, r.code, "%s", r)
	golden(t, "testdata/explain/text.golden", r.stdout)

	r = organizer(t, "dry-run", "--rules", "testdata/explain/rules.yaml", "--event", "testdata/explain/event.json", "--now", fixedNow, "--format", "json")
	require.Equal(t, exitOK, r.code, "%s", r)
	var doc struct {
		Sources map[string]any   `json:"sources"`
		Trace   []map[string]any `json:"trace"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.Equal(t, map[string]any{
		"folder": "training", "visibility": "finance",
		"tags":        map[string]any{"training": "training", "finance": "finance"},
		"remove_tags": map[string]any{}, "metadata": map[string]any{"reviewed": "finance"},
		"permissions": map[string]any{"team:Finance:view": "training"},
		"derivatives": []any{}, "notify": []any{},
	}, doc.Sources)
	require.Equal(t, `metadata.department == "HR" is false (metadata.department: "Finance")`, doc.Trace[0]["detail"])
	require.Equal(t, "disabled", doc.Trace[3]["result"])
	require.Equal(t, "shadow", doc.Trace[4]["result"])
	would, _ := doc.Trace[4]["would"].(map[string]any)
	require.Equal(t, "private", would["visibility"], "the shadow rule's would: %v", doc.Trace[4])
	require.Equal(t, []any{"confidential"}, would["tags"])
}
