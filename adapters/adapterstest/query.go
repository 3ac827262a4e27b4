package adapterstest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
)

// QueryHarness is one provider's Querier pointed at its simulator, seeded
// for ExerciseQuery. Setup builds a fresh one for each check.
type QueryHarness struct {
	// New returns a Querier of the simulator that asks for pageSize items a
	// page, with the right token or, when badToken, a wrong one.
	New func(pageSize int, badToken bool) adapters.Querier
	// Source is a source that lists every seeded item with no params.
	Source string
	// IDs are the seeded items' content ids, in the order Source lists
	// them: 250 of them, so that pages of 100 make three pages.
	IDs []string
	// FailNextPage makes the simulator answer the next request for a page
	// of items with status (and, for a 429, a Retry-After of retryAfter)
	// instead of the page, once.
	FailNextPage func(status int, retryAfter time.Duration)
	// Requests is how many requests the simulator has received so far.
	Requests func() int
}

// ExerciseQuery runs the Querier conformance checks: paging through every
// item once and in order, a 5xx mid-paging returned, a 429 mid-paging
// waited out, a wrong token refused, a bad query refused before any call,
// each's error returned, and a cancelled wait.
func ExerciseQuery(t *testing.T, setup func(t *testing.T) QueryHarness) {
	ctx := context.Background()
	collect := func(q adapters.Querier, source string, params map[string]string, each func(n int) error) ([][]string, error) {
		var pages [][]string
		err := q.Query(ctx, source, params, func(page []adapters.Item) error {
			ids := make([]string, len(page))
			for i, it := range page {
				ids[i] = it.Content.ID
				require.NotNil(t, it.Row, "item %s has no row", it.Content.ID)
				require.NotNil(t, it.Content.Metadata, "item %s has no metadata", it.Content.ID)
			}
			pages = append(pages, ids)
			if each != nil {
				return each(len(pages))
			}
			return nil
		})
		return pages, err
	}
	flat := func(pages [][]string) []string {
		var out []string
		for _, p := range pages {
			out = append(out, p...)
		}
		return out
	}

	t.Run("every item once, in order, a page at a time", func(t *testing.T) {
		h := setup(t)
		require.Len(t, h.IDs, 250, "the harness seeds 250 items")
		pages, err := collect(h.New(100, false), h.Source, nil, nil)
		require.NoError(t, err)
		require.Len(t, pages, 3, "250 items in pages of 100")
		require.Len(t, pages[0], 100)
		require.Len(t, pages[1], 100)
		require.Len(t, pages[2], 50)
		require.Equal(t, h.IDs, flat(pages))

		pages, err = collect(h.New(1000, false), h.Source, nil, nil)
		require.NoError(t, err)
		require.Equal(t, h.IDs, flat(pages), "a larger page size sees the same items")
	})

	t.Run("a 5xx mid-paging stops the query with a transient failure", func(t *testing.T) {
		h := setup(t)
		pages, err := collect(h.New(100, false), h.Source, nil, func(n int) error {
			if n == 1 {
				h.FailNextPage(503, 0)
			}
			return nil
		})
		require.Error(t, err)
		requireKind(t, err, adapters.Transient)
		require.Len(t, pages, 1, "no page after the failure")
		require.Equal(t, h.IDs[:100], pages[0])
	})

	t.Run("a 429 mid-paging is waited out and the query keeps its place", func(t *testing.T) {
		h := setup(t)
		start := time.Now()
		pages, err := collect(h.New(100, false), h.Source, nil, func(n int) error {
			if n == 1 {
				h.FailNextPage(429, time.Second)
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, h.IDs, flat(pages), "every item once, in order, after the wait")
		require.GreaterOrEqual(t, time.Since(start), time.Second, "Retry-After was honoured")
	})

	t.Run("a cancelled context ends the wait for a 429", func(t *testing.T) {
		h := setup(t)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		start := time.Now()
		err := h.New(100, false).Query(cctx, h.Source, nil, func([]adapters.Item) error {
			h.FailNextPage(429, 30*time.Second)
			time.AfterFunc(100*time.Millisecond, cancel)
			return nil
		})
		require.ErrorIs(t, err, context.Canceled)
		require.Less(t, time.Since(start), 10*time.Second, "the query did not wait for the 30 s Retry-After")
	})

	t.Run("a wrong token is a permanent 401, before any page", func(t *testing.T) {
		h := setup(t)
		pages, err := collect(h.New(100, true), h.Source, nil, nil)
		requireKind(t, err, adapters.Permanent)
		var ce *adapters.CallError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, 401, ce.Status)
		require.Empty(t, pages)
	})

	t.Run("a bad query is refused before any call", func(t *testing.T) {
		h := setup(t)
		before := h.Requests()
		q := h.New(100, false)
		_, err := collect(q, "no-such-source", nil, nil)
		require.ErrorIs(t, err, adapters.ErrBadQuery)
		require.Contains(t, err.Error(), `"no-such-source"`)
		require.Contains(t, err.Error(), h.Source, "the error names the known sources")
		_, err = collect(q, h.Source, map[string]string{"no_such_param": "1"}, nil)
		require.ErrorIs(t, err, adapters.ErrBadQuery)
		require.Contains(t, err.Error(), `"no_such_param"`)
		require.Equal(t, before, h.Requests(), "a bad query made a call")
	})

	t.Run("an error from each stops the query and is returned", func(t *testing.T) {
		h := setup(t)
		stop := errors.New("stop here")
		pages, err := collect(h.New(100, false), h.Source, nil, func(int) error { return stop })
		require.ErrorIs(t, err, stop)
		require.Len(t, pages, 1)
	})
}
