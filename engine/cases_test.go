package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/organizer-dev/organizer/rules"
)

// caseFile is a testdata/cases/*.yaml file: rule texts, events, and what
// evaluation must give (OPA-style case files).
type caseFile struct {
	Cases []struct {
		Note  string         `yaml:"note"`
		Rules string         `yaml:"rules"`
		Event map[string]any `yaml:"event"`
		Now   string         `yaml:"now"`
		Want  struct {
			Matched []string       `yaml:"matched"`
			Errors  []string       `yaml:"errors"`
			Plan    map[string]any `yaml:"plan"`
			Sources map[string]any `yaml:"sources"`
			Trace   []struct {
				Rule       string         `yaml:"rule"`
				Result     Verdict        `yaml:"result"`
				Detail     string         `yaml:"detail"`
				Values     map[string]any `yaml:"values"`
				Overridden []string       `yaml:"overridden"`
				Would      map[string]any `yaml:"would"`
			} `yaml:"trace"`
		} `yaml:"want"`
	} `yaml:"cases"`
}

func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		var cf caseFile
		require.NoError(t, yaml.Unmarshal(raw, &cf))
		for _, c := range cf.Cases {
			t.Run(filepath.Base(path)+"/"+c.Note, func(t *testing.T) {
				set := &rules.Set{}
				require.Empty(t, set.Add("case.yaml", []byte(c.Rules)))
				rs, errs := compileSet(set)
				require.Empty(t, errs)
				evJSON, err := json.Marshal(c.Event)
				require.NoError(t, err)
				var ev Event
				require.NoError(t, json.Unmarshal(evJSON, &ev))
				opts := []EvalOption{}
				if c.Now != "" {
					now, err := time.Parse(time.RFC3339, c.Now)
					require.NoError(t, err)
					opts = append(opts, Now(now))
				}
				full := rs.Evaluate(context.Background(), ev, append(opts, FullTrace())...)
				fast := rs.Evaluate(context.Background(), ev, opts...)
				require.Equal(t, full.Matched, fast.Matched, "indexed and traced evaluation agree on matches")
				require.Equal(t, full.Plan, fast.Plan, "indexed and traced evaluation agree on the plan")
				require.Equal(t, full.Provenance(), fast.Provenance(), "indexed and traced evaluation agree on the sources")
				require.Equal(t, kept(full.Trace), kept(fast.Trace), "the compact trace keeps the errors and shadow matches")
				w := c.Want
				if w.Matched != nil {
					require.Equal(t, w.Matched, full.Matched)
				}
				var errored []string
				for _, e := range full.Trace {
					if e.Verdict == Errored {
						errored = append(errored, e.Rule)
					}
				}
				if w.Errors != nil {
					require.Equal(t, w.Errors, errored)
				}
				requirePlan(t, w.Plan, full.Plan)
				requireJSONFields(t, w.Sources, full.Provenance(), "sources")
				for _, want := range w.Trace {
					got := findEntry(t, full.Trace, want.Rule)
					require.Equal(t, want.Result, got.Verdict, "rule %s: %s", want.Rule, got.Detail)
					require.Contains(t, got.Detail, want.Detail, "rule %s", want.Rule)
					require.Regexp(t, `^case\.yaml:\d+:5$`, got.Position)
					switch {
					case want.Overridden == nil:
					case len(want.Overridden) == 0:
						require.Empty(t, got.Overridden, "rule %s", want.Rule)
					default:
						require.Equal(t, want.Overridden, got.Overridden, "rule %s", want.Rule)
					}
					if want.Would != nil {
						require.NotNil(t, got.Would, "rule %s: what it would contribute", want.Rule)
						requirePlan(t, want.Would, *got.Would)
					} else {
						require.Nil(t, got.Would, "rule %s is not a shadow match", want.Rule)
					}
					for k, v := range want.Values {
						require.Equal(t, v, got.Values[k], "rule %s saw %s", want.Rule, k)
					}
				}
			})
		}
	}
}

// kept returns what a compact trace keeps of a trace: errors, and what
// shadow rules would have contributed.
func kept(trace []TraceEntry) []string {
	out := []string{}
	for _, e := range trace {
		if e.Verdict == Shadow || e.Verdict == Errored {
			would, _ := json.Marshal(e.Would)
			out = append(out, fmt.Sprintf("%s %s %s %s", e.Rule, e.Verdict, e.Detail, would))
		}
	}
	return out
}

// requirePlan compares the plan fields a case names, in their JSON form.
func requirePlan(t *testing.T, want map[string]any, got Plan) {
	t.Helper()
	requireJSONFields(t, want, got, "plan")
}

// requireJSONFields compares the fields want names with those of got's JSON form.
func requireJSONFields(t *testing.T, want map[string]any, got any, what string) {
	t.Helper()
	raw, err := json.Marshal(got)
	require.NoError(t, err)
	var gotMap map[string]any
	require.NoError(t, json.Unmarshal(raw, &gotMap))
	for k, v := range want {
		wantJSON, err := json.Marshal(v)
		require.NoError(t, err)
		gotJSON, err := json.Marshal(gotMap[k])
		require.NoError(t, err)
		require.JSONEq(t, string(wantJSON), string(gotJSON), "%s.%s", what, k)
	}
}

func findEntry(t *testing.T, trace []TraceEntry, rule string) TraceEntry {
	t.Helper()
	for _, e := range trace {
		if e.Rule == rule {
			return e
		}
	}
	t.Fatalf("no trace entry for rule %s", rule)
	return TraceEntry{}
}
