package shift72

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/organizer-dev/organizer/adapters"
)

// bundleCache is a Client's bundle ids by normalised title, and a lock per
// bundle id that all of the Client's Apply calls share.
type bundleCache struct {
	reads singleflight.Group // one read of the bundle list at a time

	mu     sync.Mutex
	titles map[string][]int      // nil until the list is first read
	locks  map[int]chan struct{} // a one-slot semaphore per bundle id
}

func newBundleCache() *bundleCache {
	return &bundleCache{locks: map[int]chan struct{}{}}
}

// lookup returns the ids of the bundles with the normalised title, if the
// cache has any.
func (bc *bundleCache) lookup(key string) ([]int, bool) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	ids, ok := bc.titles[key]
	return ids, ok && len(ids) > 0
}

// replace sets the cache to a freshly read list.
func (bc *bundleCache) replace(titles map[string][]int) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	bc.titles = titles
}

// forget drops a bundle id that the platform no longer knows.
func (bc *bundleCache) forget(id int) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	for k, ids := range bc.titles {
		// A copy: lookup has handed ids out.
		kept := slices.DeleteFunc(slices.Clone(ids), func(x int) bool { return x == id })
		if len(kept) == 0 {
			delete(bc.titles, k)
		} else {
			bc.titles[k] = kept
		}
	}
}

// lock takes the bundle's lock, waiting no longer than ctx allows, and
// returns its release.
func (bc *bundleCache) lock(ctx context.Context, id int) (func(), error) {
	bc.mu.Lock()
	sem, ok := bc.locks[id]
	if !ok {
		sem = make(chan struct{}, 1)
		bc.locks[id] = sem
	}
	bc.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, adapters.Classify(nil, ctx.Err(), time.Now())
	}
}
