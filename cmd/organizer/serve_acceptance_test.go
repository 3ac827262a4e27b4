package main

// The hardening cases, tried against the built binary as an operator
// would: a rebound Host and a foreign Origin are refused, a content event
// without its content id is refused and not stored, curl's 11 MB body gets
// 413, and with retention: 20s decided events are gone within a minute
// while a dead letter stays.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

func TestServeHardeningBlackBox(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	t.Parallel()
	pt := newProcTest(t, "retention: 20s\nretry_base: 100ms\nretry_max: 1s\n", 0, "")
	p := pt.start(t, "serve")

	count := func() int {
		resp, err := pt.client.Get(p.url + "/v1/events?limit=500")
		require.NoError(t, err)
		defer resp.Body.Close()
		var list struct{ Items []eventView }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
		return len(list.Items)
	}
	do := func(method, path string, header http.Header, body []byte) (int, string) {
		req, err := http.NewRequest(method, p.url+path, bytes.NewReader(body))
		require.NoError(t, err)
		for k, v := range header {
			req.Header[k] = v
		}
		if h := header.Get("Host"); h != "" {
			req.Host = h
		}
		resp, err := pt.client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.String()
	}

	t.Run("a rebound Host is refused", func(t *testing.T) {
		status, body := do(http.MethodGet, "/v1/events", http.Header{"Host": {"attacker.example:8080"}}, nil)
		require.Equal(t, http.StatusForbidden, status, body)
	})
	t.Run("a foreign Origin is refused", func(t *testing.T) {
		status, body := do(http.MethodPost, "/v1/dead-letters/replay", http.Header{"Origin": {"https://attacker.example"}}, nil)
		require.Equal(t, http.StatusForbidden, status, body)
		status, body = do(http.MethodPost, "/playground", http.Header{"Origin": {"https://attacker.example"},
			"Content-Type": {"application/x-www-form-urlencoded"}}, []byte("rules=&event=%7B%7D"))
		require.Equal(t, http.StatusForbidden, status, body)
	})
	t.Run("no content id: 400, nothing stored", func(t *testing.T) {
		before := count()
		body, err := vaultstreamtest.WebhookBody("content.uploaded", map[string]any{"title": "No id"})
		require.NoError(t, err)
		r := send(pt.client, p.url, body)
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Contains(t, r.err.Error(), "content_id")
		require.Equal(t, before, count())
	})
	t.Run("curl with an 11 MB body gets 413", func(t *testing.T) {
		curl, err := exec.LookPath("curl")
		if err != nil {
			t.Skip("no curl")
		}
		big := filepath.Join(t.TempDir(), "big.json")
		require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte("x"), 11<<20), 0o600))
		out, err := exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
			"-H", "Content-Type: application/json", "-H", vaultstreamtest.SignatureHeader+": sha256=00",
			"--data-binary", "@"+big, p.url+"/webhooks/vaultstream").Output()
		require.NoError(t, err, "curl: %s", out)
		require.Equal(t, "413", string(out))
	})
	t.Run("retention: 20s", func(t *testing.T) {
		require.NoError(t, pt.sim.Fail(vaultstreamtest.Fault{Match: "PATCH /content/dead_1", Status: http.StatusForbidden, Times: vaultstreamtest.Forever}))
		ds := pt.deliveries(t, "ret", 20)
		pt.sim.AddContent(vaultstreamtest.Content{ID: "dead_1", Title: "Training that cannot be moved"})
		deadBody, err := vaultstreamtest.WebhookBody("content.uploaded", map[string]any{"content_id": "dead_1", "title": "Training that cannot be moved"})
		require.NoError(t, err)
		dead := send(pt.client, p.url, deadBody)
		require.NoError(t, dead.err)
		for i, r := range pt.send(ds, to(p)) {
			require.True(t, r.acked(), "delivery %d: %v", i, r.err)
		}
		waitApplied(t, pt.client, idsOf(ds), 10*time.Second, p.url)
		decided := time.Now()
		require.Eventually(t, func() bool {
			for _, id := range idsOf(ds) {
				if _, found, err := getEvent(pt.client, p.url, id); err != nil || found {
					return false
				}
			}
			return true
		}, time.Minute, 500*time.Millisecond, "decided events were not deleted within a minute")
		t.Logf("twenty decided events deleted %v after they were decided (retention 20s)", time.Since(decided).Round(time.Second))
		e, found, err := getEvent(pt.client, p.url, dead.eventID)
		require.NoError(t, err)
		require.True(t, found, "a dead letter is kept until handled")
		require.Equal(t, "dead", e.Status, fmt.Sprint(e))
	})
}
