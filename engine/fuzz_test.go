package engine_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/rules"
)

const (
	fuzzFile     = "fuzz.yaml"
	fuzzMaxExpr  = 4096
	fuzzDeadline = 200 * time.Millisecond
)

var fuzzNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// FuzzCompile writes the fuzz input as an expression into rule files (as a
// when condition, quoted, as a block scalar and plain, and inside templates),
// then loads them and, when that succeeds, evaluates them against a few
// events. Nothing may panic, every problem must be positioned, a full trace
// must have one entry per rule, and the index must not change the decision.
func FuzzCompile(f *testing.F) {
	for _, seed := range compileSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if len(expr) > fuzzMaxExpr {
			t.Skip("expression too long")
		}
		for _, v := range fuzzVariants(expr) {
			checkRuleText(t, v.name, v.text)
		}
	})
}

type fuzzVariant struct{ name, text string }

// fuzzVariants builds the rule files an expression is written into. Only
// the first carries the 16 keyword rules that make the engine build a
// keyword index: compiling them is most of the cost of an input.
func fuzzVariants(expr string) []fuzzVariant {
	quoted := strconv.Quote(expr)
	out := []fuzzVariant{
		{"when-quoted", ruleFile(true, "when: "+quoted, "stop: true")},
		{"when-block", ruleFile(false, "when: |-\n"+indent(expr, "      "), "")},
		{"template", ruleFile(false, `when: title matches "^(?P<word>\\w+)"`, "",
			"folder: "+strconv.Quote("{{ "+expr+" }}"),
			"tags: ["+strconv.Quote("t-{{"+expr+"}}-{{ title }}")+"]",
			"metadata: {fuzz: "+strconv.Quote("{{ "+expr+" }}")+"}",
		)},
	}
	if !strings.ContainsAny(expr, "\r\n") {
		out = append(out, fuzzVariant{"when-plain", ruleFile(false, "when: "+expr, "")})
	}
	return out
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// ruleFile returns a rule file with a rule named fuzz, written with the given
// when and extra fields and actions, among rules that the index keys on
// equality and numeric thresholds and, with keywordRules, 16 rules keyed on
// keywords of the lower-cased title, enough for a keyword index.
func ruleFile(keywordRules bool, when, extra string, actions ...string) string {
	var b strings.Builder
	b.WriteString(`version: 1
lists:
  words: [training, "town hall", ceo, équipe]
  empty: []
rules:
  - name: department
    on: [content.uploaded]
    when: metadata.department == "HR"
    actions: {tags: [hr]}
  - name: count
    when: metadata.count > 2 && event.provider in ["vaultstream"]
    actions: {tags: [many]}
`)
	kw := 0
	if keywordRules {
		kw = len(keywords)
	}
	for i := range kw / 2 {
		fmt.Fprintf(&b, "  - name: kw-%d\n    when: lower(title) contains %q\n    actions: {tags: [kw-%d]}\n", i, keywords[i], i)
	}
	b.WriteString("  - name: fuzz\n    " + when + "\n")
	if extra != "" {
		b.WriteString("    " + extra + "\n")
	}
	b.WriteString("    actions:\n")
	if len(actions) == 0 {
		actions = []string{`folder: "Fuzz/{{ title }}"`, "tags: [fuzz]"}
	}
	for _, a := range actions {
		b.WriteString("      " + a + "\n")
	}
	for i := kw / 2; i < kw; i++ {
		fmt.Fprintf(&b, "  - name: kw-%d\n    when: lower(title) contains %q\n    actions: {tags: [kw-%d]}\n", i, keywords[i], i)
	}
	b.WriteString(`  - name: last
    on: ["content.*"]
    when: metadata.score <= 2.5 || data.size_bytes >= 1000
    actions:
      folder: Last
      tags: [last]
`)
	return b.String()
}

var keywords = []string{"training", "town hall", "onboarding", "équipe", "budget", "q3", "ceo", "module",
	"compliance", "all-hands", "quarterly", "review", "finance", "hr", "sales", "season"}

// fuzzEvents are the events every compiled rule set is evaluated against.
var fuzzEvents = []engine.Event{
	{
		ID: "e1", Provider: "vaultstream", Type: "content.uploaded", ReceivedAt: fuzzNow.Add(-time.Hour),
		Content: engine.Content{
			ID: "c1", Title: "Onboarding 101 — Training S01E02", Folder: "Inbox", Tags: []string{"draft", "x"},
			Metadata: map[string]any{
				"department": "HR", "count": 3, "score": 2.5, "big": int64(1 << 40), "missing": nil,
				"created": "2025-12-24", "flag": true, "tags": []any{"en", "fr", 1},
				"nested": map[string]any{"a": map[string]any{"b": "c", "n": 1.5}, "list": []any{nil, "x"}},
			},
		},
		Data: map[string]any{"size_bytes": 120034112.0, "uploaded_by": "u_42", "nested": map[string]any{"k": nil}},
	},
	{
		ID: "e2", Provider: "other", Type: "content.transcoded",
		Content: engine.Content{
			ID: "c2", Title: "ÉQUIPE FINANCE Q3 Town Hall İstanbul ǅ ß",
			Metadata: map[string]any{
				"department": "ÉQUIPE FINANCE", "count": "3", "score": nil, "year": 2026.0,
				"nested": map[string]any{"a": "not a map"},
			},
		},
	},
	{
		Type: "schedule.daily",
		Content: engine.Content{
			Title: "",
			Metadata: map[string]any{
				"department": 7, "nested": map[string]any{"a": map[string]any{}}, "count": -1, "score": math.NaN(),
			},
		},
		Data: map[string]any{"size_bytes": "big", "list": []any{map[string]any{"x": 1}}},
	},
}

// checkRuleText loads (parses, validates, compiles) and evaluates one rule
// file. The loader compiles the expressions of a file with other problems
// too, so broken files go through the compiler as well.
func checkRuleText(t *testing.T, variant, text string) {
	t.Helper()
	text = "# " + variant + "\n" + text
	l, errs := engine.LoadFiles(map[string][]byte{fuzzFile: []byte(text)})
	requirePositioned(t, errs, text)
	if len(errs) > 0 {
		require.Nil(t, l.Ruleset, "a ruleset despite errors")
		return // the CLI evaluates only rule sets that load without problems
	}
	rs := l.Ruleset
	require.NotNil(t, rs, "no ruleset and no errors")
	names := rs.RuleNames()
	require.Equal(t, len(l.Set.Rules()), rs.Len())
	for _, ev := range fuzzEvents {
		full := evaluate(rs, ev, engine.Now(fuzzNow), engine.FullTrace())
		require.Len(t, full.Trace, rs.Len(), "one trace entry per rule for event %s", ev.ID)
		for i, e := range full.Trace {
			require.Equal(t, names[i], e.Rule)
			require.Contains(t, []engine.Verdict{engine.Matched, engine.NotMatched, engine.Skipped, engine.Errored}, e.Verdict)
			require.Regexp(t, tracePosition, e.Position, "position of rule %s", e.Rule)
		}
		fast := evaluate(rs, ev, engine.Now(fuzzNow))
		if deadlineHit(full) || deadlineHit(fast) {
			continue
		}
		// The index only leaves out rules that cannot match, so it changes no
		// result and hides no error.
		require.Equal(t, full.Matched, fast.Matched, "matched rules with and without the index, event %s\n%s", ev.ID, text)
		require.Equal(t, errored(full), errored(fast), "rules in error with and without the index, event %s\n%s", ev.ID, text)
		if !reflect.DeepEqual(full.Plan, fast.Plan) { // NaN != NaN: compare as text then
			require.Equal(t, fmt.Sprintf("%#v", full.Plan), fmt.Sprintf("%#v", fast.Plan),
				"plan with and without the index, event %s\n%s", ev.ID, text)
		}
	}
}

// tracePosition is a trace entry's position: file:line:col, both from 1.
var tracePosition = regexp.MustCompile(`^` + regexp.QuoteMeta(fuzzFile) + `:[1-9][0-9]*:[1-9][0-9]*$`)

func evaluate(rs *engine.Ruleset, ev engine.Event, opts ...engine.EvalOption) engine.Decision {
	ctx, cancel := context.WithTimeout(context.Background(), fuzzDeadline)
	defer cancel()
	return rs.Evaluate(ctx, ev, opts...)
}

// errored returns the rules a decision's trace shows in error.
func errored(d engine.Decision) []string {
	out := []string{}
	for _, e := range d.Trace {
		if e.Verdict == engine.Errored {
			out = append(out, e.Rule+": "+e.Detail)
		}
	}
	return out
}

func deadlineHit(d engine.Decision) bool {
	for _, e := range d.Trace {
		if e.Verdict == engine.Errored && strings.Contains(e.Detail, "deadline") {
			return true
		}
	}
	return false
}

func requirePositioned(t *testing.T, errs rules.ErrorList, text string) {
	t.Helper()
	for _, e := range errs {
		require.Equal(t, fuzzFile, e.Pos.File, "error %q in\n%s", e.Message, text)
		require.GreaterOrEqual(t, e.Pos.Line, 1, "line of error %q in\n%s", e.Message, text)
		require.GreaterOrEqual(t, e.Pos.Col, 1, "column of error %q in\n%s", e.Message, text)
		prefix := fmt.Sprintf("%s:%d:%d: ", fuzzFile, e.Pos.Line, e.Pos.Col)
		require.True(t, strings.HasPrefix(e.Error(), prefix), "%q does not start with %q", e.Error(), prefix)
	}
}

// compileSeeds are conditions and template expressions as rules use them,
// and as they get them wrong.
var compileSeeds = []string{
	`containsAny(lower(title), lists.words)`,
	`lower(metadata.department ?? "") != ""`,
	`titleCase(lower(metadata.department))`,
	`metadata.department ?? 'General'`,
	`title matches "^(?P<show>.+) S(?P<season>\\d+)E\\d+$" && match.show != ""`,
	`title matches "(?i)town\\s+hall" || lower(title) matches "k[a-z]+s"`,
	`{{ title }}`,
	`(((((((((((((((((((((((((((((((((((((((((1 < 2)))))))))))))))))))))))))))))))))))))))) && ((title))) == "x"`,
	`repeat("ab", 600000) != "" && len(repeat(title, 3)) > 1`,
	`all(1..100000000, {# > 0}) || any(lists.words, {# in title})`,
	`all(lists.empty, .x) && none(metadata.tags ?? [], {# == 1}) && lists.nope == nil`,
	`metadata.nested.a.b == "c" && metadata.nested?.a?.n > 1 && data.size_bytes >= 1e6`,
	`daysSince(metadata.created) < 30 && now.Year() == 2026 && event.received_at < now`,
	`metadata.count in ["3", "4"] || metadata.count == 3 || metadata.missing == nil`,
	`slug("Café Déjà Vu") == "cafe-deja-vu" && upper("ß") == "SS" && title contains "İ"`,
	`join(map(lists.words, upper(#)), "/") + replace(title, "o", "0")`,
	"title == \"\u00c9quipe \U0001F600\"\n  && content.tags[0] != 'x'\t# comment",
	`ctx != nil || __tick(ctx) || now() > 0 || content.titel == "" || evnt.type == ""`,
	`1 +`,
	`"unterminated`,
}
