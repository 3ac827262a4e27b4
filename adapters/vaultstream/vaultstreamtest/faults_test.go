package vaultstreamtest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// classify sends a request as the adapter will and classifies its outcome.
func classify(t *testing.T, s *vaultstreamtest.Server, client *http.Client, method, path, body string) *adapters.CallError {
	t.Helper()
	var b any
	if body != "" {
		b = body
	}
	resp, err := send("Bearer "+s.Token(), method, s.URL()+path, b, client)
	if resp != nil {
		defer resp.Body.Close()
	}
	cerr := adapters.Classify(resp, err, time.Now())
	if cerr == nil {
		return nil
	}
	var ce *adapters.CallError
	require.True(t, errors.As(cerr, &ce), "%v", cerr)
	return ce
}

func TestFault429IsRateLimited(t *testing.T) {
	s, _ := newServer(t)
	require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Status: 429, RetryAfter: 2 * time.Second, Times: 1}))
	require.Nil(t, classify(t, s, http.DefaultClient, http.MethodGet, "/content/c_1001", ""), "a GET does not match")

	a := call(t, s, http.MethodPatch, "/content/c_1001", `{"visibility": "org"}`)
	require.Equal(t, http.StatusTooManyRequests, a.status)
	require.Equal(t, "2", a.header.Get("Retry-After"))
	require.Equal(t, "rate_limited", a.code())
	c, _ := s.Content("c_1001")
	require.Equal(t, "private", c.Visibility, "a faulted request changes nothing")
	require.Zero(t, s.PendingFaults(), "Times: 1 is used up")
	require.Nil(t, classify(t, s, http.DefaultClient, http.MethodPatch, "/content/c_1001", `{"visibility": "org"}`))

	require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Status: 429, RetryAfter: 1500 * time.Millisecond}))
	ce := classify(t, s, http.DefaultClient, http.MethodPatch, "/content/c_1001", `{"visibility": "org"}`)
	require.NotNil(t, ce)
	require.Equal(t, adapters.RateLimited, ce.Kind)
	require.Equal(t, 2*time.Second, ce.RetryAfter, "rounded up to whole seconds")
	require.Contains(t, ce.Message, "rate_limited")

	require.NoError(t, s.Fail(vaultstreamtest.Fault{Status: 429}))
	a = call(t, s, http.MethodGet, "/folders", nil)
	require.Equal(t, http.StatusTooManyRequests, a.status)
	require.Empty(t, a.header.Get("Retry-After"), "no RetryAfter, no header")
}

func TestFault503IsTransientAnd404Permanent(t *testing.T) {
	s, _ := newServer(t)
	require.NoError(t, s.Fail(
		vaultstreamtest.Fault{Match: "POST /content/c_1001/tags", Status: 503, Times: 2},
		vaultstreamtest.Fault{Match: "/content/", Status: 404},
	))
	for range 2 {
		ce := classify(t, s, http.DefaultClient, http.MethodPost, "/content/c_1001/tags", `{"tag": "x"}`)
		require.NotNil(t, ce)
		require.Equal(t, adapters.Transient, ce.Kind)
		require.Equal(t, 503, ce.Status)
		require.Contains(t, ce.Message, "unavailable")
	}
	ce := classify(t, s, http.DefaultClient, http.MethodPost, "/content/c_1001/tags", `{"tag": "x"}`)
	require.NotNil(t, ce, "the next queued fault matches any method")
	require.Equal(t, adapters.Permanent, ce.Kind)
	require.Equal(t, 404, ce.Status)
	require.Contains(t, ce.Message, "not_found")
	require.Nil(t, classify(t, s, http.DefaultClient, http.MethodPost, "/content/c_1001/tags", `{"tag": "x"}`))
	c, _ := s.Content("c_1001")
	require.Equal(t, []string{"training", "x"}, c.Tags)
	require.Equal(t, []int{503, 503, 404, 201}, statuses(s.Requests()))
}

func TestFaultForeverAndClear(t *testing.T) {
	s, _ := newServer(t)
	require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "GET", Status: 500, Times: vaultstreamtest.Forever, Message: "down"}))
	for range 3 {
		a := call(t, s, http.MethodGet, "/teams", nil)
		require.Equal(t, http.StatusInternalServerError, a.status)
		require.Equal(t, "unavailable", a.code())
		require.Equal(t, "down", a.message())
	}
	require.Equal(t, http.StatusCreated, call(t, s, http.MethodPost, "/folders", `{"name": "x"}`).status)
	require.Equal(t, 1, s.PendingFaults())
	s.ClearFaults()
	require.Equal(t, http.StatusOK, call(t, s, http.MethodGet, "/teams", nil).status)

	require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "GET /v1/teams", Status: 502}))
	require.Equal(t, http.StatusBadGateway, call(t, s, http.MethodGet, "/teams", nil).status, "a /v1 prefix is allowed")

	for _, f := range []vaultstreamtest.Fault{{}, {Status: 200}, {Status: 600}, {Status: 503, Times: -2}} {
		require.ErrorIs(t, s.Fail(f), vaultstreamtest.ErrBadFault, "%+v", f)
	}
	require.Zero(t, s.PendingFaults())
}

func TestFaultHangTimesOut(t *testing.T) {
	s, _ := newServer(t)
	require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Hang: true}))
	client := &http.Client{Timeout: 100 * time.Millisecond}
	start := time.Now()
	ce := classify(t, s, client, http.MethodPatch, "/content/c_1001", `{"visibility": "org"}`)
	require.NotNil(t, ce)
	require.Equal(t, adapters.Transient, ce.Kind)
	require.Zero(t, ce.Status)
	require.Contains(t, ce.Message, "did not answer in time")
	require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	require.Nil(t, classify(t, s, client, http.MethodPatch, "/content/c_1001", `{"visibility": "org"}`))
	require.Equal(t, "PATCH /content/c_1001", s.Requests()[0].String())
	require.Zero(t, s.Requests()[0].Status, "no answer")
}

func TestCloseReleasesAHang(t *testing.T) {
	s := vaultstreamtest.NewServer()
	require.NoError(t, s.Fail(vaultstreamtest.Fault{Hang: true}))
	errc := make(chan error, 1)
	go func() {
		resp, err := send("Bearer "+s.Token(), http.MethodGet, s.URL()+"/folders", nil, http.DefaultClient)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 5*time.Second, 5*time.Millisecond)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for a hanging request")
	}
	require.Error(t, <-errc, "the hanging request gets no answer, not an empty 200")
}

func TestLatency(t *testing.T) {
	s, _ := newServer(t)
	s.SetLatency(150 * time.Millisecond)
	start := time.Now()
	require.Nil(t, classify(t, s, http.DefaultClient, http.MethodGet, "/content/c_1001", ""))
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/folders", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	ce := adapters.Classify(resp, err, time.Now()).(*adapters.CallError)
	require.Equal(t, adapters.Transient, ce.Kind)

	s.SetLatency(0)
	start = time.Now()
	require.Nil(t, classify(t, s, http.DefaultClient, http.MethodGet, "/content/c_1001", ""))
	require.Less(t, time.Since(start), 150*time.Millisecond)
}

func statuses(reqs []vaultstreamtest.Request) []int {
	out := make([]int, len(reqs))
	for i, r := range reqs {
		out[i] = r.Status
	}
	return out
}
