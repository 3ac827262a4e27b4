package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// A webhook whose rule would build huge values is decided within 10 s by
// the running service, whose memory stays under 512 MB, and the stored
// decision names the limit: the same bounds as dry-run, in `serve`.
func TestServeHostileRuleStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	for _, c := range hostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			pt := newProcTestRules(t, "", c.rules(), 0, "")
			p := pt.start(t, "serve")
			var ev struct {
				Content struct{ ID, Title string } `json:"content"`
				Data    map[string]any             `json:"data"`
			}
			require.NoError(t, json.Unmarshal([]byte(c.event), &ev))
			data := map[string]any{"content_id": ev.Content.ID, "title": ev.Content.Title}
			for k, v := range ev.Data {
				data[k] = v
			}
			pt.sim.AddContent(vaultstreamtest.Content{ID: ev.Content.ID, Title: ev.Content.Title})
			body, err := vaultstreamtest.WebhookBody("content.uploaded", data)
			require.NoError(t, err)
			start := time.Now()
			r := send(pt.client, p.url, body)
			require.NoError(t, r.err)

			var decided struct {
				Status   string          `json:"status"`
				Decision json.RawMessage `json:"decision"`
			}
			require.Eventually(t, func() bool {
				resp, err := pt.client.Get(p.url + "/v1/events/" + r.eventID)
				if err != nil {
					return false
				}
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&decided) != nil {
					return false
				}
				return decided.Status == "applied" || decided.Status == "dead"
			}, 10*time.Second, 20*time.Millisecond, "the event was not decided within 10 s")
			took := time.Since(start)
			peak := peakRSS(t, p.cmd.Process.Pid)
			t.Logf("%s: decided in %v, service peak RSS %d MiB", c.name, took.Round(time.Millisecond), peak>>20)
			require.Less(t, peak, int64(512<<20))
			require.Contains(t, string(decided.Decision), `"result":"error"`)
			require.Contains(t, string(decided.Decision), c.limit)
		})
	}
}

// peakRSS reads a running process's peak resident memory (VmHWM), bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}
