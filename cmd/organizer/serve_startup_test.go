package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A restart after SIGKILL under load is ready within 10 s, and the start-up
// time it logs ("ready", startup_ms and its phases) is the time the test
// saw, less what comes before the service's own start (the process's exec
// and its readiness poll).
func TestServeRestartAfterSIGKILLIsReadySoon(t *testing.T) {
	t.Parallel()
	pt := newProcTest(t, killConfig, 10*time.Millisecond, "")
	ds := pt.deliveries(t, "r", 600)
	p := pt.start(t, "organizer #1")
	results, _ := loadUntil(t, pt, p, ds, int64(len(ds)/2), p.kill)
	a, refused, none, _ := tally(results)
	t.Logf("SIGKILL under load: %d acknowledged, %d refused, %d unanswered", a, refused, none)

	launched := time.Now()
	p = pt.launch(t, "organizer #2")
	require.NoError(t, p.waitReady(10*time.Second), "ready after a restart")
	seen := time.Since(launched)
	ready := readyLine(t, p.stderr.String())
	logged := time.Duration(ready["startup_ms"].(float64) * float64(time.Millisecond))
	t.Logf("restart ready after %v as the test saw it; logged %v", seen.Round(time.Millisecond), ready)
	require.Less(t, logged, seen, "the logged start-up time is within what the test saw")
	require.Less(t, seen-logged, 2*time.Second, "the logged start-up time leaves out little of what the test saw")
	for _, phase := range []string{"open_store_ms", "migrate_ms", "recover_ms", "load_rules_ms", "river_start_ms"} {
		require.Contains(t, ready, phase)
	}
	require.Contains(t, metricsText(t, pt, p), "organizer_startup_seconds ")
}

// readyLine is the "ready" log line's attributes.
func readyLine(t *testing.T, stderr string) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "ready" {
			return line
		}
	}
	t.Fatalf("no \"ready\" line in the log:\n%s", tail(stderr, 4<<10))
	return nil
}

// metricsText is GET /metrics.
func metricsText(t *testing.T, pt *procTest, p *proc) string {
	t.Helper()
	resp, err := pt.client.Get(p.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	var sb strings.Builder
	_, err = bufio.NewReader(resp.Body).WriteTo(&sb)
	require.NoError(t, err)
	return sb.String()
}
