package server

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Whether the store takes writes is what readiness reports: a store that
// answers reads but refuses writes (a full disk, a read-only file system,
// PostgreSQL out of space or in read-only mode) would answer every webhook
// 503, so the service is not ready.
//
// The writer records the outcome of each commit that held webhooks or a
// probe. While the last one failed, or when none has been made for a
// while, readiness makes a probe: a one-row write to organizer_heartbeat
// through the writer, at most one per probeEvery. So a busy service is
// judged by its own commits without extra writes, an idle one by a small
// write every few seconds at most, and a store that took writes again is
// ready again without a webhook having to fail first.

const (
	// probeEvery is the shortest time between two readiness probes.
	probeEvery = time.Second
	// freshFor is how long a successful commit stands for the store's
	// health before readiness probes again.
	freshFor = 5 * time.Second
	// probeTimeout bounds the wait for a probe's commit.
	probeTimeout = 3 * time.Second
)

// writeHealth is the outcome of the writer's last telling commit.
type writeHealth struct {
	mu      sync.Mutex
	at      time.Time // when the outcome was recorded
	err     error     // nil: the commit succeeded
	probing sync.Mutex
}

// record notes the outcome of a commit of webhooks or a probe.
func (h *writeHealth) record(err error) {
	h.mu.Lock()
	h.at, h.err = time.Now(), err
	h.mu.Unlock()
}

func (h *writeHealth) last() (time.Time, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.at, h.err
}

// writable reports whether the store takes writes: nil, or why not. It
// probes when the last outcome failed (at most once per probeEvery) or is
// older than freshFor.
func (w *writer) writable(ctx context.Context) error {
	at, err := w.health.last()
	if fresh := time.Since(at); err == nil && fresh < freshFor || err != nil && fresh < probeEvery {
		return err
	}
	w.health.probing.Lock() // one probe at a time; the others use its outcome
	defer w.health.probing.Unlock()
	if again, err := w.health.last(); again != at {
		return err
	}
	return w.probe(ctx)
}

// probe writes the heartbeat row through the writer and records the outcome.
func (w *writer) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	o := &op{ctx: context.WithoutCancel(ctx), probe: true, fn: heartbeat, done: make(chan opResult, 1)}
	if err := w.groups.submit(ctx, o); err != nil {
		return fmt.Errorf("handing a probe write to the writer: %w", err)
	}
	select {
	case r := <-o.done:
		return r.err // recorded by the writer
	case <-ctx.Done():
		err := fmt.Errorf("a probe write was not committed within %v", probeTimeout)
		w.health.record(err)
		return err
	}
}

// heartbeat is the probe's write: one row, the time of the last probe.
func heartbeat(ctx context.Context, q querier, _ enqueueFunc) error {
	_, err := q.exec(ctx, `INSERT INTO organizer_heartbeat (id, at) VALUES (1, $1)
ON CONFLICT (id) DO UPDATE SET at = excluded.at`, time.Now().UnixMicro())
	return err
}
