package server

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The decision log keeps a compact decision: the plan, the names of the
// rules that matched, and the trace of the rules that failed, not why each
// other rule did not match; POST /v1/dry-run gives the full trace.
func TestDecisionLogIsCompact(t *testing.T) {
	h := startHarness(t, recordOnly)
	body := webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing"})
	_, resp := h.send(body)
	e := h.waitFor(resp["event_id"].(string), 5*time.Second, StatusRecorded)
	var d struct {
		Matched []string `json:"matched"`
		Trace   []struct {
			Rule   string `json:"rule"`
			Result string `json:"result"`
		} `json:"trace"`
	}
	require.NoError(t, json.Unmarshal(e.Decision, &d))
	require.Equal(t, []string{"marketing"}, d.Matched)
	require.Empty(t, d.Trace, "no rule failed, and the others' reasons are not kept: %+v", d.Trace)

	req, err := json.Marshal(map[string]any{"provider": "vaultstream", "payload": json.RawMessage(body)})
	require.NoError(t, err)
	status, full := h.do(http.MethodPost, "/v1/dry-run", req, http.Header{"Content-Type": {"application/json"}})
	require.Equal(t, http.StatusOK, status, "%v", full)
	require.Greater(t, len(full["trace"].([]any)), 1, "the dry-run shows every rule")
}

// A rule in shadow mode is watched through the decision log: its match is
// kept in the compact decision with what it would have done, and counted,
// but it is not in matched and its actions are not in the plan.
func TestDecisionLogKeepsShadowMatches(t *testing.T) {
	h := startHarness(t, recordOnly, func(c *Config) {
		require.NoError(t, os.WriteFile(filepath.Join(c.Rules, "shadow.yaml"), []byte(`version: 1
rules:
  - name: watch-marketing
    mode: shadow
    on: [content.uploaded]
    when: lower(title) contains "marketing"
    actions: {folder: Shadowed, tags: [watched]}
`), 0o644))
	})
	body := webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing"})
	_, resp := h.send(body)
	e := h.waitFor(resp["event_id"].(string), 5*time.Second, StatusRecorded)
	var d struct {
		Matched []string          `json:"matched"`
		Plan    map[string]any    `json:"plan"`
		Sources map[string]any    `json:"sources"`
		Trace   []engineTraceView `json:"trace"`
	}
	require.NoError(t, json.Unmarshal(e.Decision, &d))
	require.Equal(t, []string{"marketing"}, d.Matched)
	require.Equal(t, "Marketing", d.Plan["folder"])
	require.Equal(t, "marketing", d.Sources["folder"], "the stored decision says which rule set the folder")
	require.Len(t, d.Trace, 1, "%+v", d.Trace)
	require.Equal(t, "watch-marketing", d.Trace[0].Rule)
	require.Equal(t, "shadow", d.Trace[0].Result)
	require.Equal(t, "Shadowed", d.Trace[0].Would["folder"])

	res, err := http.Get(h.url + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Contains(t, string(raw), "\norganizer_shadow_matches_total{rule=\"watch-marketing\"} 1\n")
}

type engineTraceView struct {
	Rule   string         `json:"rule"`
	Result string         `json:"result"`
	Would  map[string]any `json:"would"`
}
