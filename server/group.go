package server

import (
	"context"
	"sync"
	"time"
)

// grouper hands the items that arrive together to one commit call: what
// queued up while the previous commit ran, plus what arrives within the
// window, up to max. The writer groups webhooks and the pipeline's writes
// with it; each item's submitter waits for its own answer.
type grouper[T any] struct {
	in     chan T
	window time.Duration
	max    int
	commit func([]T)

	stopOnce sync.Once
	stop     chan struct{}
	wg       sync.WaitGroup
}

// newGrouper starts n goroutines committing groups of items.
func newGrouper[T any](n, max int, window time.Duration, commit func([]T)) *grouper[T] {
	g := &grouper[T]{in: make(chan T, 4*max), window: window, max: max, commit: commit, stop: make(chan struct{})}
	for range n {
		g.wg.Add(1)
		go g.run()
	}
	return g
}

// submit queues an item for the next commit.
func (g *grouper[T]) submit(ctx context.Context, item T) error {
	select {
	case g.in <- item:
		return nil
	case <-g.stop:
		return errStopping
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close commits what was queued and stops. Call it once no more items are
// submitted.
func (g *grouper[T]) close() {
	g.stopOnce.Do(func() { close(g.stop) })
	g.wg.Wait()
}

func (g *grouper[T]) run() {
	defer g.wg.Done()
	for {
		select {
		case item := <-g.in:
			g.commit(g.gather(item))
		case <-g.stop:
			for {
				select {
				case item := <-g.in:
					g.commit(g.gather(item))
				default:
					return
				}
			}
		}
	}
}

// gather collects the items already queued, then those arriving within the
// window, up to max.
func (g *grouper[T]) gather(first T) []T {
	group := []T{first}
	for len(group) < g.max {
		select {
		case item := <-g.in:
			group = append(group, item)
			continue
		default:
		}
		break
	}
	if g.window <= 0 || len(group) >= g.max {
		return group
	}
	timer := time.NewTimer(g.window)
	defer timer.Stop()
	for len(group) < g.max {
		select {
		case item := <-g.in:
			group = append(group, item)
		case <-timer.C:
			return group
		}
	}
	return group
}
