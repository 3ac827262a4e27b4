package shift72test_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

// classify sends the request and classifies the outcome as an adapter does.
func classify(t *testing.T, s *shift72test.Server, ctx context.Context, method, path, body string) *adapters.CallError {
	t.Helper()
	resp, err := send(ctx, s, method, path, admin, body)
	if resp != nil {
		defer resp.Body.Close()
	}
	cerr := adapters.Classify(resp, err, time.Now())
	if cerr == nil {
		return nil
	}
	var ce *adapters.CallError
	require.True(t, errors.As(cerr, &ce))
	return ce
}

func TestFaultRateLimit(t *testing.T) {
	s := newServer(t)
	id := s.AddBundle("B", shift72test.StatusPublished)
	path := "/services/meta/v1/bundles/" + itoa(id) + "/items"
	s.InjectFault(shift72test.RateLimit(2).For("PUT", "/services/meta/v1/bundles/"))

	r := call(t, s, "GET", "/services/meta/v1/bundles/"+itoa(id), admin, "")
	require.Equal(t, http.StatusOK, r.status, "the method does not match")

	r = call(t, s, "PUT", path, admin, `["/film/1"]`)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Equal(t, "2", r.header.Get("Retry-After"))
	b, _ := s.Bundle(id)
	require.Empty(t, b.Items, "a faulted request does not reach the state")

	s.InjectFault(shift72test.RateLimit(2).For("PUT", "/services/meta/v1/bundles/"))
	ce := classify(t, s, context.Background(), "PUT", path, `["/film/1"]`)
	require.NotNil(t, ce)
	require.Equal(t, adapters.RateLimited, ce.Kind)
	require.Equal(t, 2*time.Second, ce.RetryAfter)

	require.Nil(t, classify(t, s, context.Background(), "PUT", path, `["/film/1"]`), "a fault hits once by default")
	b, _ = s.Bundle(id)
	require.Equal(t, []string{"/film/1"}, b.Items)
}

func TestFaultServerErrorRepeats(t *testing.T) {
	s := newServer(t)
	s.InjectFault(shift72test.ServerError(http.StatusServiceUnavailable).Repeat(2))
	for i := range 2 {
		ce := classify(t, s, context.Background(), "GET", "/services/meta/v1/bundles", "")
		require.NotNil(t, ce, "attempt %d", i)
		require.Equal(t, adapters.Transient, ce.Kind)
		require.Equal(t, http.StatusServiceUnavailable, ce.Status)
	}
	require.Nil(t, classify(t, s, context.Background(), "GET", "/services/meta/v1/bundles", ""), "the third passes")
}

func TestFaultNotFound(t *testing.T) {
	s := newServer(t)
	id := s.AddBundle("B", shift72test.StatusPublished)
	s.InjectFault(shift72test.NotFound().For("", "/services/meta/v1/bundles/"+itoa(id)))
	r := call(t, s, "GET", "/services/meta/v1/bundles/"+itoa(id), admin, "")
	require.Equal(t, http.StatusNotFound, r.status)
	require.JSONEq(t, notFoundBody, string(r.body))

	s.InjectFault(shift72test.NotFound())
	ce := classify(t, s, context.Background(), "GET", "/services/meta/v1/bundles/"+itoa(id), "")
	require.NotNil(t, ce)
	require.Equal(t, adapters.Permanent, ce.Kind)
}

func TestFaultHang(t *testing.T) {
	s := newServer(t)
	s.InjectFault(shift72test.Hang().For("GET", "/services/users/auth/bouncer"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	ce := classify(t, s, ctx, "GET", "/services/users/auth/bouncer", "")
	require.NotNil(t, ce)
	require.Equal(t, adapters.Transient, ce.Kind, "a client timeout is transient")
	require.Zero(t, ce.Status)
	require.ErrorIs(t, ce, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)

	require.Eventually(t, func() bool {
		reqs := s.Requests()
		return len(reqs) == 1 && reqs[0].Status == 0
	}, 2*time.Second, 10*time.Millisecond, "logged with no status: nothing was answered")
	require.Nil(t, classify(t, s, context.Background(), "GET", "/services/users/auth/bouncer", ""))
}

// TestFaultHangReleasedByClose: Close does not wait for a hanging client.
func TestFaultHangReleasedByClose(t *testing.T) {
	s := shift72test.NewServer()
	s.InjectFault(shift72test.Hang().Repeat(-1))
	done := make(chan error, 1)
	go func() {
		resp, err := send(context.Background(), s, "GET", "/services/meta/v1/bundles", "", "")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return len(s.Requests()) == 1 }, 2*time.Second, 5*time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		require.Error(t, err, "the connection is dropped, not answered")
	case <-time.After(5 * time.Second):
		t.Fatal("Close left the request hanging")
	}
}

func TestLatency(t *testing.T) {
	s := newServer(t)
	s.SetLatency(60 * time.Millisecond)
	start := time.Now()
	require.Equal(t, http.StatusOK, call(t, s, "GET", "/services/meta/v1/bundles", "", "").status)
	require.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	ce := classify(t, s, ctx, "GET", "/services/meta/v1/bundles", "")
	require.NotNil(t, ce)
	require.Equal(t, adapters.Transient, ce.Kind, "slower than the client's timeout")

	s.SetLatency(0)
	start = time.Now()
	call(t, s, "GET", "/services/meta/v1/bundles", "", "")
	require.Less(t, time.Since(start), 60*time.Millisecond)
}

func TestFaultsInOrderAndCleared(t *testing.T) {
	s := newServer(t)
	s.InjectFault(shift72test.ServerError(http.StatusBadGateway).For("GET", "/services/meta/v4/"))
	s.InjectFault(shift72test.ServerError(http.StatusInternalServerError))
	require.Equal(t, http.StatusInternalServerError, call(t, s, "GET", "/services/meta/v1/bundles", "", "").status, "the first matching fault")
	require.Equal(t, http.StatusBadGateway, call(t, s, "GET", "/services/meta/v4/featured", "", "").status)
	require.Equal(t, http.StatusOK, call(t, s, "GET", "/services/meta/v4/featured", "", "").status)

	s.InjectFault(shift72test.ServerError(http.StatusInternalServerError).Repeat(-1))
	s.SetLatency(time.Hour)
	s.ClearFaults()
	require.Equal(t, http.StatusOK, call(t, s, "GET", "/services/meta/v4/featured", "", "").status)
}

func TestZeroFaultAndBareStatus(t *testing.T) {
	s := newServer(t)
	s.InjectFault(shift72test.Fault{})
	require.Equal(t, http.StatusInternalServerError, call(t, s, "GET", "/services/meta/v1/bundles", "", "").status, "the zero Fault is a 500")

	s.InjectFault(shift72test.ServerError(http.StatusTooManyRequests))
	ce := classify(t, s, context.Background(), "GET", "/services/meta/v1/bundles", "")
	require.NotNil(t, ce)
	require.Equal(t, adapters.RateLimited, ce.Kind)
	require.Zero(t, ce.RetryAfter, "no Retry-After")
}
