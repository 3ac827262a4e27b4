package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
)

const secret = "s3cret-for-tests"

var providerNames = []string{vaultstream.Name, shift72.Name}

func registry(t *testing.T, secrets ...string) *adapters.Registry {
	t.Helper()
	var r adapters.Registry
	require.NoError(t, r.Register(vaultstream.New(secrets...)))
	require.NoError(t, r.Register(shift72.New(secrets...)))
	return &r
}

func provider(t *testing.T, name string) adapters.Provider {
	t.Helper()
	p, ok := registry(t, secret).Lookup(name)
	require.True(t, ok)
	return p
}

func TestRunAgainstReference(t *testing.T) {
	srv := httptest.NewServer(Reference(registry(t, secret), 1<<20))
	defer srv.Close()
	for _, name := range providerNames {
		t.Run(name, func(t *testing.T) {
			rep, err := Run(context.Background(), Target{URL: srv.URL, Provider: name, Secret: secret},
				Options{Concurrency: 8, Duration: 300 * time.Millisecond})
			require.NoError(t, err)
			t.Log(rep)
			require.Positive(t, rep.Sent)
			require.Equal(t, rep.Sent, rep.Accepted, rep.FirstError)
			require.Zero(t, rep.Failed)
			require.Zero(t, rep.Duplicates)
			require.Empty(t, rep.FirstError)
			require.Equal(t, map[int]int{http.StatusAccepted: rep.Sent}, rep.Statuses)
			require.Positive(t, rep.PerSecond)
			require.GreaterOrEqual(t, rep.Elapsed, 300*time.Millisecond)
			require.Positive(t, rep.P50)
			require.LessOrEqual(t, rep.P50, rep.P90)
			require.LessOrEqual(t, rep.P90, rep.P99)
			require.LessOrEqual(t, rep.P99, rep.Max)
			line := rep.String()
			require.NotContains(t, line, "\n")
			require.Contains(t, line, name+"@")
			require.Contains(t, line, "accepted/s")
		})
	}
}

// counting wraps a handler and counts the requests it answers.
func counting(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	})
}

func TestRunSendsExactlyRequests(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(counting(Reference(registry(t, secret), 0), &hits))
	defer srv.Close()

	rep, err := Run(context.Background(), Target{URL: srv.URL + "/", Provider: shift72.Name, Secret: secret},
		Options{Concurrency: 16, Requests: 257})
	require.NoError(t, err)
	require.Equal(t, 257, rep.Sent)
	require.Equal(t, 257, rep.Accepted)
	require.Equal(t, int64(257), hits.Load())

	// Warmup requests are sent but not counted.
	hits.Store(0)
	rep, err = Run(context.Background(), Target{URL: srv.URL, Provider: vaultstream.Name, Secret: secret},
		Options{Concurrency: 4, Requests: 50, Warmup: 100 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, 50, rep.Sent)
	require.Equal(t, 50, rep.Accepted)
	require.Greater(t, hits.Load(), int64(50))
}

func TestRunCountsFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error": {"code": "internal", "message": "the queue is down"}}`)
	}))
	defer srv.Close()
	rep, err := Run(context.Background(), Target{URL: srv.URL, Provider: vaultstream.Name, Secret: secret},
		Options{Concurrency: 4, Requests: 20})
	require.NoError(t, err)
	require.Equal(t, 20, rep.Sent)
	require.Equal(t, 20, rep.Failed)
	require.Zero(t, rep.Accepted)
	require.Zero(t, rep.PerSecond)
	require.Zero(t, rep.P99)
	require.Equal(t, map[int]int{500: 20}, rep.Statuses)
	require.Contains(t, rep.FirstError, "500")
	require.Contains(t, rep.FirstError, "the queue is down")
	require.Contains(t, rep.String(), "20 failed")
}

func TestRunCountsDuplicatesAndBadAnswers(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		switch n.Add(1) % 3 {
		case 0:
			_, _ = io.WriteString(w, `{"event_id": "e", "duplicate": true}`)
		case 1:
			_, _ = io.WriteString(w, `{"event_id": "e", "duplicate": false}`)
		default:
			_, _ = io.WriteString(w, `accepted`)
		}
	}))
	defer srv.Close()
	rep, err := Run(context.Background(), Target{URL: srv.URL, Provider: shift72.Name, Secret: secret},
		Options{Concurrency: 1, Requests: 30})
	require.NoError(t, err)
	require.Equal(t, 30, rep.Sent)
	require.Equal(t, 10, rep.Accepted)
	require.Equal(t, 10, rep.Duplicates)
	require.Equal(t, 10, rep.Failed)
	require.Contains(t, rep.FirstError, "accepted")
}

func TestRunTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	rep, err := Run(context.Background(), Target{URL: url, Provider: vaultstream.Name, Secret: secret},
		Options{Concurrency: 2, Requests: 6})
	require.NoError(t, err)
	require.Equal(t, 6, rep.Sent)
	require.Equal(t, 6, rep.Failed)
	require.Empty(t, rep.Statuses)
	require.NotEmpty(t, rep.FirstError)
}

func TestRunStopsWhenCancelled(t *testing.T) {
	srv := httptest.NewServer(Reference(registry(t, secret), 0))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	rep, err := Run(ctx, Target{URL: srv.URL, Provider: vaultstream.Name, Secret: secret},
		Options{Concurrency: 4, Duration: time.Minute})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(began), 5*time.Second)
	require.Zero(t, rep.Failed, rep.FirstError)
	require.Positive(t, rep.Accepted)
}

func TestRunRefusesBadInput(t *testing.T) {
	ok := Target{URL: "http://127.0.0.1:1", Provider: vaultstream.Name, Secret: secret}
	for name, c := range map[string]struct {
		t Target
		o Options
	}{
		"unknown provider":     {Target{URL: ok.URL, Provider: "vimeo", Secret: secret}, Options{}},
		"no secret":            {Target{URL: ok.URL, Provider: shift72.Name}, Options{}},
		"no URL":               {Target{Provider: shift72.Name, Secret: secret}, Options{}},
		"not http":             {Target{URL: "ftp://127.0.0.1", Provider: shift72.Name, Secret: secret}, Options{}},
		"unparsable URL":       {Target{URL: "http://[::1", Provider: shift72.Name, Secret: secret}, Options{}},
		"negative concurrency": {ok, Options{Concurrency: -1}},
		"negative requests":    {ok, Options{Requests: -1}},
		"negative duration":    {ok, Options{Duration: -time.Second}},
		"negative warmup":      {ok, Options{Requests: 1, Warmup: -time.Second}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Run(context.Background(), c.t, c.o)
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), "loadgen: "), err.Error())
		})
	}
}

func TestBody(t *testing.T) {
	for _, name := range providerNames {
		t.Run(name, func(t *testing.T) {
			p := provider(t, name)
			seen := map[string]bool{}
			contents := map[string]bool{}
			for _, seed := range []string{"a", "b", `we"ird\seed`} {
				for i := range 500 {
					body := Body(name, seed, i)
					require.Equal(t, body, Body(name, seed, i), "deterministic")
					require.False(t, seen[string(body)], "body %d of seed %q repeats", i, seed)
					seen[string(body)] = true
					require.True(t, json.Valid(body), string(body))

					ev, err := p.DecodePayload(body)
					require.NoError(t, err)
					require.Contains(t, p.EventTypes(), ev.Type)
					require.NotEmpty(t, ev.Content.ID)
					if seed == "a" {
						require.False(t, contents[ev.Content.ID], "content id %s repeats", ev.Content.ID)
						contents[ev.Content.ID] = true
					}
					switch name {
					case vaultstream.Name:
						require.Contains(t, []string{"content.transcoded", "content.uploaded"}, ev.Type)
						require.NotEmpty(t, ev.Content.Title)
						require.Less(t, len(body), 400)
					case shift72.Name:
						require.Equal(t, "ingestion_updated", ev.Type)
						require.Equal(t, "completed", ev.Data["status"])
						require.Greater(t, len(body), 500)
						require.Less(t, len(body), 1500)
					}
				}
			}
		})
	}
	require.Nil(t, Body("vimeo", "a", 0))

	titles := map[string]bool{}
	for i := range 16 {
		ev, err := provider(t, vaultstream.Name).DecodePayload(Body(vaultstream.Name, "x", i))
		require.NoError(t, err)
		titles[ev.Content.Title] = true
	}
	require.True(t, titles["Marketing Q3 Review 0000"], "%v", titles)
	require.True(t, titles["Training: onboarding 2"], "%v", titles)
}

func TestSign(t *testing.T) {
	for _, name := range providerNames {
		t.Run(name, func(t *testing.T) {
			body := Body(name, "seed", 7)
			h, err := Sign(name, secret, body)
			require.NoError(t, err)
			require.Equal(t, "application/json", h.Get("Content-Type"))
			ev, err := provider(t, name).Decode(h, body)
			require.NoError(t, err)
			require.Equal(t, adapters.EventID(name, body), ev.ID)

			other, ok := registry(t, "another secret").Lookup(name)
			require.True(t, ok)
			_, err = other.Decode(h, body)
			require.ErrorIs(t, err, adapters.ErrBadSignature)
		})
	}
	_, err := Sign("vimeo", secret, []byte("{}"))
	require.Error(t, err)
	_, err = Sign(vaultstream.Name, "", []byte("{}"))
	require.Error(t, err)
}

