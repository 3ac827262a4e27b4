package rules

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A rule is enabled and live unless it says otherwise.
func TestLifecycleKeys(t *testing.T) {
	set := &Set{}
	errs := set.Add("r.yaml", []byte(`version: 1
rules:
  - name: plain
    actions: {folder: A}
  - name: off
    enabled: false
    actions: {folder: B}
  - name: watched
    mode: shadow
    actions: {folder: C}
  - name: explicit
    enabled: true
    mode: live
    actions: {folder: D}
`))
	require.Empty(t, errs)
	got := map[string][2]any{}
	for _, r := range set.Rules() {
		got[r.Name.Value] = [2]any{r.Enabled, r.Mode}
	}
	require.Equal(t, map[string][2]any{
		"plain":    {true, Live},
		"off":      {false, Live},
		"watched":  {true, Shadow},
		"explicit": {true, Live},
	}, got)
}

// A stopping rule that is disabled or in shadow mode stops nothing, so the
// rules after it can still run; a live one makes them unreachable.
func TestUnreachableIgnoresRulesThatDoNotStop(t *testing.T) {
	set := &Set{}
	require.Empty(t, set.Add("r.yaml", []byte(`version: 1
rules:
  - {name: watched, mode: shadow, stop: true}
  - {name: off, enabled: false, stop: true}
  - {name: reached, actions: {folder: A}}
  - {name: stopper, stop: true}
  - {name: unreached, actions: {folder: B}}
`)))
	require.Equal(t, `r.yaml:7:12: rule "unreached" can never run: rule "stopper" (r.yaml:6:12) matches every event it could see and stops`,
		Validate(set).Error())
}
