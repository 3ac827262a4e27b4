package shift72test_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

const admin = shift72test.AdminToken

func seedFilms(s *shift72test.Server) (published, draft int) {
	published = s.AddFilm(shift72test.Film{
		ID: 52, Title: "Deadpool", Tagline: "Wade", Overview: "A mercenary.",
		Genres: []string{"Action"}, Tags: []string{"marvel", "recommended"},
		Custom: map[string]any{"what_is_your_age": 12}, SEOKeywords: "deadpool",
		Published: true, PublishedDate: time.Date(2020, 6, 1, 0, 0, 0, 0, time.UTC),
	})
	draft = s.AddFilm(shift72test.Film{ID: 53, Title: "Unreleased"})
	return published, draft
}

func TestFilmShowMultiple(t *testing.T) {
	s := newServer(t)
	seedFilms(s)

	r := call(t, s, "GET", "/services/meta/v2/film/52,999,abc,53/show_multiple", "", "")
	require.Equal(t, http.StatusOK, r.status)
	films := decode[[]map[string]any](t, r.body)
	require.Len(t, films, 1, "unknown ids and the draft are left out, never a 404")
	f := films[0]
	require.Equal(t, 52.0, f["id"])
	require.Equal(t, 52.0, f["film_id"])
	require.Equal(t, "/film/52", f["slug"])
	require.Equal(t, "Deadpool", f["title"])
	require.Equal(t, "Wade", f["tagline"])
	require.Equal(t, "A mercenary.", f["overview"])
	require.Equal(t, []any{"Action"}, f["genres"])
	require.Equal(t, []any{"marvel", "recommended"}, f["tags"])
	require.Equal(t, map[string]any{"what_is_your_age": 12.0}, f["custom"])
	require.Equal(t, "deadpool", f["seo_keywords"])
	require.Contains(t, f["image_urls"], "portrait")

	r = call(t, s, "GET", "/services/meta/v2/film/53,52/show_multiple", admin, "")
	films = decode[[]map[string]any](t, r.body)
	require.Len(t, films, 2, "an admin also gets drafts")
	require.Equal(t, "/film/53", films[0]["slug"], "in the order asked")
	require.Equal(t, []any{}, films[0]["tags"], "no tags is [], not null")

	r = call(t, s, "GET", "/services/meta/v2/film/999/show_multiple", admin, "")
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, `[]`, string(r.body))
}

func TestFilmIndex(t *testing.T) {
	s := newServer(t)
	seedFilms(s)
	r := call(t, s, "GET", "/services/meta/v2/film/index", "", "")
	require.Equal(t, http.StatusOK, r.status)
	idx := decode[[]map[string]any](t, r.body)
	require.Len(t, idx, 1, "the public sees published films only")
	require.Equal(t, 2.0, idx[0]["status_id"])
	require.Equal(t, "2020-06-01T00:00:00Z", idx[0]["published_date"])

	idx = decode[[]map[string]any](t, call(t, s, "GET", "/services/meta/v2/film/index", admin, "").body)
	require.Len(t, idx, 2)
	require.Equal(t, "/film/53", idx[1]["slug"])
	require.Equal(t, 1.0, idx[1]["status_id"], "1 is draft")
	require.Nil(t, idx[1]["published_date"])
}

func seedSeasons(s *shift72test.Server) {
	s.AddSeason(shift72test.Season{
		ShowID: 139, Number: 1, ShowTitle: "Bluey", Genres: []string{"Kids"}, PublishingState: "complete",
		Episodes: []shift72test.Episode{{Number: 1, Title: "Magic Xylophone"}}, Published: true,
	})
	s.AddSeason(shift72test.Season{ShowID: 139, Number: 2, ShowTitle: "Bluey"})
	s.AddSeason(shift72test.Season{ShowID: 4, Number: 1, ShowTitle: "Draft show"})
}

func TestSeasonShowMultiple(t *testing.T) {
	s := newServer(t)
	seedSeasons(s)

	r := call(t, s, "GET", "/services/meta/v2/tv/season/show_multiple?items=/tv/139/season/1,/tv/139/season/2,/tv/9/season/9", "", "")
	require.Equal(t, http.StatusOK, r.status)
	got := decode[map[string][]map[string]any](t, r.body)
	require.Len(t, got["seasons"], 1, "wrapped in seasons; unknown slugs and drafts left out")
	se := got["seasons"][0]
	require.Equal(t, "/tv/139/season/1", se["slug"])
	require.Equal(t, 1.0, se["season_num"])
	require.Equal(t, "complete", se["publishing_state"])
	require.Equal(t, map[string]any{"title": "Bluey", "genres": []any{"Kids"}}, se["show_info"])
	eps := se["episodes"].([]any)
	require.Len(t, eps, 1)
	require.Equal(t, "/tv/139/season/1/episode/1", eps[0].(map[string]any)["slug"])

	got = decode[map[string][]map[string]any](t, call(t, s, "GET", "/services/meta/v2/tv/season/show_multiple?items=%2Ftv%2F139%2Fseason%2F2", admin, "").body)
	require.Len(t, got["seasons"], 1, "an admin gets drafts; the query may be escaped")
	require.Nil(t, got["seasons"][0]["publishing_state"])

	r = call(t, s, "GET", "/services/meta/v2/tv/season/show_multiple", "", "")
	require.JSONEq(t, `{"seasons":[]}`, string(r.body))
}

