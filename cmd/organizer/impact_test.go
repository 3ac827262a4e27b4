package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
	"github.com/organizer-dev/organizer/server"
)

// impactRules are the rules the service runs in the impact tests.
const impactRules = `version: 1
rules:
  - name: leadership
    on: [content.uploaded]
    when: lower(title) contains "town hall"
    actions: {folder: Leadership}
  - name: marketing
    on: [content.uploaded]
    when: lower(title) contains "marketing"
    actions: {folder: Marketing}
`

// impactService runs a record-only service on the SQLite store in data
// (or on store) with impactRules, and logs twenty events, ten of them
// town halls. It returns the stop function.
func impactService(t *testing.T, data, store string) func() {
	t.Helper()
	ctx := context.Background()
	cfg := server.Defaults()
	cfg.Data, cfg.Store = data, store
	cfg.Rules = writeFile(t, t.TempDir(), "media.yaml", impactRules)
	cfg.Providers = map[string]server.ProviderConfig{vaultstream.Name: {Secret: benchSecret}}
	svc, err := server.New(ctx, cfg, registry(func(string) string { return benchSecret }), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	url, serving, err := serveService(ctx, svc)
	require.NoError(t, err)
	var once sync.Once
	stop := func() { once.Do(serving) }
	t.Cleanup(stop)
	for i := range 20 {
		title := fmt.Sprintf("Marketing reel %d", i)
		if i%2 == 0 {
			title = fmt.Sprintf("Town hall %d", i)
		}
		body, err := vaultstreamtest.WebhookBody("content.uploaded", map[string]any{"content_id": fmt.Sprintf("c_%d", i), "title": title})
		require.NoError(t, err)
		req, err := vaultstreamtest.NewWebhookRequest(ctx, url+"/webhooks/vaultstream", benchSecret, body)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
	}
	require.Eventually(t, func() bool {
		st, err := svc.Stats(ctx)
		return err == nil && st.Events[server.StatusRecorded] == 20
	}, 10*time.Second, 10*time.Millisecond)
	return stop
}

// proposedEdit writes the edit that moves town halls to Executive under
// a renamed rule.
func proposedEdit(t *testing.T) string {
	text := strings.NewReplacer("name: leadership", "name: executive", "folder: Leadership", "folder: Executive").Replace(impactRules)
	return writeFile(t, t.TempDir(), "media.yaml", text)
}

func impactJSON(t *testing.T, args ...string) server.ImpactReport {
	t.Helper()
	r := organizer(t, append([]string{"impact", "--format", "json"}, args...)...)
	require.Equal(t, 0, r.code, r.String())
	var report server.ImpactReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), r.stdout)
	return report
}

func requireTownHallsMoved(t *testing.T, r server.ImpactReport) {
	t.Helper()
	require.Equal(t, 20, r.Events)
	require.Equal(t, 10, r.Changed)
	require.Equal(t, map[string]map[string]int{"folder": {"Leadership → Executive": 10}}, r.Fields)
	require.Equal(t, map[string]server.BeforeAfter{
		"leadership": {Before: 10, After: 0}, "executive": {Before: 0, After: 10}, "marketing": {Before: 10, After: 10},
	}, r.Rules)
	require.Len(t, r.Examples, 10)
}

// organizer impact reads the store of a running service without its lock,
// compares with the ruleset the service recorded, and reports exactly the
// ten town halls the edit moves; also once the service has stopped.
func TestImpactCommandSQLite(t *testing.T) {
	data := t.TempDir()
	stop := impactService(t, data, "")
	proposed := proposedEdit(t)

	requireTownHallsMoved(t, impactJSON(t, "--rules", proposed, "--data", data))

	text := organizer(t, "impact", "--rules", proposed, "--data", data)
	require.Equal(t, 0, text.code, text.String())
	require.Contains(t, text.stdout, "10 of 20 events would change")
	require.Contains(t, text.stdout, "10  Leadership → Executive")
	require.Contains(t, text.stdout, "folder: Leadership → Executive")

	// --current compares with files instead: the edit against itself.
	same := impactJSON(t, "--rules", proposed, "--data", data, "--current", proposed)
	require.Equal(t, 20, same.Events)
	require.Zero(t, same.Changed)

	// A window that ends before the events were received holds none.
	none := impactJSON(t, "--rules", proposed, "--data", data, "--since", "1h", "--now", time.Now().Add(-2*time.Hour).UTC().Format(time.RFC3339))
	require.Zero(t, none.Events)
	limited := impactJSON(t, "--rules", proposed, "--data", data, "--limit", "5")
	require.Equal(t, 5, limited.Events)
	require.True(t, limited.Limited)

	stop()
	db := filepath.Join(data, "organizer.db")
	before, err := os.ReadFile(db)
	require.NoError(t, err)
	requireTownHallsMoved(t, impactJSON(t, "--rules", proposed, "--data", data))
	after, err := os.ReadFile(db)
	require.NoError(t, err)
	require.Equal(t, before, after, "the preview changed the store")
	wal, err := os.ReadFile(db + "-wal")
	require.True(t, err != nil || len(wal) == 0, "the preview wrote to the write-ahead log")
}

// Invalid proposed rules exit 1 with every problem as file:line:col:
// message, before the store is read.
func TestImpactCommandInvalidRules(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", "version: 1\nrules:\n  - name: r1\n    when: title ==\n    actions:\n      folder: A\n")
	writeFile(t, dir, "b.yaml", "version: 1\nrules:\n  - name: r2\n    colour: red\n    actions:\n      folder: A\n")
	r := organizer(t, "impact", "--rules", dir, "--data", t.TempDir())
	require.Equal(t, 1, r.code, r.String())
	require.Contains(t, r.stderr, filepath.Join(dir, "a.yaml")+":4:18: ")
	require.Contains(t, r.stderr, filepath.Join(dir, "b.yaml")+":4:5: ")

	r = organizer(t, "impact", "--rules", proposedEdit(t), "--data", t.TempDir())
	require.Equal(t, 1, r.code, r.String())
	require.Contains(t, r.stderr, "no store at")

	for _, bad := range [][]string{{"--since", "100d"}, {"--since", "soon"}, {"--limit", "0"}, {"--store", "postgres://x"}} {
		r = organizer(t, append([]string{"impact", "--rules", dir, "--data", t.TempDir()}, bad...)...)
		require.Equal(t, 2, r.code, "%v: %s", bad, r.String())
	}
}

// The same on PostgreSQL, with ORGANIZER_TEST_POSTGRES.
func TestImpactCommandPostgres(t *testing.T) {
	dsn := os.Getenv("ORGANIZER_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set ORGANIZER_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	store := freshDatabase(t, dsn)
	impactService(t, t.TempDir(), store)
	requireTownHallsMoved(t, impactJSON(t, "--rules", proposedEdit(t), "--store", store))
}
