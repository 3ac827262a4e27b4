package shift72_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/adapterstest"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

const showMultiple = "/services/meta/v2/film/"

func TestQueryConformance(t *testing.T) {
	adapterstest.ExerciseQuery(t, func(t *testing.T) adapterstest.QueryHarness {
		s := newSim(t)
		ids := make([]string, 250)
		for i := range ids {
			id := s.AddFilm(shift72test.Film{ID: 1000 + i, Title: fmt.Sprint("Film ", i), Published: i%2 == 0})
			ids[i] = fmt.Sprint("/film/", id)
		}
		return adapterstest.QueryHarness{
			New: func(size int, badToken bool) adapters.Querier {
				token := shift72test.AdminToken
				if badToken {
					token = "wrong"
				}
				return shift72.NewClient(s.URL(), token, adapters.WithPageSize(size))
			},
			Source: shift72.SourceCatalog,
			IDs:    ids,
			FailNextPage: func(status int, retryAfter time.Duration) {
				f := shift72test.ServerError(status)
				if status == http.StatusTooManyRequests {
					f = shift72test.RateLimit(int(retryAfter / time.Second))
				}
				s.InjectFault(f.For(http.MethodGet, showMultiple))
			},
			Requests: func() int { return len(s.Requests()) },
		}
	})
}

// The catalog is every film, drafts included, then every TV season, each
// with the content Fetch gives its slug and its index row as data.
func TestQueryCatalogFilmsAndSeasons(t *testing.T) {
	s := newSim(t)
	s.AddFilm(shift72test.Film{ID: 176, Title: "The Matrix", Tags: []string{"classic"}, Genres: []string{"Sci-Fi"}, Published: true})
	s.AddFilm(shift72test.Film{ID: 177, Title: "Draft film"})
	s.AddSeason(shift72test.Season{ShowID: 4, Number: 1, ShowTitle: "Show", Genres: []string{"Drama"}, Published: true})
	s.AddSeason(shift72test.Season{ShowID: 4, Number: 2, ShowTitle: "Show"})
	c := newClient(s)

	var items []adapters.Item
	require.NoError(t, c.Query(context.Background(), shift72.SourceCatalog, nil, func(page []adapters.Item) error {
		items = append(items, page...)
		return nil
	}))
	var got []string
	for _, it := range items {
		got = append(got, it.Content.ID)
	}
	require.Equal(t, []string{"/film/176", "/film/177", "/tv/4/season/1", "/tv/4/season/2"}, got)

	for _, it := range items {
		fetched, err := c.Fetch(context.Background(), it.Content.ID)
		require.NoError(t, err)
		require.Equal(t, fetched, it.Content, "the content of %s is what Fetch gives", it.Content.ID)
	}
	require.Equal(t, "The Matrix", items[0].Content.Title)
	require.Equal(t, []string{"classic"}, items[0].Content.Tags)
	require.EqualValues(t, 2, items[0].Row["status_id"], "a published film's index row")
	require.EqualValues(t, 1, items[1].Row["status_id"], "a draft's index row")
	require.Equal(t, "Show Season 2", items[3].Content.Title)
	require.EqualValues(t, 1, items[3].Row["status_id"])
}

// A failing index fails the whole query, before any page: a catalog
// without its TV seasons would look complete.
func TestQueryCatalogIndexFailure(t *testing.T) {
	s := newSim(t)
	addFilms(s, 1, 2, 3)
	s.InjectFault(shift72test.ServerError(http.StatusServiceUnavailable).For(http.MethodGet, "/services/meta/v3/tv/index"))
	pages := 0
	err := newClient(s).Query(context.Background(), shift72.SourceCatalog, nil, func([]adapters.Item) error { pages++; return nil })
	require.Equal(t, adapters.Transient, callError(t, err).Kind)
	require.Contains(t, err.Error(), "/services/meta/v3/tv/index")
	require.Zero(t, pages)
}

func TestQueryCatalogTakesNoParams(t *testing.T) {
	s := newSim(t)
	err := newClient(s).Query(context.Background(), shift72.SourceCatalog, map[string]string{"created_before": "2026-01-01T00:00:00Z"},
		func([]adapters.Item) error { return nil })
	require.ErrorIs(t, err, adapters.ErrBadQuery)
	require.Contains(t, err.Error(), "takes no params")
	require.Empty(t, s.Requests())
}