func TestTVIndex(t *testing.T) {
	s := newServer(t)
	seedSeasons(s)
	idx := decode[[]map[string]any](t, call(t, s, "GET", "/services/meta/v3/tv/index", "", "").body)
	require.Len(t, idx, 1)
	require.Equal(t, "/tv/139", idx[0]["slug"])
	require.Equal(t, 2.0, idx[0]["status_id"])
	require.Equal(t, []any{map[string]any{"slug": "/tv/139/season/1", "status_id": 2.0}}, idx[0]["seasons"])

	idx = decode[[]map[string]any](t, call(t, s, "GET", "/services/meta/v3/tv/index", admin, "").body)
	require.Len(t, idx, 2)
	require.Equal(t, "/tv/4", idx[0]["slug"])
	require.Equal(t, 1.0, idx[0]["status_id"])
	require.Len(t, idx[1]["seasons"], 2)
}

func TestBundleList(t *testing.T) {
	s := newServer(t)
	pub := s.AddBundle("Five for $5", shift72test.StatusPublished, "/tv/41/season/1", "/film/104")
	draft := s.AddBundle("Coming soon", shift72test.StatusDraft)

	r := call(t, s, "GET", "/services/meta/v1/bundles", "", "")
	require.Equal(t, http.StatusOK, r.status)
	list := decode[[]map[string]any](t, r.body)
	require.Len(t, list, 1, "the public sees published bundles only")
	require.Equal(t, float64(pub), list[0]["id"])
	require.Equal(t, []any{"/tv/41/season/1", "/film/104"}, list[0]["items"])
	require.NotContains(t, list[0], "status", "the public capture had no status")

	for _, token := range []string{"wrong", userToken} {
		require.Len(t, decode[[]map[string]any](t, call(t, s, "GET", "/services/meta/v1/bundles", token, "").body), 1, token)
	}

	list = decode[[]map[string]any](t, call(t, s, "GET", "/services/meta/v1/bundles", admin, "").body)
	require.Len(t, list, 2)
	require.Equal(t, "published", list[0]["status"])
	require.Equal(t, float64(draft), list[1]["id"])
	require.Equal(t, "draft", list[1]["status"])
	require.Equal(t, []any{}, list[1]["items"])
	require.Contains(t, list[1], "updated_at")
}

func TestBundleGet(t *testing.T) {
	s := newServer(t, shift72test.WithClock(fakeClock()))
	id := s.AddBundle("Draft", shift72test.StatusDraft, "/film/1", "/film/1")

	r := call(t, s, "GET", "/services/meta/v1/bundles/"+itoa(id), admin, "")
	require.Equal(t, http.StatusOK, r.status)
	b := decode[map[string]any](t, r.body)
	require.Equal(t, float64(id), b["id"])
	require.Equal(t, "Draft", b["title"])
	require.Equal(t, "draft", b["status"])
	require.Equal(t, []any{"/film/1", "/film/1"}, b["items"])
	require.Equal(t, "2026-01-02T03:04:06Z", b["created_at"])
	require.Equal(t, b["created_at"], b["updated_at"])

	for _, path := range []string{"/services/meta/v1/bundles/424242", "/services/meta/v1/bundles/abc"} {
		r := call(t, s, "GET", path, admin, "")
		require.Equal(t, http.StatusNotFound, r.status, path)
		require.JSONEq(t, notFoundBody, string(r.body), path)
	}
	for _, token := range []string{"", "wrong", userToken} {
		r := call(t, s, "GET", "/services/meta/v1/bundles/"+itoa(id), token, "")
		require.Equal(t, http.StatusUnauthorized, r.status, token)
		require.Empty(t, r.body)
	}
}

