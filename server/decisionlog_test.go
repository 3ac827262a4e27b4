package server

import (
	"encoding/json"
	"net/http"
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
