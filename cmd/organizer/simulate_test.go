package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
	"github.com/organizer-dev/organizer/engine"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSimulate starts each simulator on a free loopback port, as a person
// would, calls its API with the token it printed, and stops it.
func TestSimulate(t *testing.T) {
	for _, c := range []struct{ name, path, header string }{
		{"vaultstream", "/content/c_1001", "Authorization"},
		{"shift72", "/services/users/auth/bouncer", "X-Auth-Token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var stdout, stderr syncBuffer
			done := make(chan int)
			go func() {
				done <- run(ctx, []string{"simulate", c.name, "--addr", "127.0.0.1:0", "--token", "demo-token"}, &stdout, &stderr)
			}()
			urlPattern := regexp.MustCompile(`listening on (http://\S+)`)
			var base string
			require.Eventually(t, func() bool {
				m := urlPattern.FindStringSubmatch(stdout.String())
				if m != nil {
					base = m[1]
				}
				return m != nil
			}, 5*time.Second, 10*time.Millisecond, "stderr: %s", stderr.String())
			require.Contains(t, stdout.String(), "_API_TOKEN=demo-token")

			req, err := http.NewRequest(http.MethodGet, base+c.path, nil)
			require.NoError(t, err)
			value := "demo-token"
			if c.header == "Authorization" {
				value = "Bearer demo-token"
			}
			req.Header.Set(c.header, value)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)

			req.Header.Del(c.header)
			resp, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the token is required")

			cancel()
			require.Equal(t, exitOK, <-done)
		})
	}
	require.Equal(t, exitUsage, run(context.Background(), []string{"simulate"}, &bytes.Buffer{}, &bytes.Buffer{}))
	require.Equal(t, exitUsage, run(context.Background(), []string{"simulate", "vimeo"}, &bytes.Buffer{}, &bytes.Buffer{}))
}

// startSimulate runs `organizer simulate args...` in process until the test
// ends and returns the API's base URL and everything it printed so far.
func startSimulate(t *testing.T, args ...string) (base, printed string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"simulate"}, append(args, "--addr", "127.0.0.1:0")...), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		require.Equal(t, exitOK, <-done, "stderr: %s", stderr.String())
	})
	urlPattern := regexp.MustCompile(`listening on (http://\S+)`)
	require.Eventually(t, func() bool {
		m := urlPattern.FindStringSubmatch(stdout.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 5*time.Second, 10*time.Millisecond, "stderr: %s", stderr.String())
	return base, stdout.String()
}

// catalog lists every item of a provider query against a simulator.
func catalog(t *testing.T, q adapters.Querier, source string, params map[string]string) []adapters.Item {
	t.Helper()
	var items []adapters.Item
	require.NoError(t, q.Query(context.Background(), source, params, func(page []adapters.Item) error {
		items = append(items, page...)
		return nil
	}))
	return items
}

// TestSimulateSeed seeds each simulator from a JSON file: its content
// replaces the demo content, and a sweep's query sees it as the file says,
// folders by name, times included.
func TestSimulateSeed(t *testing.T) {
	t.Run("vaultstream", func(t *testing.T) {
		base, printed := startSimulate(t, "vaultstream", "--seed", "testdata/seeds/vaultstream.json")
		require.Contains(t, printed, "seeded from testdata/seeds/vaultstream.json: 4 content items, 2 folders, 2 teams")
		c := vaultstream.NewClient(base, vaultstreamtest.DefaultToken)

		_, err := c.Fetch(context.Background(), "c_1001")
		var ce *adapters.CallError
		require.ErrorAs(t, err, &ce, "the demo content is replaced")
		require.Equal(t, http.StatusNotFound, ce.Status)

		stale := catalog(t, c, vaultstream.SourceContentUsage, map[string]string{"last_accessed_before": "2025-06-01T00:00:00Z"})
		var ids []string
		for _, it := range stale {
			ids = append(ids, it.Content.ID)
		}
		require.Equal(t, []string{"c_2002", "c_2001", "c_2004"}, ids, "least recently watched first; never watched counts from its creation")
		require.Equal(t, engine.Content{ID: "c_2001", Title: "Compliance module 3", Metadata: map[string]any{"department": "HR"},
			Folder: "Training", Visibility: "team", Tags: []string{"training"}}, stale[1].Content)
		require.Equal(t, "2025-03-01T12:00:00Z", stale[1].Row["last_accessed"])

		recent := catalog(t, c, vaultstream.SourceCatalog, map[string]string{"created_after": "2025-05-01T00:00:00Z"})
		require.Len(t, recent, 1)
		require.Equal(t, "c_2003", recent[0].Content.ID)
	})
	t.Run("shift72", func(t *testing.T) {
		base, printed := startSimulate(t, "shift72", "--seed", "testdata/seeds/shift72.json")
		require.Contains(t, printed, "seeded from testdata/seeds/shift72.json: 3 films, 2 bundles")
		c := shift72.NewClient(base, shift72test.AdminToken)
		items := catalog(t, c, shift72.SourceCatalog, nil)
		var ids []string
		for _, it := range items {
			ids = append(ids, it.Content.ID)
		}
		require.Equal(t, []string{"/film/301", "/film/302", "/film/303"}, ids, "the seeded films, drafts included; not the demo film 176")
		require.Equal(t, []string{"festival"}, items[0].Content.Tags)
		require.EqualValues(t, 1, items[1].Row["status_id"], "302 is a draft")

		results := c.Apply(context.Background(), "/film/302", []adapters.Action{{Kind: adapters.SetFolder, Value: "Ready To Publish"}})
		require.Equal(t, adapters.Applied, results[0].Outcome, "the seeded bundle exists: %v", results[0].Err)
	})
}

// TestSimulateBadSeed: a seed that cannot be used says where the problem
// is and exits 1, serving nothing.
func TestSimulateBadSeed(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, seed, want string }{
		{"vaultstream", `{"content": [{"id": "c_1", "title": "x"}, {"id": "c_2", "title": "y", "last_accessed": "last week"}]}`,
			`content[1].last_accessed: "last week" is not an RFC 3339 time`},
		{"vaultstream", `{"folders": ["Training"], "content": [{"id": "c_1", "title": "x", "folder": "Trainng"}]}`,
			`content[0].folder: folder "Trainng" is not among folders`},
		{"shift72", `{"films": [{"id": 1, "title": "x"}], "bundles": [{"title": "B", "items": ["/film/2"]}]}`,
			`bundles[0].items[0]: film 2 is not among films`},
		{"shift72", "{\n  \"films\": [\n    {\"id\": 1,}\n  ]\n}", `line 3, column`},
	} {
		path := writeFile(t, dir, c.name+".json", c.seed)
		r := organizer(t, "simulate", c.name, "--seed", path, "--addr", "127.0.0.1:0")
		require.Equal(t, exitFailure, r.code, r.String())
		require.Contains(t, r.stderr, path+": "+c.want, r.String())
		require.NotContains(t, r.stdout, "listening", "nothing is served")
	}
	r := organizer(t, "simulate", "vaultstream", "--seed", filepath.Join(dir, "missing.json"), "--addr", "127.0.0.1:0")
	require.Equal(t, exitFailure, r.code, r.String())
	require.Contains(t, r.stderr, "cannot read the seed")
}