// The senders sign as Sign does.
func TestWorkerSignsAsSign(t *testing.T) {
	for _, name := range providerNames {
		var got http.Header
		var body []byte
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Clone()
			body, _ = io.ReadAll(r.Body)
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"event_id": "e", "duplicate": false}`)
		}))
		rep, err := Run(context.Background(), Target{URL: srv.URL, Provider: name, Secret: secret},
			Options{Concurrency: 1, Requests: 1, Seed: "fixed"})
		srv.Close()
		require.NoError(t, err)
		require.Equal(t, 1, rep.Accepted)
		require.Equal(t, Body(name, "fixed", 0), body)
		want, err := Sign(name, secret, body)
		require.NoError(t, err)
		for k := range want {
			require.Equal(t, want.Values(k), got.Values(k), k)
		}
	}
}

func TestReference(t *testing.T) {
	const limit = 4096
	srv := httptest.NewServer(Reference(registry(t, secret), limit))
	defer srv.Close()

	post := func(t *testing.T, provider string, h http.Header, body []byte) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/"+provider, bytes.NewReader(body))
		require.NoError(t, err)
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	signed := func(t *testing.T, provider, secret string, body []byte) http.Header {
		h, err := Sign(provider, secret, body)
		require.NoError(t, err)
		return h
	}
	requireError := func(t *testing.T, out map[string]any, code string) {
		t.Helper()
		e, ok := out["error"].(map[string]any)
		require.True(t, ok, "%v", out)
		require.Equal(t, code, e["code"])
		require.NotEmpty(t, e["message"])
		require.Len(t, out, 1)
		require.Len(t, e, 2)
	}
	// sized returns a valid vaultstream body of exactly n bytes.
	sized := func(n int) []byte {
		head := `{"type": "content.uploaded", "data": {"content_id": "c_big", "title": "`
		tail := `"}}`
		return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
	}

	for _, name := range providerNames {
		t.Run(name, func(t *testing.T) {
			body := Body(name, "ref", 3)
			status, out := post(t, name, signed(t, name, secret, body), body)
			require.Equal(t, http.StatusAccepted, status, "%v", out)
			require.Equal(t, map[string]any{"event_id": adapters.EventID(name, body), "duplicate": false}, out)

			status, out = post(t, name, signed(t, name, "wrong", body), body)
			require.Equal(t, http.StatusUnauthorized, status)
			requireError(t, out, CodeInvalidSignature)

			status, out = post(t, name, http.Header{"Content-Type": {"application/json"}}, body)
			require.Equal(t, http.StatusUnauthorized, status)
			requireError(t, out, CodeInvalidSignature)

			bad := []byte(`{"type": "content.uploaded", "data": `)
			status, out = post(t, name, signed(t, name, secret, bad), bad)
			require.Equal(t, http.StatusBadRequest, status)
			requireError(t, out, CodeMalformedBody)
		})
	}

	exact := sized(limit)
	require.Len(t, exact, limit)
	status, out := post(t, vaultstream.Name, signed(t, vaultstream.Name, secret, exact), exact)
	require.Equal(t, http.StatusAccepted, status, "%v", out)

	over := sized(limit + 1)
	status, out = post(t, vaultstream.Name, signed(t, vaultstream.Name, secret, over), over)
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	requireError(t, out, CodeBodyTooLarge)

	// Without Content-Length (chunked), MaxBytesReader catches it.
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/vaultstream", io.MultiReader(bytes.NewReader(over)))
	require.NoError(t, err)
	req.Header = signed(t, vaultstream.Name, secret, over)
	req.ContentLength = -1
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.NoError(t, resp.Body.Close())

	body := Body(vaultstream.Name, "ref", 1)
	status, out = post(t, "vimeo", signed(t, vaultstream.Name, secret, body), body)
	require.Equal(t, http.StatusNotFound, status)
	requireError(t, out, CodeUnknownProvider)

	resp, err = srv.Client().Get(srv.URL + "/webhooks/vaultstream")
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.NoError(t, resp.Body.Close())
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	require.Equal(t, time.Duration(50), percentile(d, 50))
	require.Equal(t, time.Duration(90), percentile(d, 90))
	require.Equal(t, time.Duration(99), percentile(d, 99))
	require.Equal(t, time.Duration(7), percentile([]time.Duration{7}, 99))
	require.Zero(t, percentile(nil, 50))
}

func ExampleReport_String() {
	r := Report{Name: "vaultstream@127.0.0.1:8080", Sent: 100, Accepted: 100, Statuses: map[int]int{202: 100},
		Elapsed: time.Second, PerSecond: 100, P50: time.Millisecond, P90: 2 * time.Millisecond,
		P99: 3 * time.Millisecond, Max: 4 * time.Millisecond}
	fmt.Println(r)
	// Output: vaultstream@127.0.0.1:8080: 100 accepted/s, p50/p90/p99/max 1.00/2.00/3.00/4.00 ms, 100 accepted, 0 duplicates, 0 failed of 100 sent in 1s
}
