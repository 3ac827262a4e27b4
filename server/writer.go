package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// errStopping answers webhooks that arrive while the service shuts down.
var errStopping = errors.New("the service is shutting down")

// writer is the one way into the store for the intake's webhooks and the
// pipeline's small writes (a decision, an outcome): it commits what
// arrives together in one transaction (group commit). What queued up while
// the previous commit ran, plus what arrives within the commit window,
// shares the next one. On SQLite every commit is an fsync on the one
// writing connection; one commit for many requests, and one for webhooks
// and pipeline writes alike, is what lifts durable intake far above one
// commit per request. Each submitter waits for the commit that holds its
// write, so a webhook's 2xx always means the event is durable.
type writer struct {
	b       backend
	log     *slog.Logger
	observe func(webhooks int) // the webhooks of each commit, for the metrics
	groups  *grouper[*op]
	health  writeHealth // whether the store takes writes (health.go)
}

// op is one write waiting for its commit: a webhook, or a pipeline write.
type op struct {
	ev    *newEvent
	fn    writeFunc
	probe bool // fn is a readiness probe: its outcome is the store's
	ctx   context.Context
	done  chan opResult
}

type opResult struct {
	duplicate bool // a webhook already stored: a redelivery
	err       error
}

func newWriter(b backend, window time.Duration, maxBatch int, log *slog.Logger, observe func(int)) *writer {
	w := &writer{b: b, log: log, observe: observe}
	w.groups = newGrouper(b.committers(), maxBatch, window, w.commit)
	return w
}

// submit stores one webhook with its job and waits for the commit.
func (w *writer) submit(ctx context.Context, ev *newEvent) (duplicate bool, err error) {
	r := w.wait(ctx, &op{ev: ev, ctx: ctx})
	return r.duplicate, r.err
}

// writeFunc is a pipeline write: statements, and the jobs to enqueue with
// them, committed together.
type writeFunc func(ctx context.Context, q querier, enqueue enqueueFunc) error

// do runs fn in a transaction shared with other writes and returns once
// that transaction has committed (or fn's own error).
func (w *writer) do(ctx context.Context, fn writeFunc) error {
	return w.wait(ctx, &op{fn: fn, ctx: ctx}).err
}

func (w *writer) wait(ctx context.Context, o *op) opResult {
	o.done = make(chan opResult, 1)
	if err := w.groups.submit(ctx, o); err != nil {
		return opResult{err: err}
	}
	// Once handed over, the submitter waits for the commit whatever happens
	// to its context: a webhook's answer must say what the store holds.
	return <-o.done
}

// close commits what was handed over and stops.
func (w *writer) close() { w.groups.close() }

