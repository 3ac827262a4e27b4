package shift72test_test

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

const bouncer = "/services/users/auth/bouncer"

// TestSimulatorFailRate: a fail rate of 0.5 fails about half of the
// requests, reads and writes alike, with 503 and the {"error": ...} body,
// and a failed write does not reach the state; the same source fails the
// same requests.
func TestSimulatorFailRate(t *testing.T) {
	failed := func(seed uint64) []int {
		s := newServer(t)
		require.NoError(t, s.SetFailRate(0.5, rand.NewPCG(seed, seed)))
		var out []int
		for i := range 400 {
			r := call(t, s, "GET", bouncer, admin, "")
			if r.status == http.StatusServiceUnavailable {
				var body map[string]string
				require.NoError(t, json.Unmarshal(r.body, &body))
				require.NotEmpty(t, body["error"])
				out = append(out, i)
			} else {
				require.Equal(t, http.StatusOK, r.status)
			}
		}
		return out
	}
	a := failed(1)
	require.GreaterOrEqual(t, len(a), 140, "about half of 400 fail")
	require.LessOrEqual(t, len(a), 260, "about half of 400 fail")
	require.Equal(t, a, failed(1), "the same source fails the same requests")

	s := newServer(t)
	id := s.AddBundle("B", shift72test.StatusPublished)
	path := "/services/meta/v1/bundles/" + itoa(id) + "/items"
	require.NoError(t, s.SetFailRate(1, nil))
	require.Equal(t, http.StatusServiceUnavailable, call(t, s, "PUT", path, admin, `["/film/1"]`).status, "writes fail too")
	b, _ := s.Bundle(id)
	require.Empty(t, b.Items, "a failed write does not reach the state")

	require.NoError(t, s.SetFailRate(0, nil))
	require.Equal(t, http.StatusOK, call(t, s, "PUT", path, admin, `["/film/1"]`).status)

	require.Error(t, s.SetFailRate(-0.1, nil))
	require.Error(t, s.SetFailRate(1.5, nil))
	require.NoError(t, s.SetFailRate(1, nil))
	s.ClearFaults()
	require.Equal(t, http.StatusOK, call(t, s, "GET", bouncer, admin, "").status, "ClearFaults clears the fail rate")
}

// TestSimulatorRateLimit: a rate limit of 5 lets a burst's first 5 requests
// through and answers the rest 429 with Retry-After, until the bucket
// refills; injected faults come first.
func TestSimulatorRateLimit(t *testing.T) {
	s := newServer(t)
	require.NoError(t, s.SetRateLimit(5))
	limited := 0
	for i := range 20 {
		r := call(t, s, "GET", bouncer, admin, "")
		if i < 5 {
			require.Equal(t, http.StatusOK, r.status, "request %d is within the burst", i)
			continue
		}
		if r.status == http.StatusTooManyRequests {
			limited++
			require.Equal(t, "1", r.header.Get("Retry-After"))
		}
	}
	require.GreaterOrEqual(t, limited, 13, "most of the burst beyond 5 is limited")

	time.Sleep(1100 * time.Millisecond)
	for i := range 5 {
		require.Equal(t, http.StatusOK, call(t, s, "GET", bouncer, admin, "").status, "refilled: request %d", i)
	}

	s.InjectFault(shift72test.NotFound())
	require.Equal(t, http.StatusNotFound, call(t, s, "GET", bouncer, admin, "").status, "an injected fault comes first")

	require.NoError(t, s.SetRateLimit(0))
	for range 20 {
		require.Equal(t, http.StatusOK, call(t, s, "GET", bouncer, admin, "").status, "no limit")
	}
	require.Error(t, s.SetRateLimit(-1))

	require.NoError(t, s.SetRateLimit(1))
	call(t, s, "GET", bouncer, admin, "")
	require.Equal(t, http.StatusTooManyRequests, call(t, s, "GET", bouncer, admin, "").status)
	s.ClearFaults()
	require.Equal(t, http.StatusOK, call(t, s, "GET", bouncer, admin, "").status, "ClearFaults clears the rate limit")
}
