package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// A webhook secret setting is one secret or a comma-separated list, each
// entry trimmed.
func TestProviderSecrets(t *testing.T) {
	for setting, want := range map[string][]string{
		"":                   nil,
		"s3cret":             {"s3cret"},
		"old-secret,new-one": {"old-secret", "new-one"},
		" old , new ":        {"old", "new"},
	} {
		require.Equal(t, want, ProviderConfig{Secret: setting}.Secrets(), "%q", setting)
	}
}

// A set but blank secret, or a list with a blank entry, is a configuration
// error naming the variable (never the secrets); an unset one is not.
func TestCheckSecretsBlank(t *testing.T) {
	for _, setting := range []string{" ", "\t \n", ",", "old,,new", "old,", ", new", "old, ,new"} {
		cfg := Defaults()
		cfg.Providers = map[string]ProviderConfig{vaultstream.Name: {Secret: setting}}
		err := cfg.CheckSecrets()
		require.Error(t, err, "%q", setting)
		require.Contains(t, err.Error(), "ORGANIZER_VAULTSTREAM_WEBHOOK_SECRET", "%q", setting)
		require.NotContains(t, err.Error(), "old", "the message quotes no secret")
		require.NotContains(t, err.Error(), "new")
		cfg.Rules = "rules"
		require.ErrorContains(t, cfg.Validate(), "ORGANIZER_VAULTSTREAM_WEBHOOK_SECRET", "Validate reports it too")
	}
	cfg := Defaults()
	cfg.Providers = map[string]ProviderConfig{vaultstream.Name: {}, "shift72": {Secret: "a, b"}}
	require.NoError(t, cfg.CheckSecrets(), "unset, or a list of two")
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                     "",
		"https://api.vaultstream.example/v1":   "https://api.vaultstream.example/v1",
		"https://user:pa55word@api.example/v1": "https://user:xxxxx@api.example/v1",
		"https://tok3n@api.example/v1":         "https://xxxxx@api.example/v1",
		"https://api.example/v1?api_token=t0k&region=eu":           "https://api.example/v1?api_token=xxxxx&region=eu",
		"https://api.example/?access_key=k&Signature=s":            "https://api.example/?Signature=xxxxx&access_key=xxxxx",
		"postgres://organizer:hunter2@db:5432/organizer":           "postgres://organizer:xxxxx@db:5432/organizer",
		"postgres://organizer@db:5432/organizer":                   "postgres://organizer@db:5432/organizer",
		"postgres://db/organizer?user=o&password=hunter2":          "postgres://db/organizer?password=xxxxx&user=o",
		"postgres://organizer:p%40ss@db/organizer?sslmode=require": "postgres://organizer:xxxxx@db/organizer?sslmode=require",
	} {
		require.Equal(t, want, RedactURL(raw), "%s", raw)
	}
	require.NotContains(t, RedactURL("http://user:pass@host:badport\x7f"), "pass", "an unparsable URL is hidden whole")
}

// An invalid store or API URL is reported without its credentials.
func TestValidateRedactsURLs(t *testing.T) {
	cfg := Defaults()
	cfg.Rules = "rules"
	cfg.Store = "mysql://organizer:hunter2@db/organizer"
	cfg.Providers = map[string]ProviderConfig{vaultstream.Name: {APIURL: "ftp://u:pw-in-url@api.example/?token=tok-in-url", Token: "t"}}
	err := cfg.Validate()
	require.ErrorContains(t, err, "mysql://organizer:xxxxx@db/organizer")
	require.ErrorContains(t, err, "not an http:// or https:// URL")
	for _, secret := range []string{"hunter2", "pw-in-url", "tok-in-url"} {
		require.NotContains(t, err.Error(), secret)
	}
}

// Config.Redact takes every credential of the configuration out of a
// message, such as a driver's error quoting the store's URL.
func TestConfigRedact(t *testing.T) {
	cfg := Defaults()
	cfg.Store = "postgres://organizer:hunter2@db/organizer?password=other-pw"
	cfg.AdminToken = "admin-token-123"
	cfg.Providers = map[string]ProviderConfig{vaultstream.Name: {APIURL: "https://u:api-pw@api.example", Token: "api-token-456", Secret: "old-secret, new-secret"}}
	msg := cfg.Redact("connecting to " + cfg.Store + ": password hunter2 and other-pw; admin-token-123 api-token-456 api-pw old-secret new-secret")
	for _, secret := range []string{"hunter2", "other-pw", "admin-token-123", "api-token-456", "api-pw", "old-secret", "new-secret"} {
		require.NotContains(t, msg, secret)
	}
	require.Contains(t, msg, "postgres://organizer:xxxxx@db/organizer?password=xxxxx")
}

// The startup log names a provider's API URL without its credentials.
func TestStartupLogRedactsAPIURL(t *testing.T) {
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	u, err := url.Parse(sim.URL())
	require.NoError(t, err)
	u.User = url.UserPassword("apiuser", "userinfo-pw")
	u.RawQuery = "access_token=query-token&region=eu"
	cfg := testConfig(t, "testdata/rules")
	cfg.Providers = map[string]ProviderConfig{
		vaultstream.Name: {APIURL: u.String(), Token: sim.Token(), Secret: testSecret},
	}
	var out lockedBuffer
	log := slogJSON(&out)
	svc, err := New(context.Background(), cfg, testRegistry(cfg),
		map[string]adapters.Client{vaultstream.Name: vaultstream.NewClient(sim.URL(), sim.Token())}, log)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "decisions are applied") },
		5*time.Second, 5*time.Millisecond, "no startup log: %s", out.String())
	cancel()
	require.NoError(t, <-done)

	var api string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if rec["msg"] == "decisions are applied through the provider's API" {
			api, _ = rec["api"].(string)
		}
	}
	want := *u
	want.User = url.UserPassword("apiuser", "xxxxx")
	want.RawQuery = "access_token=xxxxx&region=eu"
	require.Equal(t, want.String(), api)
	require.NotContains(t, out.String(), "userinfo-pw")
	require.NotContains(t, out.String(), "query-token")
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func slogJSON(w *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
