package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// errStopping answers webhooks that arrive while the service shuts down.
var errStopping = errors.New("the service is shutting down")

// intake commits webhooks to the store in groups: the requests that arrive
// while a commit is under way, or within the commit window, share the next
// transaction. Each request is answered only after the commit that holds
// it, so a 2xx always means the event is durable; one fsync serves many
// requests, which is what lifts durable intake far above one commit per
// request.
type intake struct {
	st     store
	log    *slog.Logger
	batch  func(n int) // observes each batch's size
	groups *grouper[*pending]
}

// pending is one webhook waiting for its commit.
type pending struct {
	ev   *newEvent
	done chan intakeResult
}

type intakeResult struct {
	duplicate bool
	err       error
}

func newIntake(st store, window time.Duration, maxBatch int, log *slog.Logger, batch func(int)) *intake {
	in := &intake{st: st, log: log, batch: batch}
	in.groups = newGrouper(st.b.committers(), maxBatch, window, in.commit)
	return in
}

// submit stores one webhook and waits for its commit.
func (in *intake) submit(ctx context.Context, ev *newEvent) (duplicate bool, err error) {
	p := &pending{ev: ev, done: make(chan intakeResult, 1)}
	if err := in.groups.submit(ctx, p); err != nil {
		return false, err
	}
	// Once handed over, the request waits for its commit whatever happens
	// to the client: its answer must say what the store holds.
	r := <-p.done
	return r.duplicate, r.err
}

// close commits what was handed over and stops the committers.
func (in *intake) close() { in.groups.close() }

// commit stores a batch in one transaction with the jobs of its new,
// processable events, then answers every request in it.
func (in *intake) commit(batch []*pending) {
	if in.batch != nil {
		in.batch(len(batch))
	}
	evs := make([]*newEvent, 0, len(batch))
	seen := make(map[string]bool, len(batch))
	for _, p := range batch {
		if !seen[p.ev.id] {
			seen[p.ev.id] = true
			evs = append(evs, p.ev)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var fresh map[string]bool
	err := in.st.b.inTx(ctx, func(q querier, enqueue enqueueFunc) error {
		var err error
		if fresh, err = in.st.insertEvents(ctx, q, evs); err != nil {
			return err
		}
		var ids []string
		for _, e := range evs {
			if fresh[e.id] && e.status == Queued {
				ids = append(ids, e.id)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		return enqueue(ctx, []river.InsertManyParams{{Args: batchArgs{EventIDs: ids}}})
	})
	if err != nil {
		err = fmt.Errorf("storing webhooks: %w", err)
		in.log.Error("intake commit failed; the webhooks were answered 503 and will be redelivered", "events", len(batch), "error", err)
	}
	answered := make(map[string]bool, len(batch))
	for _, p := range batch {
		if err != nil {
			p.done <- intakeResult{err: err}
			continue
		}
		// The first request of an id in the batch is the one that stored it.
		dup := !fresh[p.ev.id] || answered[p.ev.id]
		answered[p.ev.id] = true
		p.done <- intakeResult{duplicate: dup}
	}
}
