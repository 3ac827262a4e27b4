package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkConsolePages renders the console's pages over a log of 100,000
// events (SQLite), beside GET /v1/events as the baseline: the pages should
// stay within a small multiple of the API's list, whatever the filter.
//
//	go test ./server -run '^$' -bench BenchmarkConsolePages -benchtime 20x
func BenchmarkConsolePages(b *testing.B) {
	const events = 100_000
	svc := benchService(b)
	seedEvents(b, svc, events)
	h := svc.Handler()
	get := func(b *testing.B, path string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = "127.0.0.1:1234"
		req.Host = "127.0.0.1"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, w.Code, w.Body.String())
		}
	}
	for _, path := range []string{
		"/v1/events",
		"/",
		"/events",
		"/events?before=50000",
		"/events?content_id=c_77",
		"/events?status=dead",
		"/events?rule=marketing",
		"/events?rule=nosuch",
		"/events?type=content.transcoded",
		"/dead-letters",
		"/events/ev_99999",
		"/rules",
	} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				get(b, path)
			}
		})
	}
}

// The home page's chart counts each hour's events from the indexes alone
// (console_backend.go): every event is counted once, in its hour.
func TestConsoleActivityByHour(t *testing.T) {
	svc := benchService(t)
	seedEvents(t, svc, 2300) // 100 an hour over 23 hours, one in fifty dead
	since := time.Now().UTC().Truncate(time.Hour).Add(-23 * time.Hour)
	hours, err := consoleBackend{svc}.Activity(t.Context(), since)
	require.NoError(t, err)
	total, dead := 0, 0
	for _, hc := range hours {
		n := hc.Counts["applied"] + hc.Counts["dead"]
		require.InDelta(t, 100, n, 101, "hour %s", hc.Start) // the first and last hours are partial
		total, dead = total+n, dead+hc.Counts["dead"]
	}
	require.Equal(t, 2300, total)
	require.Equal(t, 46, dead)
	require.GreaterOrEqual(t, len(hours), 23)
	full := 0
	for _, hc := range hours {
		if n := hc.Counts["applied"] + hc.Counts["dead"]; n >= 99 && n <= 101 {
			full++
		}
	}
	require.GreaterOrEqual(t, full, 21, "the events spread over the hours they were received in: %v", hours)
}

// benchService is a service over a fresh SQLite store and the tests'
// rules, not started: the pages read the store only.
func benchService(b testing.TB) *Service {
	b.Helper()
	rulesDir := filepath.Join(b.TempDir(), "rules")
	require.NoError(b, os.CopyFS(rulesDir, os.DirFS("testdata/rules")))
	cfg := Defaults()
	cfg.Data, cfg.Rules = b.TempDir(), rulesDir
	cfg.Providers = map[string]ProviderConfig{"vaultstream": {Secret: testSecret}}
	svc, err := New(context.Background(), cfg, testRegistry(cfg), nil, slog.New(slog.DiscardHandler))
	require.NoError(b, err)
	b.Cleanup(svc.Close)
	return svc
}

// seedEvents stores n decided events of the last 24 hours, one in fifty
// dead, over 1,000 items, with payloads and decisions of a realistic size.
func seedEvents(b testing.TB, svc *Service, n int) {
	b.Helper()
	ctx := context.Background()
	start := time.Now().Add(-23 * time.Hour)
	const batch = 1000
	for from := 0; from < n; from += batch {
		evs := make([]*newEvent, 0, batch)
		for i := from; i < min(n, from+batch); i++ {
			cid := fmt.Sprintf("c_%d", i%1000)
			typ, title := "content.uploaded", "Marketing reel "+cid
			if i%4 == 0 {
				typ, title = "content.transcoded", "Training module "+cid
			}
			st := StatusApplied
			if i%50 == 0 {
				st = StatusDead
			}
			evs = append(evs, &newEvent{id: fmt.Sprintf("ev_%d", i), provider: "vaultstream", typ: typ, contentID: cid,
				payload:    []byte(`{"type":"` + typ + `","data":{"content_id":"` + cid + `","title":"` + title + `","uploaded_by":"u_17","size_bytes":48213991}}`),
				receivedAt: start.Add(time.Duration(i) * 23 * time.Hour / time.Duration(n)), status: st})
		}
		err := svc.backend.inTx(ctx, func(q querier, _ enqueueFunc) error {
			_, err := insertEvents(ctx, q, evs)
			return err
		})
		require.NoError(b, err)
	}
	err := svc.backend.inTx(ctx, func(q querier, _ enqueueFunc) error {
		_, err := q.exec(ctx, `UPDATE organizer_events SET ruleset = 'sha256:0', results = '[{"action":"folder \"Marketing\"","kind":"folder","outcome":"applied","attempts":1,"calls":2}]',
			decision = '{"event":{"id":"' || id || '","provider":"vaultstream","type":"' || type || '","content":{"id":"' || content_id || '","title":"Marketing reel","metadata":{"department":"Sales"}},"data":{}},"ruleset":"sha256:0","matched":["' ||
			CASE WHEN type = 'content.transcoded' THEN 'training' ELSE 'marketing' END || '"],"plan":{"folder":"Marketing","visibility":"team","tags":[],"remove_tags":[],"permissions":[],"metadata":{},"derivatives":[],"notify":[]},"trace":[]}'`)
		return err
	})
	require.NoError(b, err)
}
