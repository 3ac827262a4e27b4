package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A pipeline write that fails costs neither the webhooks nor the other
// writes committed with it: they are committed apart, and only the bad
// write reports an error.
func TestWriterBadWriteFailsNothingElse(t *testing.T) {
	h := startHarness(t)
	hook := func(id string) *op {
		return &op{ev: &newEvent{id: id, provider: "vaultstream", typ: "content.deleted", contentID: "c_" + id,
			payload: []byte(`{}`), receivedAt: time.Now(), status: StatusIgnored}, done: make(chan opResult, 1)}
	}
	write := func(fn writeFunc) *op {
		return &op{fn: fn, ctx: context.Background(), done: make(chan opResult, 1)}
	}
	broken := errors.New("broken write")
	group := []*op{
		hook("w1"),
		write(func(context.Context, querier, enqueueFunc) error { return broken }),
		hook("w2"),
		write(func(ctx context.Context, q querier, _ enqueueFunc) error {
			_, err := q.exec(ctx, `UPDATE organizer_events SET error = 'noted' WHERE id = $1`, "w1")
			return err
		}),
		hook("w1"), // a redelivery within the group
	}
	h.svc.store.writes.commit(group)
	results := make([]opResult, len(group))
	for i, o := range group {
		results[i] = <-o.done
	}
	require.Equal(t, opResult{}, results[0])
	require.ErrorIs(t, results[1].err, broken)
	require.Equal(t, opResult{}, results[2])
	require.NoError(t, results[3].err)
	require.Equal(t, opResult{duplicate: true}, results[4])
	require.Equal(t, 2, h.rows("organizer_events"))
	require.Equal(t, "noted", h.event("w1").Error)
	require.Equal(t, StatusIgnored, h.event("w2").Status)
}

// commitReportsError is the store with a commit whose error arrives after
// the commit took effect, as when the connection is lost while COMMIT is
// answered: the next inTx commits, then reports failure.
type commitReportsError struct {
	backend
	armed bool
}

func (b *commitReportsError) inTx(ctx context.Context, fn func(q querier, enqueue enqueueFunc) error) error {
	if err := b.backend.inTx(ctx, fn); err != nil || !b.armed {
		return err
	}
	b.armed = false
	return errors.New("connection lost while COMMIT was answered")
}

// A webhook is answered by what the store holds: a commit that reports an
// error after it took effect answers its webhooks as stored (202, or 200
// for a redelivery), never 503.
func TestWriterAnswersWhatTheStoreHolds(t *testing.T) {
	h := startHarness(t, recordOnly)
	hook := func(id string, at time.Time) *op {
		return &op{ev: &newEvent{id: id, provider: "vaultstream", typ: "content.deleted", contentID: "c_" + id,
			payload: []byte(`{}`), receivedAt: at, status: StatusIgnored}, done: make(chan opResult, 1)}
	}
	earlier := hook("a1", time.Now().Add(-time.Minute))
	h.svc.store.writes.commit([]*op{earlier})
	require.Equal(t, opResult{}, <-earlier.done)

	b := &commitReportsError{backend: h.svc.backend, armed: true}
	w := newWriter(b, 0, 16, h.svc.log, nil)
	t.Cleanup(w.close)
	alone := hook("a0", time.Now())
	w.commit([]*op{alone})
	require.Equal(t, opResult{}, <-alone.done, "a webhook alone in its commit")

	b.armed = true
	group := []*op{hook("a2", time.Now()), hook("a1", time.Now()), hook("a3", time.Now())}
	w.commit(group)
	require.Equal(t, opResult{}, <-group[0].done, "stored by this delivery")
	require.Equal(t, opResult{duplicate: true}, <-group[1].done, "stored by an earlier delivery")
	require.Equal(t, opResult{}, <-group[2].done)
	require.Equal(t, 4, h.rows("organizer_events"))
}

// While the store refuses writes (here SQLite's page limit: the database
// is full), webhooks are answered 503 and not stored, and /readyz is 503
// saying so; once it takes writes again, /readyz is 200 without a webhook
// having to succeed first, and webhooks are stored.
func TestReadyzWhileTheStoreRefusesWrites(t *testing.T) {
	h := startHarness(t, recordOnly)
	code, _ := h.do(http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, code)

	limitPages(t, h, true)
	big := webhook(t, "content.uploaded", map[string]any{"content_id": "big", "title": strings.Repeat("x", 200<<10)})
	code, _ = h.send(big)
	require.Equal(t, http.StatusServiceUnavailable, code)
	code, body := h.do(http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, fmt.Sprint(body["problems"]), "store refuses writes: ")
	require.Equal(t, 0, h.rows("organizer_events"))

	limitPages(t, h, false)
	require.Eventually(t, func() bool {
		code, _ := h.do(http.MethodGet, "/readyz", nil, nil)
		return code == http.StatusOK
	}, 5*time.Second, 50*time.Millisecond, "readyz once the store takes writes again")
	code, _ = h.send(big)
	require.Equal(t, http.StatusAccepted, code)
}

// limitPages caps the store's file at its current size (a full disk, as
// SQLite sees one) or lifts the cap, on the writer's connection.
func limitPages(t *testing.T, h *harness, full bool) {
	t.Helper()
	err := h.svc.backend.inTx(context.Background(), func(q querier, _ enqueueFunc) error {
		limit := int64(1 << 30)
		if full {
			if _, err := queryOne(context.Background(), q, "PRAGMA page_count", nil, &limit); err != nil {
				return err
			}
		}
		_, err := q.exec(context.Background(), "PRAGMA max_page_count = "+strconv.FormatInt(limit, 10))
		return err
	})
	require.NoError(t, err)
}
