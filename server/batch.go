package server

import (
	"context"
	"sync"
)

// batcher runs the pipeline's small writes (a decision, an outcome) in
// shared transactions, as the intake does for webhooks: on SQLite every
// commit is an fsync on the one writing connection, and hundreds of
// workers each committing alone would starve the intake.
type batcher struct {
	b    backend
	in   chan *write
	max  int
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

type write struct {
	ctx  context.Context
	fn   func(ctx context.Context, q querier) error
	done chan error
}

func newBatcher(b backend, maxBatch int) *batcher {
	w := &batcher{b: b, in: make(chan *write, maxBatch), max: maxBatch, stop: make(chan struct{})}
	for range b.committers() {
		w.wg.Add(1)
		go w.run()
	}
	return w
}

// do runs fn in a transaction shared with other writes and returns once
// that transaction has committed (or fn's own error).
func (w *batcher) do(ctx context.Context, fn func(ctx context.Context, q querier) error) error {
	wr := &write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case w.in <- wr:
	case <-w.stop:
		return errStopping
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-wr.done
}

// close commits what was handed over and stops.
func (w *batcher) close() {
	w.once.Do(func() { close(w.stop) })
	w.wg.Wait()
}

func (w *batcher) run() {
	defer w.wg.Done()
	for {
		select {
		case wr := <-w.in:
			w.commit(w.gather(wr))
		case <-w.stop:
			for {
				select {
				case wr := <-w.in:
					w.commit(w.gather(wr))
				default:
					return
				}
			}
		}
	}
}

func (w *batcher) gather(first *write) []*write {
	batch := []*write{first}
	for len(batch) < w.max {
		select {
		case wr := <-w.in:
			batch = append(batch, wr)
		default:
			return batch
		}
	}
	return batch
}

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
