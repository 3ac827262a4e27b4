package sweep

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/organizer-dev/organizer/adapters"
)

// Outcome is what became of one item when its plan was applied.
type Outcome struct {
	ContentID string
	Results   []adapters.Result
	Err       error // the first failure, if any
}

// rateLimitWaits is how often one item waits out a rate limit before its
// failure stands; maxWait caps one wait.
const (
	rateLimitWaits = 5
	maxWait        = time.Minute
)

// Apply applies each item's plan through client, at most workers at once,
// and calls done (from one goroutine at a time) after each item. A rate
// limit is waited out (the provider's Retry-After) and the item applied
// again: every action is idempotent. Items whose plan changes nothing are
// not applied. The outcomes are in the order of items.
func Apply(ctx context.Context, client adapters.Client, items []Decided, workers int, done func(Outcome)) []Outcome {
	outcomes := make([]Outcome, len(items))
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() {
			for i := range next {
				o := applyOne(ctx, client, items[i])
				outcomes[i] = o
				if done != nil {
					mu.Lock()
					done(o)
					mu.Unlock()
				}
			}
		})
	}
	for i, it := range items {
		if len(it.Changes) == 0 {
			outcomes[i] = Outcome{ContentID: it.Event.Content.ID}
			continue
		}
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	for i := range outcomes {
		if outcomes[i].ContentID == "" {
			outcomes[i] = Outcome{ContentID: items[i].Event.Content.ID, Err: fmt.Errorf("not applied: %w", ctx.Err())}
		}
	}
	return outcomes
}

func applyOne(ctx context.Context, client adapters.Client, it Decided) Outcome {
	id := it.Event.Content.ID
	actions := adapters.Actions(it.Decision.Plan)
	for wait := 0; ; wait++ {
		results := client.Apply(ctx, id, actions)
		err := firstFailure(results)
		var ce *adapters.CallError
		if err == nil || wait == rateLimitWaits || !errors.As(err, &ce) || ce.Kind != adapters.RateLimited {
			return Outcome{ContentID: id, Results: results, Err: err}
		}
		t := time.NewTimer(min(max(ce.RetryAfter, 100*time.Millisecond), maxWait))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Outcome{ContentID: id, Results: results, Err: err}
		}
	}
}

func firstFailure(results []adapters.Result) error {
	for _, r := range results {
		if r.Outcome == adapters.Failed {
			return fmt.Errorf("%s: %w", r.Action, r.Err)
		}
	}
	return nil
}
