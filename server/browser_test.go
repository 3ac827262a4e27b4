package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// doHost sends a request over loopback with a chosen Host header.
func (h *harness) doHost(method, path, host string, header http.Header) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(""))
	require.NoError(h.t, err)
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func errorCode(body map[string]any) any {
	e, _ := body["error"].(map[string]any)
	return e["code"]
}

// Without a token the admin API answers loopback peers only, and only when
// the request names a loopback host: a page whose name was rebound to
// 127.0.0.1 (DNS rebinding) sends its own name as Host and is refused.
func TestAdminRefusesForeignHostWithoutToken(t *testing.T) {
	h := startHarness(t, recordOnly)
	port := strings.TrimPrefix(h.url, "http://127.0.0.1:")
	for _, host := range []string{"evil.example", "evil.example:" + port, "10.0.0.1", "127.0.0.1.evil.example",
		"localhost.evil.example", "[::2]:" + port} { // (an empty Host: TestIsLoopbackHost)
		status, body := h.doHost(http.MethodGet, "/v1/events", host, nil)
		require.Equal(t, http.StatusForbidden, status, "Host %q", host)
		require.Equal(t, "forbidden", errorCode(body), "Host %q", host)
		status, _ = h.doHost(http.MethodPost, "/v1/rules/reload", host, nil)
		require.Equal(t, http.StatusForbidden, status, "Host %q", host)
	}
	for _, host := range []string{"localhost", "LOCALHOST:" + port, "localhost.:" + port, "127.0.0.1",
		"127.0.0.1:" + port, "127.3.4.5:" + port, "[::1]", "[::1]:" + port} {
		status, body := h.doHost(http.MethodGet, "/v1/events", host, nil)
		require.Equal(t, http.StatusOK, status, "Host %q: %v", host, body)
	}
	// Webhooks and probes are not the admin API: any Host.
	status, _ := h.doHost(http.MethodGet, "/healthz", "evil.example", nil)
	require.Equal(t, http.StatusOK, status)

	// With a token the Host is not checked: the service may sit behind any name.
	tok := startHarness(t, recordOnly, func(c *Config) { c.AdminToken = "t0ken" })
	status, body := tok.doHost(http.MethodGet, "/v1/events", "organizer.internal.example",
		http.Header{"Authorization": {"Bearer t0ken"}})
	require.Equal(t, http.StatusOK, status, "%v", body)
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:80": true, "LocalHost": true, "localhost.": true,
		"127.0.0.1": true, "127.255.0.9:1": true, "[::1]": true, "[::1]:8080": true, "::1": true,
		"": false, "evil.example": false, "a.localhost": false, "127.0.0.1.nip.io": false,
		"0.0.0.0": false, "10.0.0.1:80": false, "[::]:80": false, "[fe80::1]": false,
	} {
		require.Equal(t, want, isLoopbackHost(host), "%q", host)
	}
}

// A browser must not be made to change anything through /v1, token or
// not: a cross-site POST is refused. Same-origin requests and requests
// from programs (no Origin, no Sec-Fetch-Site) work.
func TestAdminRefusesCrossSiteRequests(t *testing.T) {
	for name, opt := range map[string]harnessOption{
		"without token": func(*Config) {},
		"with token":    func(c *Config) { c.AdminToken = "t0ken" },
	} {
		t.Run(name, func(t *testing.T) {
			h := startHarness(t, recordOnly, opt)
			auth := http.Header{}
			if h.svc.cfg.AdminToken != "" {
				auth.Set("Authorization", "Bearer t0ken")
			}
			status, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Training"}))
			require.Equal(t, http.StatusAccepted, status)
			id := resp["event_id"].(string)
			replays := func() any {
				status, e := h.do(http.MethodGet, "/v1/events/"+id, nil, auth)
				require.Equal(t, http.StatusOK, status)
				return e["replays"]
			}
			require.Eventually(t, func() bool {
				_, e := h.do(http.MethodGet, "/v1/events/"+id, nil, auth)
				return e["status"] == string(StatusRecorded)
			}, 5*time.Second, 10*time.Millisecond)
			replay := "/v1/events/" + id + "/replay"
			self := h.url // http://127.0.0.1:PORT, the Host the client sends

			with := func(kv ...string) http.Header {
				out := auth.Clone()
				for i := 0; i < len(kv); i += 2 {
					out.Set(kv[i], kv[i+1])
				}
				return out
			}
			for what, hdr := range map[string]http.Header{
				"Sec-Fetch-Site: cross-site": with("Sec-Fetch-Site", "cross-site"),
				"Sec-Fetch-Site: same-site":  with("Sec-Fetch-Site", "same-site"),
				"a foreign Origin":           with("Origin", "https://evil.example"),
				"a foreign Origin, same port": with("Origin", "http://evil.example"+
					strings.TrimPrefix(self, "http://127.0.0.1")),
				"cross-site beats Origin": with("Sec-Fetch-Site", "cross-site", "Origin", self),
			} {
				status, body := h.do(http.MethodPost, replay, nil, hdr)
				require.Equal(t, http.StatusForbidden, status, "%s: %v", what, body)
				require.Equal(t, "forbidden", errorCode(body), what)
			}
			status, body := h.do(http.MethodPost, "/v1/rules/reload", nil, with("Sec-Fetch-Site", "cross-site"))
			require.Equal(t, http.StatusForbidden, status, "%v", body)
			require.Equal(t, 0.0, replays(), "a refused replay changed nothing")

			for what, hdr := range map[string]http.Header{
				"no browser headers":          with(),
				"Sec-Fetch-Site: same-origin": with("Sec-Fetch-Site", "same-origin"),
				"Sec-Fetch-Site: none":        with("Sec-Fetch-Site", "none"),
				"the same Origin":             with("Origin", self),
			} {
				status, body := h.do(http.MethodPost, replay, nil, hdr)
				require.Equal(t, http.StatusAccepted, status, "%s: %v", what, body)
			}
			require.Equal(t, 4.0, replays())
			// A safe method is not a state change: a cross-site GET is
			// answered (a browser does not let the page read it).
			status, _ = h.do(http.MethodGet, "/v1/events/"+id, nil, with("Sec-Fetch-Site", "cross-site"))
			require.Equal(t, http.StatusOK, status)
		})
	}
}

// Webhooks are not a browser endpoint: the signature authenticates them,
// so Origin and Sec-Fetch-Site do not matter.
func TestWebhookIgnoresBrowserHeaders(t *testing.T) {
	h := startHarness(t, recordOnly)
	body := webhook(t, "content.uploaded", map[string]any{"content_id": "c_9", "title": "Training"})
	status, resp := h.do(http.MethodPost, "/webhooks/vaultstream", body, http.Header{
		"Content-Type":                  {"application/json"},
		vaultstreamtest.SignatureHeader: {vaultstreamtest.Sign(testSecret, body)},
		"Origin":                        {"https://evil.example"},
		"Sec-Fetch-Site":                {"cross-site"},
	})
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	u, err := url.Parse(h.url)
	require.NoError(t, err)
	status, _ = h.doHost(http.MethodGet, "/healthz", "evil.example:"+u.Port(), nil)
	require.Equal(t, http.StatusOK, status)
}
