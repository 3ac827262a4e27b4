package vaultstreamtest_test

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// TestSimulatorFailRate: a fail rate of 0.5 fails about half of the
// requests, reads and writes alike, with 503 unavailable, and a failed write
// changes nothing; the same source fails the same requests.
func TestSimulatorFailRate(t *testing.T) {
	failed := func(seed uint64) []int {
		s, _ := newServer(t)
		require.NoError(t, s.SetFailRate(0.5, rand.NewPCG(seed, seed)))
		var out []int
		for i := range 400 {
			a := call(t, s, http.MethodGet, "/content/c_1001", nil)
			if a.status == http.StatusServiceUnavailable {
				require.Equal(t, "unavailable", a.code())
				out = append(out, i)
			} else {
				require.Equal(t, http.StatusOK, a.status)
			}
		}
		return out
	}
	a := failed(1)
	require.GreaterOrEqual(t, len(a), 140, "about half of 400 fail")
	require.LessOrEqual(t, len(a), 260, "about half of 400 fail")
	require.Equal(t, a, failed(1), "the same source fails the same requests")

	s, _ := newServer(t)
	require.NoError(t, s.SetFailRate(1, nil))
	a1 := call(t, s, http.MethodPatch, "/content/c_1001", `{"visibility": "org"}`)
	require.Equal(t, http.StatusServiceUnavailable, a1.status, "writes fail too")
	c, _ := s.Content("c_1001")
	require.Equal(t, "private", c.Visibility, "a failed write changes nothing")

	require.NoError(t, s.SetFailRate(0, nil))
	require.Equal(t, http.StatusOK, call(t, s, http.MethodPatch, "/content/c_1001", `{"visibility": "org"}`).status)

	for _, bad := range []float64{-0.1, 1.5} {
		require.True(t, errors.Is(s.SetFailRate(bad, nil), vaultstreamtest.ErrBadFault), "%v", bad)
	}
}

// TestSimulatorRateLimit: a rate limit of 5 lets a burst's first 5 requests
// through and answers the rest 429 rate_limited with Retry-After, until the
// bucket refills; queued faults come first.
func TestSimulatorRateLimit(t *testing.T) {
	s, _ := newServer(t)
	require.NoError(t, s.SetRateLimit(5))
	limited := 0
	for i := range 20 {
		a := call(t, s, http.MethodGet, "/folders", nil)
		if i < 5 {
			require.Equal(t, http.StatusOK, a.status, "request %d is within the burst", i)
			continue
		}
		if a.status == http.StatusTooManyRequests {
			limited++
			require.Equal(t, "1", a.header.Get("Retry-After"))
			require.Equal(t, "rate_limited", a.code())
		}
	}
	require.GreaterOrEqual(t, limited, 13, "most of the burst beyond 5 is limited")

	time.Sleep(1100 * time.Millisecond)
	for i := range 5 {
		require.Equal(t, http.StatusOK, call(t, s, http.MethodGet, "/folders", nil).status, "refilled: request %d", i)
	}

	require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "/folders", Status: 404}))
	require.Equal(t, http.StatusNotFound, call(t, s, http.MethodGet, "/folders", nil).status, "a queued fault comes first")

	require.NoError(t, s.SetRateLimit(0))
	for range 20 {
		require.Equal(t, http.StatusOK, call(t, s, http.MethodGet, "/folders", nil).status, "no limit")
	}
	require.True(t, errors.Is(s.SetRateLimit(-1), vaultstreamtest.ErrBadFault))
}