// TestBundlePutItemsReplaces: the body is the whole ordered list.
func TestBundlePutItemsReplaces(t *testing.T) {
	s := newServer(t, shift72test.WithClock(fakeClock()))
	id := s.AddBundle("B", shift72test.StatusPublished, "/film/1", "/film/2")
	before, _ := s.Bundle(id)
	path := "/services/meta/v1/bundles/" + itoa(id) + "/items"

	r := call(t, s, "PUT", path, admin, `["/film/3","/tv/4/season/1","/film/3"]`)
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, `["/film/3","/tv/4/season/1","/film/3"]`, string(r.body), "the stored array is echoed")
	after, _ := s.Bundle(id)
	require.Equal(t, []string{"/film/3", "/tv/4/season/1", "/film/3"}, after.Items, "replaced, order and duplicates kept")
	require.True(t, after.UpdatedAt.After(before.UpdatedAt), "updated_at is bumped")
	require.Equal(t, before.CreatedAt, after.CreatedAt)

	got := decode[map[string]any](t, call(t, s, "GET", "/services/meta/v1/bundles/"+itoa(id), admin, "").body)
	require.Equal(t, after.UpdatedAt.Format(time.RFC3339Nano), got["updated_at"])

	r = call(t, s, "PUT", path, admin, `[]`)
	require.Equal(t, http.StatusOK, r.status)
	require.JSONEq(t, `[]`, string(r.body))
	after, _ = s.Bundle(id)
	require.Empty(t, after.Items, "an empty array empties the bundle")
}

func TestBundlePutItemsErrors(t *testing.T) {
	s := newServer(t)
	id := s.AddBundle("B", shift72test.StatusPublished, "/film/1")
	path := "/services/meta/v1/bundles/" + itoa(id) + "/items"

	for _, body := range []string{``, `{`, `null`, `{"items":["/film/2"]}`, `"/film/2"`, `[1,2]`, `["/film/2"] ["/film/3"]`, `[null]`} {
		r := call(t, s, "PUT", path, admin, body)
		require.Equal(t, http.StatusBadRequest, r.status, body)
		require.NotEmpty(t, decode[map[string]string](t, r.body)["error"], body)
	}
	for _, p := range []string{"/services/meta/v1/bundles/999999/items", "/services/meta/v1/bundles/x/items"} {
		r := call(t, s, "PUT", p, admin, `["/film/2"]`)
		require.Equal(t, http.StatusNotFound, r.status, p)
		require.JSONEq(t, notFoundBody, string(r.body))
	}
	for _, token := range []string{"", "wrong", userToken} {
		r := call(t, s, "PUT", path, token, `["/film/2"]`)
		require.Equal(t, http.StatusUnauthorized, r.status, token)
		require.Empty(t, r.body)
	}
	b, _ := s.Bundle(id)
	require.Equal(t, []string{"/film/1"}, b.Items, "no failed PUT changed the bundle")
}

func TestFeatured(t *testing.T) {
	s := newServer(t)
	id := s.AddCollection(shift72test.Collection{ID: 118, Title: "Action", TitleSlug: "action", DisplayName: "All Action",
		Items: []string{"/film/104", "/bundle/5", "/film/104", "/page/3"}})
	s.AddCollection(shift72test.Collection{Title: "Drama"})

	list := decode[[]map[string]any](t, call(t, s, "GET", "/services/meta/v4/featured", "", "").body)
	require.Len(t, list, 2)
	require.Equal(t, 118.0, list[0]["id"])
	require.Equal(t, "All Action", list[0]["display_name"])

	r := call(t, s, "GET", "/services/meta/v4/featured/"+itoa(id), "", "")
	require.Equal(t, http.StatusOK, r.status)
	c := decode[map[string]any](t, r.body)
	require.Equal(t, []any{"/film/104", "/bundle/5", "/film/104", "/page/3"}, c["items"])
	require.Equal(t, "action", c["title_slug"])

	for _, p := range []string{"/services/meta/v4/featured/1", "/services/meta/v4/featured/action"} {
		r := call(t, s, "GET", p, "", "")
		require.Equal(t, http.StatusNotFound, r.status, p)
		require.JSONEq(t, notFoundBody, string(r.body))
	}
}

// TestAccessorsReturnCopies: tests cannot change the state by accident.
func TestAccessorsReturnCopies(t *testing.T) {
	s := newServer(t)
	items := []string{"/film/1"}
	id := s.AddBundle("B", shift72test.StatusPublished, items...)
	items[0] = "/film/changed"
	b, ok := s.Bundle(id)
	require.True(t, ok)
	b.Items[0] = "/film/also-changed"
	b, _ = s.Bundle(id)
	require.Equal(t, []string{"/film/1"}, b.Items)
	_, ok = s.Bundle(id + 1000)
	require.False(t, ok)

	fid := s.AddFilm(shift72test.Film{Title: "T", Tags: []string{"a"}})
	f, ok := s.Film(fid)
	require.True(t, ok)
	f.Tags[0] = "b"
	f, _ = s.Film(fid)
	require.Equal(t, []string{"a"}, f.Tags)
	require.Equal(t, "/film/"+itoa(fid), f.Slug())
	require.Len(t, s.Bundles(), 1)
}
