package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
