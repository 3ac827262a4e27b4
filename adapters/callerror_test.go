package adapters_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
)

// TestClassify calls a real server over loopback for each kind of answer.
func TestClassify(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		handle http.HandlerFunc
		kind   adapters.Kind
		status int
		after  time.Duration
		msg    string
	}{
		{"429 with Retry-After: 2", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "2")
			http.Error(w, `{"error": "rate limit exceeded"}`, http.StatusTooManyRequests)
		}, adapters.RateLimited, 429, 2 * time.Second, "rate limit exceeded"},
		{"429 with an HTTP date", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
		}, adapters.RateLimited, 429, 90 * time.Second, "Too Many Requests"},
		{"503", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		}, adapters.Transient, 503, 0, "maintenance"},
		{"408", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusRequestTimeout) },
			adapters.Transient, 408, 0, "Request Timeout"},
		{"404", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"error": "content c9 not found"}`, http.StatusNotFound)
		}, adapters.Permanent, 404, 0, "content c9 not found"},
		{"401", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) },
			adapters.Permanent, 401, 0, "Unauthorized"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handle)
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			if resp != nil {
				defer resp.Body.Close()
			}
			got := adapters.Classify(resp, err, now)
			var ce *adapters.CallError
			require.True(t, errors.As(got, &ce), "%v", got)
			require.Equal(t, c.kind, ce.Kind)
			require.Equal(t, c.status, ce.Status)
			require.Equal(t, c.after, ce.RetryAfter)
			require.Contains(t, ce.Message, c.msg)
		})
	}

	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer ok.Close()
	resp, err := http.Get(ok.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, adapters.Classify(resp, err, now))
}

// TestClassifyTransport: a platform that never answers, or is not there, is
// a transient failure.
func TestClassifyTransport(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	client := &http.Client{Timeout: 50 * time.Millisecond}
	_, err := client.Get(hang.URL)
	var ce *adapters.CallError
	require.True(t, errors.As(adapters.Classify(nil, err, time.Now()), &ce))
	require.Equal(t, adapters.Transient, ce.Kind)
	require.Contains(t, ce.Message, "did not answer in time")

	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close()
	_, err = http.Get(url)
	require.True(t, errors.As(adapters.Classify(nil, err, time.Now()), &ce))
	require.Equal(t, adapters.Transient, ce.Kind)
	require.Equal(t, 0, ce.Status)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hang.URL, nil)
	_, err = http.DefaultClient.Do(req)
	require.True(t, errors.As(adapters.Classify(nil, err, time.Now()), &ce))
	require.Equal(t, "the call was cancelled", ce.Message)
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	require.Equal(t, 2*time.Second, adapters.RetryAfter("2", now))
	require.Equal(t, 30*time.Second, adapters.RetryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now))
	for _, bad := range []string{"", "soon", "-5", now.Add(-time.Hour).Format(http.TimeFormat)} {
		require.Zero(t, adapters.RetryAfter(bad, now), bad)
	}
}
