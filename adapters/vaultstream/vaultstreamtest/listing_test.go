package vaultstreamtest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// pageIDs follows next_cursor through a listing and returns the ids of
// each page.
func pageIDs(t *testing.T, s *vaultstreamtest.Server, path string, q url.Values, idField string) [][]string {
	t.Helper()
	var pages [][]string
	for range 100 {
		a := call(t, s, http.MethodGet, path+"?"+q.Encode(), nil)
		require.Equal(t, http.StatusOK, a.status, a.raw)
		var ids []string
		for _, it := range a.body["items"].([]any) {
			ids = append(ids, it.(map[string]any)[idField].(string))
		}
		pages = append(pages, ids)
		next, _ := a.body["next_cursor"].(string)
		if next == "" {
			return pages
		}
		q.Set("cursor", next)
	}
	t.Fatal("the listing never ended")
	return nil
}

func TestListContentPages(t *testing.T) {
	s := vaultstreamtest.NewServer()
	t.Cleanup(s.Close)
	var want []string
	for i := range 250 {
		id := fmt.Sprintf("c_%03d", 250-i) // ids in the reverse order of creation
		s.AddContent(vaultstreamtest.Content{ID: id, Title: "x", CreatedAt: created.Add(time.Duration(i) * time.Minute)})
		want = append(want, id)
	}
	pages := pageIDs(t, s, "/content", url.Values{"limit": {"100"}}, "id")
	require.Len(t, pages, 3)
	require.Len(t, pages[2], 50)
	require.Equal(t, want, append(append(pages[0], pages[1]...), pages[2]...), "every item once, oldest first")

	// An item added before the cursor's position during paging shifts no page.
	q := url.Values{"limit": {"100"}}
	first := call(t, s, http.MethodGet, "/content?"+q.Encode(), nil)
	s.AddContent(vaultstreamtest.Content{ID: "c_early", Title: "x", CreatedAt: created.Add(-time.Hour)})
	q.Set("cursor", first.body["next_cursor"].(string))
	second := call(t, s, http.MethodGet, "/content?"+q.Encode(), nil)
	require.Equal(t, want[100], second.body["items"].([]any)[0].(map[string]any)["id"])

	q = url.Values{"created_after": {created.Add(9 * time.Minute).Format(time.RFC3339)},
		"created_before": {created.Add(12 * time.Minute).Format(time.RFC3339)}}
	require.Equal(t, [][]string{{want[10], want[11]}}, pageIDs(t, s, "/content", q, "id"), "both bounds are exclusive")

	a := call(t, s, http.MethodGet, "/content?limit=1", nil)
	item := a.body["items"].([]any)[0].(map[string]any)
	for _, field := range []string{"id", "title", "metadata", "folder_id", "visibility", "tags", "permissions", "created_at"} {
		require.Contains(t, item, field, "a catalog row is the item as GET /content/{id} has it")
	}
}

func TestContentUsagePagesAndExpands(t *testing.T) {
	s := vaultstreamtest.NewServer()
	t.Cleanup(s.Close)
	folder := s.AddFolder("Archive")
	for i := range 5 {
		s.AddContent(vaultstreamtest.Content{ID: fmt.Sprintf("c_%d", i), Title: "x", FolderID: folder,
			CreatedAt: created, LastAccessed: created.Add(time.Duration(5-i) * time.Hour)})
	}
	pages := pageIDs(t, s, "/analytics/content-usage", url.Values{"limit": {"2"}}, "content_id")
	require.Equal(t, [][]string{{"c_4", "c_3"}, {"c_2", "c_1"}, {"c_0"}}, pages, "least recently watched first")

	a := call(t, s, http.MethodGet, "/analytics/content-usage?limit=1&expand=content", nil)
	row := a.body["items"].([]any)[0].(map[string]any)
	content := row["content"].(map[string]any)
	require.Equal(t, "c_4", content["id"])
	require.Equal(t, folder, content["folder_id"])

	plain := vaultstreamtest.NewServer(vaultstreamtest.WithoutExpand())
	t.Cleanup(plain.Close)
	plain.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "x"})
	a = call(t, plain, http.MethodGet, "/analytics/content-usage?expand=content", nil)
	require.NotContains(t, a.body["items"].([]any)[0], "content", "WithoutExpand answers the documented row only")
}

