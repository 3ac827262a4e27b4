package engine

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/rules"
)

func TestRunTestsReportsFailuresAndClauseCoverage(t *testing.T) {
	set := &rules.Set{}
	require.Empty(t, set.Add("r.yaml", []byte(`version: 1
rules:
  - name: hr-training
    on: [content.uploaded]
    when: metadata.department == "HR" && (title contains "Training" || title contains "Module")
    actions: {folder: HR Training, tags: [hr]}
  - name: archive
    on: [content.deleted]
    actions: {folder: Archive}
`)))
	require.Empty(t, set.Add("r_test.yaml", []byte(`tests:
  - name: hr training
    event: {type: content.uploaded, content: {id: a, title: Training day, metadata: {department: HR}}}
    expect: {folder: HR Training, tags: [hr], matched: [hr-training]}
  - name: sales training
    event: {type: content.uploaded, content: {id: b, title: Training day, metadata: {department: Sales}}}
    expect: {folder: HR Training}
`)))
	require.Empty(t, rules.Validate(set))
	rs, errs := compileSet(set)
	require.Empty(t, errs)
	report := rs.RunTests(context.Background(), set, nil)
	require.Equal(t, 1, report.Passed)
	require.Equal(t, 1, report.Failed)
	require.Equal(t, []string{`r_test.yaml:7:14: folder: want "HR Training", got ""`}, report.Results[1].Failures)

	hr, archive := report.Coverage[0], report.Coverage[1]
	require.True(t, hr.Matched)
	require.True(t, hr.NotMatched)
	require.False(t, archive.Matched, "no test reaches the archive rule")
	require.Equal(t, []ClauseCoverage{
		{Clause: `metadata.department == "HR"`, Position: "r.yaml:5:11", True: true, False: true},
		{Clause: `title contains "Training" || title contains "Module"`, Position: "r.yaml:5:43", True: true, False: false},
	}, hr.Clauses)
}

// A shadow rule is being tried out: tests that see it match cover it, though
// it is never in matched.
func TestRunTestsCoversShadowRules(t *testing.T) {
	set := &rules.Set{}
	require.Empty(t, set.Add("r.yaml", []byte(`version: 1
rules:
  - name: watched
    mode: shadow
    when: metadata.department == "HR"
    actions: {folder: People}
`)))
	require.Empty(t, set.Add("r_test.yaml", []byte(`tests:
  - name: hr
    event: {type: content.uploaded, content: {id: a, title: x, metadata: {department: HR}}}
    expect: {matched: [], folder: ""}
`)))
	rs, errs := compileSet(set)
	require.Empty(t, errs)
	report := rs.RunTests(context.Background(), set, nil)
	require.Equal(t, 1, report.Passed)
	require.True(t, report.Coverage[0].Matched, "the test saw the shadow rule match")
}
