package vaultstream_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/adapterstest"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
	"github.com/organizer-dev/organizer/engine"
)

var epoch = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func TestQueryConformance(t *testing.T) {
	adapterstest.ExerciseQuery(t, func(t *testing.T) adapterstest.QueryHarness {
		s := newSim(t)
		ids := make([]string, 250)
		for i := range ids {
			// Created in the reverse order of their ids: the catalog is by
			// creation time, not by id.
			ids[i] = fmt.Sprintf("c_%03d", 999-i)
			s.AddContent(vaultstreamtest.Content{ID: ids[i], Title: "Item " + ids[i], CreatedAt: epoch.Add(time.Duration(i) * time.Hour)})
		}
		return adapterstest.QueryHarness{
			New: func(size int, badToken bool) adapters.Querier {
				if badToken {
					return vaultstream.NewClient(s.URL(), "wrong", adapters.WithPageSize(size))
				}
				return newClient(s, adapters.WithPageSize(size))
			},
			Source: vaultstream.SourceCatalog,
			IDs:    ids,
			FailNextPage: func(status int, retryAfter time.Duration) {
				require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "GET /content", Status: status, RetryAfter: retryAfter}))
			},
			Requests: func() int { return len(s.Requests()) },
		}
	})
}

// query collects every item of a query.
func query(t *testing.T, c adapters.Querier, source string, params map[string]string) ([]adapters.Item, int) {
	t.Helper()
	var items []adapters.Item
	pages := 0
	require.NoError(t, c.Query(context.Background(), source, params, func(page []adapters.Item) error {
		pages++
		items = append(items, page...)
		return nil
	}))
	return items, pages
}

func ids(items []adapters.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Content.ID
	}
	return out
}

// The usage report lists the items last watched before the cutoff, least
// recently first, each with its whole content (folder by name, tags,
// visibility, metadata) and its usage row as data.
func TestQueryContentUsage(t *testing.T) {
	for _, expand := range []bool{true, false} {
		t.Run(fmt.Sprintf("expand=%v", expand), func(t *testing.T) {
			var opts []vaultstreamtest.Option
			if !expand {
				opts = append(opts, vaultstreamtest.WithoutExpand())
			}
			s := vaultstreamtest.NewServer(append(opts, vaultstreamtest.WithToken(secretToken))...)
			t.Cleanup(s.Close)
			folder := s.AddFolder("Training")
			day := func(d int) time.Time { return epoch.AddDate(0, 0, d) }
			for i := range 7 {
				s.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("c_%d", i), Title: fmt.Sprintf("Video %d", i),
					Metadata: map[string]any{"department": "HR"}, FolderID: folder, Visibility: "team",
					Tags: []string{"training"}, CreatedAt: day(0), LastAccessed: day(10 - i)})
			}
			s.AddContent(vaultstreamtest.Content{ID: "c_recent", Title: "Recent", CreatedAt: day(0), LastAccessed: day(100)})
			c := newClient(s, adapters.WithPageSize(3))

			items, pages := query(t, c, vaultstream.SourceContentUsage,
				map[string]string{"last_accessed_before": day(50).Format(time.RFC3339)})
			require.Equal(t, []string{"c_6", "c_5", "c_4", "c_3", "c_2", "c_1", "c_0"}, ids(items), "least recently watched first; c_recent is after the cutoff")
			require.Equal(t, 3, pages, "7 items in pages of 3")
			require.Equal(t, engine.Content{ID: "c_6", Title: "Video 6", Metadata: map[string]any{"department": "HR"},
				Folder: "Training", Tags: []string{"training"}, Visibility: "team"}, items[0].Content)
			require.Equal(t, map[string]any{"content_id": "c_6", "title": "Video 6", "last_accessed": day(4).Format(time.RFC3339)},
				items[0].Row, "the row is the usage row, expanded or not")

			reads := 0
			for _, r := range s.Requests() {
				if strings.HasPrefix(r.Path, "/content/") {
					reads++
				}
			}
			if expand {
				require.Zero(t, reads, "expanded rows need no read of each item")
			} else {
				require.Equal(t, 7, reads, "each row without its item is completed with GET /content/{id}")
			}
		})
	}
}

// An item deleted between the usage report and its read is left out.
func TestQueryContentUsageSkipsDeleted(t *testing.T) {
	s := vaultstreamtest.NewServer(vaultstreamtest.WithoutExpand(), vaultstreamtest.WithToken(secretToken))
	t.Cleanup(s.Close)
	for i := range 3 {
		s.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("c_%d", i), Title: "x", CreatedAt: epoch.Add(time.Duration(i) * time.Hour)})
	}
	require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "GET /content/c_1", Status: 404}))
	items, _ := query(t, newClient(s), vaultstream.SourceContentUsage, nil)
	require.Equal(t, []string{"c_0", "c_2"}, ids(items))
}

func TestQueryCatalogFilters(t *testing.T) {
	s := newSim(t)
	for i := range 10 {
		s.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("c_%d", i), Title: "x", CreatedAt: epoch.AddDate(0, 0, i)})
	}
	at := func(d int) string { return epoch.AddDate(0, 0, d).Format(time.RFC3339) }
	items, _ := query(t, newClient(s, adapters.WithPageSize(2)), vaultstream.SourceCatalog,
		map[string]string{"created_after": at(2), "created_before": at(7)})
	require.Equal(t, []string{"c_3", "c_4", "c_5", "c_6"}, ids(items), "both bounds exclusive")
	require.Equal(t, "c_3", items[0].Row["id"], "the row is the item as the API returns it")
	require.Contains(t, items[0].Row, "created_at")
}

// A param value of the wrong form is refused with a clear error, without a
// call.
func TestQueryBadParamValue(t *testing.T) {
	s := newSim(t)
	err := newClient(s).Query(context.Background(), vaultstream.SourceContentUsage,
		map[string]string{"last_accessed_before": "90 days ago"}, func([]adapters.Item) error { return nil })
	require.ErrorIs(t, err, adapters.ErrBadQuery)
	require.Contains(t, err.Error(), `last_accessed_before must be an RFC 3339 time`)
	require.Contains(t, err.Error(), `"90 days ago"`)
	require.Empty(t, s.Requests())
}

// A 429 on every try is returned as rate-limited after a bounded number of
// tries, for the caller to schedule.
func TestQueryRateLimitedTooLong(t *testing.T) {
	s := newSim(t)
	s.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "x"})
	require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "GET /content", Status: 429, RetryAfter: time.Hour, Times: vaultstreamtest.Forever}))
	start := time.Now()
	err := newClient(s).Query(context.Background(), vaultstream.SourceCatalog, nil, func([]adapters.Item) error { return nil })
	var ce *adapters.CallError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, adapters.RateLimited, ce.Kind)
	require.Equal(t, time.Hour, ce.RetryAfter, "the caller learns how long the platform asked to wait")
	require.Less(t, time.Since(start), 5*time.Second, "an hour's Retry-After is not waited out inside Query")
	require.Contains(t, err.Error(), "query catalog, page 1")
}