func TestListingErrors(t *testing.T) {
	s := vaultstreamtest.NewServer()
	t.Cleanup(s.Close)
	for i := range 3 {
		s.AddContent(vaultstreamtest.Content{Title: "x", CreatedAt: created.Add(time.Duration(i) * time.Minute)})
	}
	usage := call(t, s, http.MethodGet, "/analytics/content-usage?limit=1", nil).body["next_cursor"].(string)
	for _, c := range []struct{ path, mention string }{
		{"/content?cursor=garbage", "cursor"},
		{"/content?cursor=" + usage, "cursor"}, // a cursor of another listing
		{"/content?limit=1001", "limit"},
		{"/content?limit=0", "limit"},
		{"/content?created_before=yesterday", "created_before"},
		{"/content?created_after=2026-01-01", "created_after"},
		{"/content?last_accessed_before=2026-01-01T00:00:00Z", "last_accessed_before"},
		{"/analytics/content-usage?created_after=2026-01-01T00:00:00Z", "created_after"},
		{"/analytics/content-usage?expand=everything", "expand"},
	} {
		a := call(t, s, http.MethodGet, c.path, nil)
		require.Equal(t, http.StatusBadRequest, a.status, c.path)
		require.Equal(t, "invalid_request", a.code(), c.path)
		require.Contains(t, a.message(), c.mention, c.path)
	}
	a := callAs(t, s, "Bearer wrong", http.MethodGet, s.URL()+"/content", nil)
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.Equal(t, "unauthorized", a.code())

	// A fault mid-paging answers as every route does, and changes nothing:
	// the same cursor gives the page afterwards.
	q := url.Values{"limit": {"1"}}
	q.Set("cursor", call(t, s, http.MethodGet, "/content?"+q.Encode(), nil).body["next_cursor"].(string))
	require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "GET /content", Status: 503}))
	a = call(t, s, http.MethodGet, "/content?"+q.Encode(), nil)
	require.Equal(t, http.StatusServiceUnavailable, a.status)
	require.Equal(t, "unavailable", a.code())
	a = call(t, s, http.MethodGet, "/content?"+q.Encode(), nil)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "c_2", a.body["items"].([]any)[0].(map[string]any)["id"])
}

func TestParseSeed(t *testing.T) {
	sd, err := vaultstreamtest.ParseSeed([]byte(`{"teams": ["HR"], "folders": ["Training"],
		"content": [{"id": "c_1", "title": "Onboarding", "metadata": {"department": "HR"}, "folder": "Training",
		"visibility": "team", "tags": ["training"], "created_at": "2025-01-01T00:00:00Z", "last_accessed": "2025-02-01T00:00:00+01:00"}]}`))
	require.NoError(t, err)
	s := vaultstreamtest.NewServer()
	t.Cleanup(s.Close)
	s.Load(sd)
	c, ok := s.Content("c_1")
	require.True(t, ok)
	require.Equal(t, s.Folders()[0].ID, c.FolderID)
	require.Equal(t, "team", c.Visibility)
	require.Equal(t, time.Date(2025, 1, 31, 23, 0, 0, 0, time.UTC), c.LastAccessed)
	require.Equal(t, "HR", s.Teams()[0].Name)

	for _, c := range []struct{ seed, want string }{
		{`{"content": [{"id": "c_1", "title": "x"}, {"id": "c_2", "title": "y", "created_at": "last week"}]}`, `content[1].created_at: "last week" is not an RFC 3339 time`},
		{`{"content": [{"id": "c_1", "title": "x", "folder": "Nope"}]}`, `content[0].folder: folder "Nope" is not among folders`},
		{`{"content": [{"id": "c_1", "title": "x"}, {"id": "c_1", "title": "y"}]}`, `content[1].id: "c_1" is also the id of content[0]`},
		{`{"content": [{"title": "x"}]}`, `content[0].id: required`},
		{`{"content": [{"id": "c_1", "title": 5}]}`, `content[0].title: want a string`},
		{`{"content": [{"id": "c_1", "title": "x", "visibility": "secret"}]}`, `content[0].visibility: want one of`},
		{`{"content": [{"id": "c_1", "title": "x", "colour": "red"}]}`, `content[0].colour: unknown field`},
		{`{"teams": ["HR", ""]}`, `teams[1]: want a non-empty string`},
		{`{"videos": []}`, `videos: unknown field`},
		{"{\n  \"teams\": [\"HR\",]\n}", `line 2, column`},
	} {
		_, err := vaultstreamtest.ParseSeed([]byte(c.seed))
		require.Error(t, err, c.seed)
		require.True(t, strings.Contains(err.Error(), c.want), "%s\ngot:  %v\nwant: %s", c.seed, err, c.want)
	}
}
