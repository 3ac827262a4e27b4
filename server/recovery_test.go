package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// An attempt a crash interrupted (its job left in state running in the
// SQLite store) is taken up at the next start, not after rescue_after.
func TestInterruptedAttemptResumesAtStart(t *testing.T) {
	sim := vaultstreamtest.NewServer()
	t.Cleanup(sim.Close)
	rulesDir := filepath.Join(t.TempDir(), "rules")
	require.NoError(t, os.CopyFS(rulesDir, os.DirFS("testdata/rules")))
	cfg := testConfig(t, rulesDir)
	cfg.Providers = map[string]ProviderConfig{
		vaultstream.Name: {APIURL: sim.URL(), Token: sim.Token(), Secret: testSecret},
	}
	sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training"})
	require.Equal(t, 3*time.Minute, cfg.RescueAfter.D(), "the default rescue_after, far beyond the test's wait")

	// A service that takes a webhook but never starts its workers: the
	// event is stored, its job waits.
	log := slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	first, err := New(context.Background(), cfg, testRegistry(cfg), nil, log)
	require.NoError(t, err)
	body := webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Training"})
	req := httptest.NewRequest(http.MethodPost, "/webhooks/vaultstream", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(vaultstreamtest.SignatureHeader, vaultstreamtest.Sign(testSecret, body))
	rec := httptest.NewRecorder()
	first.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	var accepted struct {
		EventID string `json:"event_id"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &accepted))
	first.Close()

	// What a process killed in the middle of the attempt leaves: the job
	// fetched (attempt 1, running, attempted by a worker that is gone).
	db, err := sql.Open("sqlite", "file:"+cfg.SQLitePath())
	require.NoError(t, err)
	res, err := db.Exec(`UPDATE river_job SET state = 'running', attempt = 1,
		attempted_at = datetime('now', 'subsec'), attempted_by = jsonb('["dead-process"]')
		WHERE kind = 'organizer_events' AND state = 'available'`)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the event's job")
	require.NoError(t, db.Close())

	restarted := time.Now()
	svc, url, _ := serve(t, cfg)
	h := &harness{t: t, svc: svc, url: url, sim: sim, rules: rulesDir}
	e := h.waitFor(accepted.EventID, 5*time.Second, StatusApplied)
	t.Logf("applied %v after the restart, %d attempts recorded", time.Since(restarted).Round(time.Millisecond), e.Attempts)
	require.Eventually(t, func() bool {
		var state string
		_, err := queryOne(context.Background(), svc.backend.reader(), "SELECT state FROM river_job WHERE kind = 'organizer_events'", nil, &state)
		return err == nil && state == "completed"
	}, 5*time.Second, 10*time.Millisecond, "the interrupted job was run again and completed")
}
