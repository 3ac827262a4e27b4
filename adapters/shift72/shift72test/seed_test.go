package shift72test_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

func TestParseSeed(t *testing.T) {
	sd, err := shift72test.ParseSeed([]byte(`{
		"films": [{"id": 176, "title": "The Matrix", "genres": ["Sci-Fi"], "tags": ["classic"], "published": true,
		           "published_date": "2020-01-01T00:00:00Z", "custom": {"rating": 5}}],
		"bundles": [{"title": "Ready To Publish", "items": ["/film/176", "/tv/4/season/1"]},
		            {"title": "On Sale", "status": "published"}]}`))
	require.NoError(t, err)
	s := shift72test.NewServer()
	t.Cleanup(s.Close)
	s.Load(sd)
	f, ok := s.Film(176)
	require.True(t, ok)
	require.True(t, f.Published)
	require.Equal(t, []string{"classic"}, f.Tags)
	bundles := s.Bundles()
	require.Len(t, bundles, 2)
	require.Equal(t, shift72test.StatusDraft, bundles[0].Status, "draft by default")
	require.Equal(t, []string{"/film/176", "/tv/4/season/1"}, bundles[0].Items)
	require.Greater(t, bundles[0].ID, 176, "bundle ids come after the films'")

	for _, c := range []struct{ seed, want string }{
		{`{"films": [{"id": 1, "title": "x"}, {"id": "2", "title": "y"}]}`, `films[1].id: want a positive integer`},
		{`{"films": [{"id": 1, "title": "x"}, {"id": 1, "title": "y"}]}`, `films[1].id: 1 is also the id of films[0]`},
		{`{"films": [{"title": "x"}]}`, `films[0].id: required`},
		{`{"films": [{"id": 1}]}`, `films[0].title: required`},
		{`{"films": [{"id": 1, "title": "x", "published_date": "May 1"}]}`, `films[0].published_date: "May 1" is not an RFC 3339 time`},
		{`{"bundles": [{"title": "B", "items": ["/film/9"]}]}`, `bundles[0].items[0]: film 9 is not among films`},
		{`{"bundles": [{"title": "B", "items": ["film 9"]}]}`, `bundles[0].items[0]: "film 9" is not a slug`},
		{`{"bundles": [{"title": "B", "status": "live"}]}`, `bundles[0].status: want "draft" or "published"`},
		{`{"bundles": [{"title": "B", "owner": "me"}]}`, `bundles[0].owner: unknown field`},
		{`[]`, `the seed must be a JSON object`},
	} {
		_, err := shift72test.ParseSeed([]byte(c.seed))
		require.Error(t, err, c.seed)
		require.True(t, strings.Contains(err.Error(), c.want), "%s\ngot:  %v\nwant: %s", c.seed, err, c.want)
	}
}
