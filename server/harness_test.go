package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

const testSecret = "It's a Secret to Everybody"

// harness is a service serving on a loopback port, with the SQLite store
// in a temporary directory, the rules of testdata/rules copied where a
// test may edit them, and the VaultStream simulator as its platform.
type harness struct {
	t     *testing.T
	svc   *Service
	url   string
	sim   *vaultstreamtest.Server
	rules string // the rules directory the service watches
	stop  func() error
}

type harnessOption func(*Config)

// recordOnly runs the service with no provider API.
func recordOnly(c *Config) {
	for name, p := range c.Providers {
		p.APIURL, p.Token = "", ""
		c.Providers[name] = p
	}
}

func startHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	rulesDir := filepath.Join(t.TempDir(), "rules")
	require.NoError(t, os.CopyFS(rulesDir, os.DirFS("testdata/rules")))
	cfg := testConfig(t, rulesDir)
	cfg.Providers = map[string]ProviderConfig{
		vaultstream.Name: {APIURL: sim.URL(), Token: sim.Token(), Secret: testSecret},
	}
	for _, o := range opts {
		o(&cfg)
	}
	h := &harness{t: t, sim: sim, rules: rulesDir}
	h.svc, h.url, h.stop = serve(t, cfg)
	return h
}

// testConfig is a configuration for tests: quick retries and reloads.
func testConfig(t *testing.T, rulesDir string) Config {
	cfg := Defaults()
	cfg.Addr = "127.0.0.1:0"
	cfg.Data = t.TempDir()
	cfg.Rules = rulesDir
	cfg.RetryBase = Duration(50 * time.Millisecond)
	cfg.RetryMax = Duration(time.Second)
	cfg.OrderWait = Duration(20 * time.Millisecond)
	cfg.ShutdownTimeout = Duration(10 * time.Second)
	cfg.Breaker.OpenFor, cfg.Breaker.MaxOpenFor = Duration(100*time.Millisecond), Duration(500*time.Millisecond)
	return cfg
}

// serve starts a service for cfg on a loopback port; the returned stop
// shuts it down gracefully (also done at cleanup).
func serve(t *testing.T, cfg Config) (*Service, string, func() error) {
	t.Helper()
	reg := testRegistry(cfg)
	clients := map[string]adapters.Client{}
	for name, p := range cfg.Providers {
		if p.APIURL == "" || p.Token == "" {
			continue
		}
		switch name {
		case vaultstream.Name:
			clients[name] = vaultstream.NewClient(p.APIURL, p.Token)
		case shift72.Name:
			clients[name] = shift72.NewClient(p.APIURL, p.Token)
		}
	}
	log := slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := New(context.Background(), cfg, reg, clients, log)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln) }()
	var stopped bool
	var stopErr error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			stopErr = <-done
		}
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	url := "http://" + ln.Addr().String()
	require.Eventually(t, func() bool {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 5*time.Second, 5*time.Millisecond, "the service did not come up")
	return svc, url, stop
}

func testRegistry(cfg Config) *adapters.Registry {
	var reg adapters.Registry
	_ = reg.Register(vaultstream.New(cfg.Providers[vaultstream.Name].Secret))
	_ = reg.Register(shift72.New(cfg.Providers[shift72.Name].Secret))
	return &reg
}

// testWriter sends the service's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// webhook returns a VaultStream webhook body.
func webhook(t *testing.T, eventType string, data map[string]any) []byte {
	t.Helper()
	body, err := vaultstreamtest.WebhookBody(eventType, data)
	require.NoError(t, err)
	return body
}

// send posts a webhook signed with the test secret.
func (h *harness) send(body []byte) (int, map[string]any) {
	h.t.Helper()
	return h.do(http.MethodPost, "/webhooks/vaultstream", body, http.Header{
		"Content-Type":                  {"application/json"},
		vaultstreamtest.SignatureHeader: {vaultstreamtest.Sign(testSecret, body)},
	})
}

// do sends a request and decodes its JSON answer.
func (h *harness) do(method, path string, body []byte, header http.Header) (int, map[string]any) {
	h.t.Helper()
	return doJSON(h.t, method, h.url+path, body, header)
}

func doJSON(t *testing.T, method, url string, body []byte, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	}
	return resp.StatusCode, out
}

// event reads an event through the admin API.
func (h *harness) event(id string) Event {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url+"/v1/events/"+id, nil)
	require.NoError(h.t, err)
	if tok := h.svc.cfg.AdminToken; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	require.Equal(h.t, http.StatusOK, resp.StatusCode)
	var e Event
	require.NoError(h.t, json.NewDecoder(resp.Body).Decode(&e))
	return e
}

// waitFor polls an event until it reaches one of the statuses.
func (h *harness) waitFor(id string, within time.Duration, statuses ...Status) Event {
	h.t.Helper()
	var e Event
	require.Eventually(h.t, func() bool {
		e = h.event(id)
		for _, st := range statuses {
			if e.Status == st {
				return true
			}
		}
		return false
	}, within, 10*time.Millisecond, "event %s stayed %s (want %v): %s", id, e.Status, statuses, e.Error)
	return e
}

// rows counts the rows of a table in the service's store.
func (h *harness) rows(table string) int {
	h.t.Helper()
	var n int64
	_, err := queryOne(context.Background(), h.svc.backend.reader(), "SELECT COUNT(*) FROM "+table, nil, &n)
	require.NoError(h.t, err)
	return int(n)
}

// decision is the part of a stored decision tests look at.
type decision struct {
	Ruleset string   `json:"ruleset"`
	Matched []string `json:"matched"`
	Plan    struct {
		Folder string   `json:"folder"`
		Tags   []string `json:"tags"`
	} `json:"plan"`
}

func decisionOf(t *testing.T, e Event) decision {
	t.Helper()
	require.NotEmpty(t, e.Decision, "event %s has no decision", e.ID)
	var d decision
	require.NoError(t, json.Unmarshal(e.Decision, &d))
	return d
}
