// Package ratelimit waits out a platform's 429 answers for the API clients'
// queries, so that a query paging through a catalog keeps its place instead
// of starting over.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/organizer-dev/organizer/adapters"
)

// The bounds of Do.
const (
	// Tries is how many times one call is made before its 429 is returned.
	Tries = 5
	// MaxWait is the longest Retry-After waited out; a platform asking for
	// more gets its 429 returned at once, for the caller to schedule.
	MaxWait = 2 * time.Minute
	// DefaultWait is the wait when a 429 names none.
	DefaultWait = time.Second
)

// Do makes call and, while it fails with a RateLimited *adapters.CallError,
// waits as long as the platform asked (DefaultWait when it did not say) and
// makes it again: at most Tries times, and never waiting more than MaxWait at
// once. It returns call's last error, or ctx's error when ctx ends during a
// wait.
func Do(ctx context.Context, call func() error) error {
	for try := 1; ; try++ {
		err := call()
		var ce *adapters.CallError
		if err == nil || !errors.As(err, &ce) || ce.Kind != adapters.RateLimited || try == Tries || ce.RetryAfter > MaxWait {
			return err
		}
		wait := ce.RetryAfter
		if wait <= 0 {
			wait = DefaultWait
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("waiting out a rate limit (%v): %w", wait, ctx.Err())
		}
	}
}
