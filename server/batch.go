package server

import "context"

// batcher runs the pipeline's small writes (a decision, an outcome) in
// shared transactions, as the intake does for webhooks: on SQLite every
// commit is an fsync on the one writing connection, and hundreds of
// workers each committing alone would starve the intake.
type batcher struct {
	b      backend
	groups *grouper[*write]
}

type write struct {
	ctx  context.Context
	fn   func(ctx context.Context, q querier) error
	done chan error
}

func newBatcher(b backend, maxBatch int) *batcher {
	w := &batcher{b: b}
	w.groups = newGrouper(b.committers(), maxBatch, 0, w.commit)
	return w
}

// do runs fn in a transaction shared with other writes and returns once
// that transaction has committed (or fn's own error).
func (w *batcher) do(ctx context.Context, fn func(ctx context.Context, q querier) error) error {
	wr := &write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if err := w.groups.submit(ctx, wr); err != nil {
		return err
	}
	return <-wr.done
}

// close commits what was handed over and stops.
func (w *batcher) close() { w.groups.close() }

// commit runs the batch in one transaction; if that fails, each write is
// run alone, so one bad write does not fail the others.
func (w *batcher) commit(batch []*write) {
	ctx := context.Background()
	err := w.b.inTx(ctx, func(q querier, _ enqueueFunc) error {
		for _, wr := range batch {
			if err := wr.fn(wr.ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		for _, wr := range batch {
			wr.done <- err
		}
		return
	}
	for _, wr := range batch {
		wr.done <- w.b.inTx(ctx, func(q querier, _ enqueueFunc) error { return wr.fn(wr.ctx, q) })
	}
}