// commit runs a group in one transaction. If that fails, the webhooks are
// committed apart from the pipeline's writes and each of those alone, so
// that one bad write fails nothing else. Each webhook is answered by what
// the store holds (answerWebhooks).
func (w *writer) commit(group []*op) {
	var hooks, writes []*op
	for _, o := range group {
		if o.ev != nil {
			hooks = append(hooks, o)
		} else {
			writes = append(writes, o)
		}
	}
	if w.observe != nil && len(hooks) > 0 {
		w.observe(len(hooks))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var fresh map[string]bool
	err := w.b.inTx(ctx, func(q querier, enqueue enqueueFunc) error {
		var err error
		if fresh, err = storeWebhooks(ctx, q, enqueue, hooks); err != nil {
			return err
		}
		return runWrites(q, enqueue, writes)
	})
	if err == nil || len(group) == 1 {
		if err == nil || len(hooks) > 0 || writes[0].probe {
			w.health.record(err) // a pipeline write's own failure says nothing of the store
		}
		w.answerWebhooks(ctx, hooks, fresh, err, err != nil)
		for _, o := range writes {
			o.done <- opResult{err: err}
		}
		return
	}
	// Apart, so that one bad write fails nothing else.
	if len(hooks) > 0 {
		err = w.b.inTx(ctx, func(q querier, enqueue enqueueFunc) error {
			var err error
			fresh, err = storeWebhooks(ctx, q, enqueue, hooks)
			return err
		})
		w.health.record(err)
		// The first commit's error may have come after it took effect:
		// which delivery stored an event is read back.
		w.answerWebhooks(ctx, hooks, fresh, err, true)
	}
	for _, o := range writes {
		err := w.b.inTx(ctx, func(q querier, enqueue enqueueFunc) error { return o.fn(o.ctx, q, enqueue) })
		if err == nil || o.probe {
			w.health.record(err)
		}
		o.done <- opResult{err: err}
	}
}

// storeWebhooks inserts the group's new events, and one job for those to
// be processed.
func storeWebhooks(ctx context.Context, q querier, enqueue enqueueFunc, hooks []*op) (map[string]bool, error) {
	if len(hooks) == 0 {
		return nil, nil
	}
	evs := make([]*newEvent, 0, len(hooks))
	seen := make(map[string]bool, len(hooks))
	for _, o := range hooks {
		if !seen[o.ev.id] {
			seen[o.ev.id] = true
			evs = append(evs, o.ev)
		}
	}
	fresh, err := insertEvents(ctx, q, evs)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range evs {
		if fresh[e.id] && e.status == StatusQueued {
			ids = append(ids, e.id)
		}
	}
	if len(ids) == 0 {
		return fresh, nil
	}
	return fresh, enqueue(ctx, []river.InsertManyParams{commitJob(ids)})
}

func runWrites(q querier, enqueue enqueueFunc, writes []*op) error {
	for _, o := range writes {
		if err := o.fn(o.ctx, q, enqueue); err != nil {
			return err
		}
	}
	return nil
}

// answerWebhooks tells each request whether it stored its event: the
// first request of an id in the group is the one that stored it. In doubt
// (a commit of these webhooks failed), the store is asked which events it
// holds and which delivery stored them: an error at commit can come after
// the commit took effect (a connection lost while COMMIT was answered, a
// deadline at that moment). Those held are answered as stored; the others
// with the error (and a 503), so a 503 always means the event is not
// stored.
func (w *writer) answerWebhooks(ctx context.Context, hooks []*op, fresh map[string]bool, err error, doubt bool) {
	if doubt && len(hooks) > 0 {
		var cerr error
		if fresh, cerr = w.confirm(ctx, hooks); cerr != nil {
			w.log.Error("after a failed commit, the store could not be asked what it holds", "error", cerr)
			if err == nil {
				err = cerr // nothing is known to be stored
			}
		}
	}
	if err != nil && len(hooks) > 0 {
		err = fmt.Errorf("storing webhooks: %w", err)
		if len(fresh) > 0 {
			w.log.Warn("a commit of webhooks reported an error but had taken effect; they are answered as stored",
				"events", len(fresh), "error", err)
		}
		if n := len(hooks) - len(fresh); n > 0 {
			w.log.Error("a commit of webhooks failed; they were answered 503 and will be redelivered", "events", n, "error", err)
		}
	}
	answered := make(map[string]bool, len(hooks))
	for _, o := range hooks {
		stored, ok := fresh[o.ev.id]
		if err != nil && !ok {
			o.done <- opResult{err: err}
			continue
		}
		dup := !stored || answered[o.ev.id]
		answered[o.ev.id] = true
		o.done <- opResult{duplicate: dup}
	}
}

// confirm reads which of the hooks' events the store holds: true for
// those stored by this delivery (its arrival time), false for those an
// earlier delivery stored; an event the store does not hold is absent. An
// error leaves the map empty: nothing is known to be stored.
func (w *writer) confirm(ctx context.Context, hooks []*op) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	ids := make([]any, 0, len(hooks))
	for _, o := range hooks {
		ids = append(ids, o.ev.id)
	}
	stored, err := receivedAt(ctx, w.b.reader(), ids)
	if err != nil {
		return nil, err
	}
	held := make(map[string]bool, len(stored))
	for _, o := range hooks {
		if at, ok := stored[o.ev.id]; ok {
			held[o.ev.id] = held[o.ev.id] || at == o.ev.receivedAt.UnixMicro()
		}
	}
	return held, nil
}

// receivedAt returns the arrival time (Unix microseconds) of each stored
// event among ids.
func receivedAt(ctx context.Context, q querier, ids []any) (map[string]int64, error) {
	marks := make([]string, len(ids))
	for i := range ids {
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	r, err := q.query(ctx, `SELECT id, received_at FROM organizer_events WHERE id IN (`+strings.Join(marks, ",")+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("reading which events are stored: %w", err)
	}
	defer r.Close()
	out := make(map[string]int64, len(ids))
	for r.Next() {
		var id string
		var at int64
		if err := r.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = at
	}
	return out, r.Err()
}
