package shift72test_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

func TestGeoBlock(t *testing.T) {
	s := newServer(t)
	s.AddFilm(shift72test.Film{ID: 92, Title: "F"})
	s.AddSeason(shift72test.Season{ShowID: 4, Number: 1})
	s.SetGeoRules("tvod", "/film/92", shift72test.GeoRule{Rule: "allow", GeoRegion: "us"}, shift72test.GeoRule{Rule: "allow", GeoRegion: "ca"})

	r := call(t, s, "GET", "/services/pricing/v2/geo_block/tvod/film/92", admin, "")
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, `{"rules":[{"rule":"allow","geo_region":"us"},{"rule":"allow","geo_region":"ca"}]}`, string(r.body))

	for _, p := range []string{"/services/pricing/v2/geo_block/svod/film/92", "/services/pricing/v2/geo_block/tvod/tv/4/season/1", "/services/pricing/v2/geo_block/tvod/tv/4"} {
		r := call(t, s, "GET", p, admin, "")
		require.Equal(t, http.StatusOK, r.status, p)
		require.JSONEq(t, `{"rules":[]}`, string(r.body), "%s: no rules is an empty list", p)
	}

	body := `{"rules":[{"rule":"block","geo_region":"nz"},{"rule":"block","geo_region":"au"}]}`
	r = call(t, s, "PUT", "/services/pricing/v2/geo_block/tvod/tv/4/season/1", admin, body)
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, body, string(r.body))
	require.Equal(t, []shift72test.GeoRule{{Rule: "block", GeoRegion: "nz"}, {Rule: "block", GeoRegion: "au"}}, s.GeoRules("tvod", "/tv/4/season/1"))
	require.Empty(t, s.GeoRules("svod", "/tv/4/season/1"), "rules are per platform")

	r = call(t, s, "PUT", "/services/pricing/v2/geo_block/tvod/film/92", admin, `{"rules":[]}`)
	require.Equal(t, http.StatusOK, r.status)
	require.Empty(t, s.GeoRules("tvod", "/film/92"), "an empty list clears the rules")
}

func TestGeoBlockErrors(t *testing.T) {
	s := newServer(t)
	s.AddFilm(shift72test.Film{ID: 92})
	path := "/services/pricing/v2/geo_block/tvod/film/92"
	for _, body := range []string{
		``, `[]`, `{}`, `{"rules":null}`, `{"rules":[{"rule":"deny","geo_region":"us"}]}`,
		`{"rules":[{"rule":"allow","geo_region":"US"}]}`, `{"rules":[{"rule":"allow","geo_region":"usa"}]}`,
		`{"rules":[{"rule":"allow"}]}`, `{"rules":[],"extra":1}`, `{"rules":[]}{}`,
	} {
		r := call(t, s, "PUT", path, admin, body)
		require.Equal(t, http.StatusBadRequest, r.status, body)
		require.NotEmpty(t, decode[map[string]string](t, r.body)["error"], body)
	}
	for _, p := range []string{
		"/services/pricing/v2/geo_block/tvod/film/93",          // unknown film
		"/services/pricing/v2/geo_block/tvod/tv/4/season/1",    // unknown season
		"/services/pricing/v2/geo_block/ppv/film/92",           // unknown platform
		"/services/pricing/v2/geo_block/tvod/film/abc",         // malformed
		"/services/pricing/v2/geo_block/tvod//film/92",         // malformed
		"/services/pricing/v2/geo_block/tvod/bundle/92",        // not an item with prices
		"/services/pricing/v2/geo_block/tvod/film/92/season/1", // malformed
	} {
		for _, m := range []string{"GET", "PUT"} {
			r := call(t, s, m, p, admin, `{"rules":[]}`)
			require.Equal(t, http.StatusNotFound, r.status, "%s %s", m, p)
			require.JSONEq(t, notFoundBody, string(r.body))
		}
	}
	for _, token := range []string{"", "wrong", userToken} {
		for _, m := range []string{"GET", "PUT"} {
			r := call(t, s, m, path, token, `{"rules":[]}`)
			require.Equal(t, http.StatusUnauthorized, r.status, "%s %q", m, token)
			require.Empty(t, r.body)
		}
	}
}

func TestAvailabilities(t *testing.T) {
	s := newServer(t)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.SetAvailability(shift72test.Availability{Slug: "/film/1", From: from, To: from.AddDate(0, 1, 0)})
	s.SetAvailability(shift72test.Availability{Slug: "/tv/4/season/1", From: from})

	r := call(t, s, "GET", "/services/content/v1/availabilities?items=/tv/4/season/1,/film/9,/film/1", "", "")
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, `[
		{"slug":"/tv/4/season/1","from":"2026-01-01T00:00:00Z","to":null},
		{"slug":"/film/1","from":"2026-01-01T00:00:00Z","to":"2026-02-01T00:00:00Z"}]`, string(r.body))

	r = call(t, s, "GET", "/services/content/v1/availabilities", "", "")
	require.JSONEq(t, `[]`, string(r.body))
}

func TestWithPlatforms(t *testing.T) {
	s := newServer(t, shift72test.WithPlatforms("avod"))
	s.AddFilm(shift72test.Film{ID: 1})
	require.Equal(t, http.StatusOK, call(t, s, "GET", "/services/pricing/v2/geo_block/avod/film/1", admin, "").status)
	require.Equal(t, http.StatusNotFound, call(t, s, "GET", "/services/pricing/v2/geo_block/tvod/film/1", admin, "").status)
}
