package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/organizer-dev/organizer/rules"
)

// payloadDecoder turns a provider's raw payload into an event, for rule
// tests written with `payload:`.
type payloadDecoder = func(provider string, payload []byte) (Event, error)

// TestResult is the outcome of one rule test.
type TestResult struct {
	Name     string    `json:"name"`
	Position string    `json:"position"`
	Passed   bool      `json:"passed"`
	Failures []string  `json:"failures"`
	Decision *Decision `json:"-"`
	now      time.Time
}

// TestReport is the outcome of every rule test of a set, with coverage.
type TestReport struct {
	Results  []TestResult `json:"results"`
	Passed   int          `json:"passed"`
	Failed   int          `json:"failed"`
	Coverage []Coverage   `json:"coverage"`
}

// Coverage says, for one rule, whether any test saw it match and whether any
// saw it not match: a rule is fully covered when both happened.
type Coverage struct {
	Rule       string           `json:"rule"`
	Position   string           `json:"position"`
	Matched    bool             `json:"matched"`
	NotMatched bool             `json:"not_matched"`
	Clauses    []ClauseCoverage `json:"clauses,omitempty"`
}

// defaultTestTime is `now` in a rule test that sets neither now nor the
// event's received_at, so that tests give the same answer every day.
var defaultTestTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// RunTests runs every test case of the set against the ruleset. decode turns
// a provider's raw payload into an event, for tests written with `payload:`
// (the provider registry's DecodePayload); nil fails those tests.
func (rs *Ruleset) RunTests(ctx context.Context, set *rules.Set, decode func(provider string, payload []byte) (Event, error)) TestReport {
	report := TestReport{Results: []TestResult{}}
	cov := make([]Coverage, len(rs.rules))
	for i, r := range rs.rules {
		cov[i] = Coverage{Rule: r.name, Position: r.position}
		for _, cl := range r.clauses {
			cov[i].Clauses = append(cov[i].Clauses, ClauseCoverage{Clause: cl.text, Position: cl.position})
		}
	}
	for _, tf := range set.Tests {
		for _, c := range tf.Cases {
			res := rs.runTest(ctx, c, decode)
			if res.Passed {
				report.Passed++
			} else {
				report.Failed++
			}
			if res.Decision != nil {
				for i, e := range res.Decision.Trace {
					hit := e.Verdict == Matched || e.Verdict == Shadow // a shadow rule is tested like a live one
					cov[i].Matched = cov[i].Matched || hit
					cov[i].NotMatched = cov[i].NotMatched || e.Verdict == NotMatched
					if hit || e.Verdict == NotMatched {
						for j, v := range rs.clauseValues(ctx, res.Decision.Event, res.now, i) {
							cov[i].Clauses[j].True = cov[i].Clauses[j].True || v > 0
							cov[i].Clauses[j].False = cov[i].Clauses[j].False || v < 0
						}
					}
				}
			}
			report.Results = append(report.Results, res)
		}
	}
	report.Coverage = cov
	return report
}

func (rs *Ruleset) runTest(ctx context.Context, c *rules.TestCase, decode payloadDecoder) TestResult {
	res := TestResult{Name: c.Name.Value, Position: c.Pos.String(), Failures: []string{}}
	ev, now, err := testEvent(c, decode)
	if err != nil {
		res.Failures = append(res.Failures, err.Error())
		return res
	}
	d := rs.Evaluate(ctx, ev, Now(now), FullTrace())
	res.Decision, res.now = &d, now
	for _, want := range c.Expect {
		if msg := compare(want, &d); msg != "" {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: %s", want.Pos, msg))
		}
	}
	res.Passed = len(res.Failures) == 0
	return res
}

func testEvent(c *rules.TestCase, decode payloadDecoder) (Event, time.Time, error) {
	var ev Event
	if c.Payload != nil {
		if decode == nil {
			return ev, time.Time{}, fmt.Errorf("%s: this build cannot decode %s payloads; write the test with event: instead", c.Pos, c.Provider)
		}
		var err error
		if ev, err = decode(c.Provider, c.Payload); err != nil {
			return ev, time.Time{}, fmt.Errorf("%s: payload: %w", c.Pos, err)
		}
	} else {
		raw, err := json.Marshal(c.Event)
		if err != nil {
			return ev, time.Time{}, fmt.Errorf("%s: event: %w", c.Pos, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			return ev, time.Time{}, fmt.Errorf("%s: event: %w", c.Pos, err)
		}
	}
	now := ev.ReceivedAt
	if c.Now != nil {
		t, err := time.Parse(time.RFC3339, c.Now.Value)
		if err != nil {
			return ev, time.Time{}, fmt.Errorf("%s: now must be an RFC 3339 time like 2026-01-02T15:04:05Z", c.Now.Pos)
		}
		now = t
	}
	if now.IsZero() {
		now = defaultTestTime
	}
	return ev, now, nil
}

// compare checks one expectation against the decision and describes the
// difference, or returns "".
func compare(want *rules.Expectation, d *Decision) string {
	var got any
	ordered := false
	switch want.Key {
	case "matched":
		got, ordered = d.Matched, true
	case "errors":
		var names []string
		for _, e := range d.Trace {
			if e.Verdict == Errored {
				names = append(names, e.Rule)
			}
		}
		got, ordered = names, true
	case "folder":
		got = d.Plan.Folder
	case "visibility":
		got = d.Plan.Visibility
	case "tags":
		got = d.Plan.Tags
	case "remove_tags":
		got = d.Plan.RemoveTags
	case "permissions":
		got = d.Plan.Permissions
	case "metadata":
		got = d.Plan.Metadata
	case "derivatives":
		got = d.Plan.Derivatives
	case "notify":
		got = d.Plan.Notify
	case "held_by":
		got = d.HeldBy
	}
	value := want.Value
	if value == nil { // `folder:` with nothing after it: expect none
		if _, isString := got.(string); isString {
			value = ""
		} else {
			value = []any{}
		}
	}
	w, g := normalize(value, ordered), normalize(got, ordered)
	if reflect.DeepEqual(w, g) {
		return ""
	}
	msg := fmt.Sprintf("%s: want %s, got %s", want.Key, show(w), show(g))
	if want.Key == "held_by" {
		msg += holdReasons(d.Holds)
	}
	return msg
}

// holdReasons says why each guard that held the decision held it.
func holdReasons(holds []Hold) string {
	if len(holds) == 0 {
		return " (no guard held the decision)"
	}
	parts := make([]string, len(holds))
	for i, h := range holds {
		parts[i] = fmt.Sprintf("%s at %s: %s", h.Guard, h.Position, h.Message)
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// normalize turns a value into its JSON form, with nil lists empty and, for
// lists whose order does not matter, items sorted.
func normalize(v any, ordered bool) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		if _, isString := v.(string); !isString && v != nil {
			return []any{}
		}
	}
	if list, ok := out.([]any); ok && !ordered {
		slices.SortFunc(list, func(a, b any) int { return bytes.Compare(mustJSON(a), mustJSON(b)) })
	}
	return out
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return string(mustJSON(v))
}
