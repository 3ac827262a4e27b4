package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// serveInProcess runs `organizer serve args...` in this process until the
// test ends, and returns its base URL and its standard error (JSON log).
func serveInProcess(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, args...), &out, &out)
	}()
	t.Cleanup(func() {
		cancel()
		require.Equal(t, 0, <-done, "serve stops cleanly: %s", out.String())
	})
	var addr string
	require.Eventually(t, func() bool {
		for _, line := range strings.Split(out.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "organizer is serving" {
				addr = rec.Addr
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "serve did not start: %s", out.String())
	return "http://" + addr, &out
}

// While rotating, ORGANIZER_<PROVIDER>_WEBHOOK_SECRET lists the old and the
// new secret: a webhook signed with either is accepted, one signed with any
// other secret is refused. The API URL is logged without its credentials.
func TestServeAcceptsRotatedSecrets(t *testing.T) {
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	api, err := url.Parse(sim.URL())
	require.NoError(t, err)
	api.User = url.UserPassword("apiuser", "userinfo-pw-42")
	t.Setenv("ORGANIZER_VAULTSTREAM_WEBHOOK_SECRET", "old-secret, new-secret")
	t.Setenv("ORGANIZER_VAULTSTREAM_API_URL", api.String())
	t.Setenv("ORGANIZER_VAULTSTREAM_API_TOKEN", sim.Token())
	base, out := serveInProcess(t, "--rules", examplesRules)

	post := func(secret, id string) int {
		body, err := vaultstreamtest.WebhookBody("content.uploaded", map[string]any{"content_id": id, "title": "Rotation " + id})
		require.NoError(t, err)
		req, err := vaultstreamtest.NewWebhookRequest(context.Background(), base+"/webhooks/vaultstream", secret, body)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusAccepted, post("old-secret", "c_old"), "signed with the old secret")
	require.Equal(t, http.StatusAccepted, post("new-secret", "c_new"), "signed with the new secret")
	require.Equal(t, http.StatusUnauthorized, post("another-secret", "c_other"), "signed with neither")
	require.Equal(t, http.StatusUnauthorized, post("old-secret, new-secret", "c_list"), "signed with the whole setting")

	log := out.String()
	require.Contains(t, log, `"api":"http://apiuser:xxxxx@`+api.Host)
	require.NotContains(t, log, "userinfo-pw-42")
}

// A webhook secret that is set but blank, or a list with a blank entry,
// stops serve at start (a configuration error, exit 2) with a message
// naming the variable; an unset one is allowed (that provider's webhooks
// are refused).
func TestServeRefusesBlankSecret(t *testing.T) {
	for _, setting := range []string{"  ", "old-secret,,new-secret", "old-secret,"} {
		t.Run(setting, func(t *testing.T) {
			t.Setenv("ORGANIZER_SHIFT72_WEBHOOK_SECRET", setting)
			start := time.Now()
			r := organizer(t, "serve", "--rules", examplesRules, "--data", t.TempDir(), "--addr", "127.0.0.1:0")
			require.Equal(t, exitUsage, r.code, r.String())
			require.Contains(t, r.stderr, "ORGANIZER_SHIFT72_WEBHOOK_SECRET")
			require.NotContains(t, r.stderr, "old-secret")
			require.NotContains(t, r.stderr, "organizer is serving")
			require.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

// The store's URL is never quoted with its password: neither when it is
// refused as a setting nor when PostgreSQL cannot be reached.
func TestServeRedactsStoreURL(t *testing.T) {
	for _, store := range []string{
		"mysql://organizer:hunter2-pw@127.0.0.1/organizer",
		"postgres://organizer:hunter2-pw@127.0.0.1:" + closedPort(t) + "/organizer?sslmode=disable&connect_timeout=2",
	} {
		r := organizer(t, "serve", "--rules", examplesRules, "--addr", "127.0.0.1:0", "--store", store)
		require.Equal(t, exitFailure, r.code, r.String())
		require.NotContains(t, r.output(), "hunter2-pw")
	}
}

func closedPort(t *testing.T) string {
	addr := freeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	return port
}