// TestSimulateDemoApplied runs the README's walkthrough in process: both
// simulators with their demo content, `organizer serve` with the example
// rules pointed at them, then every example webhook of examples/payloads and,
// for VaultStream, an upload and a transcode of each demo item. Each must end
// applied. A dead letter here means the example rules and the demo content
// disagree: a team a rule grants, or a bundle it files into, is missing.
// It also checks what the README says of a redelivery and of a replay.
func TestSimulateDemoApplied(t *testing.T) {
	const secret = "demo webhook secret"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	t.Setenv("ORGANIZER_ADMIN_TOKEN", "") // the admin API answers loopback
	for _, name := range []string{"vaultstream", "shift72"} {
		env := startSimulator(ctx, t, name)
		for k, v := range env {
			t.Setenv(k, v)
		}
		t.Setenv("ORGANIZER_"+strings.ToUpper(name)+"_WEBHOOK_SECRET", secret)
	}
	base := startServeInProcess(ctx, t, "--rules", examplesRules)

	type webhook struct {
		what, provider string
		body           []byte
	}
	var hooks []webhook
	payloads, err := filepath.Glob("../../examples/payloads/*.json")
	require.NoError(t, err)
	for _, p := range payloads {
		body, err := os.ReadFile(p)
		require.NoError(t, err)
		provider, _, _ := strings.Cut(filepath.Base(p), "-")
		hooks = append(hooks, webhook{filepath.Base(p), provider, body})
	}
	for _, c := range demoContent {
		for _, typ := range []string{"content.uploaded", "content.transcoded"} {
			data := map[string]any{"content_id": c.ID}
			if typ == "content.uploaded" {
				data["title"] = c.Title
			}
			body, err := vaultstreamtest.WebhookBody(typ, data)
			require.NoError(t, err)
			hooks = append(hooks, webhook{typ + " of demo item " + c.ID, "vaultstream", body})
		}
	}

	client := &http.Client{Timeout: 10 * time.Second}
	post := func(h webhook) (status int, id string, duplicate bool) {
		t.Helper()
		url := base + "/webhooks/" + h.provider
		var req *http.Request
		var err error
		switch h.provider {
		case "vaultstream":
			req, err = vaultstreamtest.NewWebhookRequest(ctx, url, secret, h.body)
		case "shift72":
			req, err = shift72test.NewWebhookRequest(ctx, url, secret, h.body)
		default:
			t.Fatalf("%s: examples/payloads names start with the provider: vaultstream-… or shift72-…", h.what)
		}
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var ans struct {
			EventID   string `json:"event_id"`
			Duplicate bool   `json:"duplicate"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&ans), h.what)
		return resp.StatusCode, ans.EventID, ans.Duplicate
	}
	ids := make([]string, len(hooks))
	for i, h := range hooks {
		status, id, duplicate := post(h)
		require.Equal(t, http.StatusAccepted, status, h.what)
		require.False(t, duplicate, h.what)
		ids[i] = id
	}
	for i, h := range hooks {
		requireEventEnds(t, client, base, ids[i], h.what, "applied")
	}

	// The same bytes again: the same event, nothing new to do.
	status, id, duplicate := post(hooks[0])
	require.Equal(t, http.StatusOK, status)
	require.True(t, duplicate)
	require.Equal(t, ids[0], id)
	// A replay decides it again with the rules in force.
	resp, err := client.Post(base+"/v1/events/"+ids[0]+"/replay", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	requireEventEnds(t, client, base, ids[0], hooks[0].what+", replayed", "applied")
}

// startSimulator runs `organizer simulate name` in process on a free
// loopback port until ctx ends, and returns the settings it printed.
func startSimulator(ctx context.Context, t *testing.T, name string) map[string]string {
	t.Helper()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"simulate", name, "--addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	t.Cleanup(func() { <-done })
	exports := regexp.MustCompile(`export (ORGANIZER_\w+)=(\S+)`)
	env := map[string]string{}
	require.Eventually(t, func() bool {
		for _, m := range exports.FindAllStringSubmatch(stdout.String(), -1) {
			env[m[1]] = m[2]
		}
		return len(env) == 2
	}, 5*time.Second, 10*time.Millisecond, "simulate %s: %s%s", name, stdout.String(), stderr.String())
	return env
}

// startServeInProcess runs `organizer serve` in process on a free loopback
// port with a fresh data directory until ctx ends, waits until it is
// ready, and returns its base URL.
func startServeInProcess(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	ctx, cancel := context.WithCancel(ctx)
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", addr, "--data", t.TempDir()}, args...), &stderr, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("serve's log:\n%s", stderr.String())
		}
	})
	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "serve did not become ready")
	return base
}

// requireEventEnds waits until the event leaves queued and retrying, and
// requires the status it ends in.
func requireEventEnds(t *testing.T, client *http.Client, base, id, what, want string) {
	t.Helper()
	var e struct {
		Status, Error string
		Results       []struct{ Action, Outcome, Error string }
	}
	require.Eventually(t, func() bool {
		resp, err := client.Get(base + "/v1/events/" + id)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&e) != nil {
			return false
		}
		return e.Status != "queued" && e.Status != "retrying"
	}, 30*time.Second, 50*time.Millisecond, "%s: event %s still %q (%s)", what, id, e.Status, e.Error)
	require.Equal(t, want, e.Status, "%s: event %s: %s; results %+v", what, id, e.Error, e.Results)
}

// simulate chat prints each message posted to it, Slack-style, and says
// how to let organizer post to it; a body without text is refused.
func TestSimulateChat(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"simulate", "chat", "--addr", "127.0.0.1:0"}, &stdout, &stderr) }()
	defer func() { cancel(); require.Equal(t, 0, <-done, stderr.String()) }()
	var host string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`ORGANIZER_NOTIFY_ALLOW_HOSTS=(\S+)`).FindStringSubmatch(stdout.String())
		if m != nil {
			host = m[1]
		}
		return m != nil
	}, 5*time.Second, 10*time.Millisecond, "stderr: %s", stderr.String())

	post := func(body string) int {
		resp, err := http.Post("http://"+host+"/hooks/media-team", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, post(`{"text": "Video ready: c_1001"}`))
	require.Equal(t, http.StatusBadRequest, post(`{"message": "no text"}`))
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "#media-team: Video ready: c_1001\n") },
		time.Second, 10*time.Millisecond)
	require.Equal(t, 1, strings.Count(stdout.String(), "#media-team:"))
}

// simCall makes one authorized read of a simulator started by
// startSimulate, and returns its status, Retry-After and body.
func simCall(t *testing.T, name, base string) (status int, retryAfter, body string) {
	t.Helper()
	path, header, value := "/content/c_1001", "Authorization", "Bearer "+vaultstreamtest.DefaultToken
	if name == "shift72" {
		path, header, value = "/services/users/auth/bouncer", "X-Auth-Token", shift72test.AdminToken
	}
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(t, err)
	req.Header.Set(header, value)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b strings.Builder
	_, err = io.Copy(&b, resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Retry-After"), b.String()
}

// TestSimulateFailRate: --fail-rate 0.5 fails about half of 400 reads with
// 503 and the platform's error body, and says so at start.
func TestSimulateFailRate(t *testing.T) {
	defer func(old func() rand.Source) { failSource = old }(failSource)
	failSource = func() rand.Source { return rand.NewPCG(7, 7) } // the same requests fail every run
	for _, name := range []string{"vaultstream", "shift72"} {
		t.Run(name, func(t *testing.T) {
			base, printed := startSimulate(t, name, "--fail-rate", "0.5")
			require.Contains(t, printed, "faults:\n  fail rate 0.5: about 50% of requests, reads and writes alike, fail at random with 503\n")
			failed := 0
			for range 400 {
				status, _, body := simCall(t, name, base)
				if status == http.StatusServiceUnavailable {
					failed++
					if name == "vaultstream" {
						require.Contains(t, body, `"code":"unavailable"`)
					} else {
						require.Contains(t, body, `"error":`)
					}
					continue
				}
				require.Equal(t, http.StatusOK, status, body)
			}
			require.GreaterOrEqual(t, failed, 140, "35%% of 400 at least; %d failed", failed)
			require.LessOrEqual(t, failed, 260, "65%% of 400 at most; %d failed", failed)
		})
	}
}

// TestSimulateRateLimit: --rate-limit 5 answers most of a burst of 20
// requests 429 with Retry-After, and lets requests through again a second
// later.
func TestSimulateRateLimit(t *testing.T) {
	for _, name := range []string{"vaultstream", "shift72"} {
		t.Run(name, func(t *testing.T) {
			base, printed := startSimulate(t, name, "--rate-limit", "5")
			require.Contains(t, printed, "faults:\n  rate limit 5/s: a token bucket of 5")
			limited, passed := 0, 0
			start := time.Now()
			for range 20 {
				status, retryAfter, body := simCall(t, name, base)
				switch status {
				case http.StatusTooManyRequests:
					limited++
					require.Equal(t, "1", retryAfter)
					if name == "vaultstream" {
						require.Contains(t, body, `"code":"rate_limited"`)
					}
				case http.StatusOK:
					passed++
				default:
					t.Fatalf("status %d: %s", status, body)
				}
			}
			require.Less(t, time.Since(start), time.Second, "a burst, within a second")
			require.GreaterOrEqual(t, limited, 13, "most of the burst is refused; %d passed", passed)
			require.GreaterOrEqual(t, passed, 5, "the bucket's 5 pass")

			time.Sleep(1100 * time.Millisecond)
			for i := range 5 {
				status, _, body := simCall(t, name, base)
				require.Equal(t, http.StatusOK, status, "a second later, request %d passes: %s", i, body)
			}
		})
	}
}

// TestSimulateLatency: --latency 100ms makes a request take at least 100 ms.
func TestSimulateLatency(t *testing.T) {
	for _, name := range []string{"vaultstream", "shift72"} {
		t.Run(name, func(t *testing.T) {
			base, printed := startSimulate(t, name, "--latency", "100ms")
			require.Contains(t, printed, "faults:\n  latency 100ms: every request waits 100ms before it is answered\n")
			start := time.Now()
			status, _, body := simCall(t, name, base)
			require.Equal(t, http.StatusOK, status, body)
			require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
		})
	}
}

// TestSimulateFaultsRefused: the chat simulator takes no faults, and faults
// out of range are usage errors; a simulator without faults prints none.
func TestSimulateFaultsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"chat", "--latency", "1s"},
		{"chat", "--fail-rate", "0.1"},
		{"chat", "--rate-limit", "5"},
		{"vaultstream", "--fail-rate", "1.5"},
		{"shift72", "--fail-rate", "-0.1"},
		{"vaultstream", "--rate-limit", "-1"},
		{"shift72", "--latency", "-1s"},
		{"vaultstream", "--latency", "soon"},
	} {
		r := organizer(t, append([]string{"simulate"}, append(args, "--addr", "127.0.0.1:0")...)...)
		require.Equal(t, exitUsage, r.code, "%v: %s", args, r.String())
		require.NotContains(t, r.stdout, "listening", "nothing is served")
	}
	r := organizer(t, "simulate", "chat", "--rate-limit", "5", "--addr", "127.0.0.1:0")
	require.Contains(t, r.stderr, "simulate chat takes no --rate-limit")

	_, printed := startSimulate(t, "vaultstream")
	require.NotContains(t, printed, "faults")
}
