package vaultstreamtest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

func TestFolders(t *testing.T) {
	s, sd := newServer(t)
	a := call(t, s, http.MethodPost, "/folders", map[string]string{"name": "Leadership"})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	id, _ := a.body["id"].(string)
	require.NotEmpty(t, id)
	require.JSONEq(t, `{"id": "`+id+`", "name": "Leadership"}`, a.raw)

	a = call(t, s, http.MethodPost, "/folders", map[string]string{"name": "Training"})
	require.Equal(t, http.StatusConflict, a.status)
	require.Equal(t, "conflict", a.code())
	require.Equal(t, map[string]any{"id": sd.folder}, a.body["error"].(map[string]any)["details"])

	a = call(t, s, http.MethodPost, "/folders", map[string]string{"name": "training"})
	require.Equal(t, http.StatusCreated, a.status, "names are case-sensitive")

	a = call(t, s, http.MethodGet, "/folders?name=Training", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.JSONEq(t, `{"items": [{"id": "`+sd.folder+`", "name": "Training"}]}`, a.raw)
	a = call(t, s, http.MethodGet, "/folders?name="+url.QueryEscape("Train"), nil)
	require.JSONEq(t, `{"items": []}`, a.raw, "an exact match")
	a = call(t, s, http.MethodGet, "/folders?name=", nil)
	require.JSONEq(t, `{"items": []}`, a.raw)
	a = call(t, s, http.MethodGet, "/folders", nil)
	require.Len(t, a.body["items"], 3)
	require.Equal(t, []vaultstreamtest.Folder{{ID: sd.folder, Name: "Training"}, {ID: id, Name: "Leadership"},
		s.Folders()[2]}, s.Folders())
	require.Equal(t, sd.folder, s.AddFolder("Training"), "AddFolder returns an existing folder")

	for _, body := range []string{`{}`, `{"name": ""}`, `{"name": 1}`, `{"name": "x", "parent": "f_1"}`, `{"name"`} {
		a := call(t, s, http.MethodPost, "/folders", body)
		require.Equal(t, http.StatusBadRequest, a.status, body)
		require.Equal(t, "invalid_request", a.code())
	}
	require.Len(t, s.Folders(), 3)
}

func TestTeams(t *testing.T) {
	s, sd := newServer(t)
	sales := s.AddTeam("Sales")
	a := call(t, s, http.MethodGet, "/teams?name=HR", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.JSONEq(t, `{"items": [{"id": "`+sd.team+`", "name": "HR"}]}`, a.raw)
	a = call(t, s, http.MethodGet, "/teams?name=hr", nil)
	require.JSONEq(t, `{"items": []}`, a.raw)
	a = call(t, s, http.MethodGet, "/teams", nil)
	require.JSONEq(t, `{"items": [{"id": "`+sd.team+`", "name": "HR"}, {"id": "`+sales+`", "name": "Sales"}]}`, a.raw)
	require.Len(t, s.Teams(), 2)
	require.Equal(t, http.StatusNotFound, call(t, s, http.MethodPost, "/teams", `{"name": "x"}`).status,
		"organizer never creates teams")
}

func TestContentUsage(t *testing.T) {
	s := vaultstreamtest.NewServer()
	t.Cleanup(s.Close)
	day := func(d int) time.Time { return time.Date(2025, 11, d, 8, 0, 0, 0, time.UTC) }
	s.AddContent(vaultstreamtest.Content{ID: "c_3", Title: "three", CreatedAt: day(1), LastAccessed: day(3)})
	s.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "one", CreatedAt: day(1), LastAccessed: day(1)})
	s.AddContent(vaultstreamtest.Content{ID: "c_2", Title: "never watched", CreatedAt: day(2)})
	s.AddContent(vaultstreamtest.Content{ID: "c_9", Title: "recent", CreatedAt: day(1), LastAccessed: day(20)})

	q := url.Values{"last_accessed_before": {day(10).Format(time.RFC3339)}}
	a := call(t, s, http.MethodGet, "/analytics/content-usage?"+q.Encode(), nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.JSONEq(t, `{"items": [
		{"content_id": "c_1", "title": "one", "last_accessed": "2025-11-01T08:00:00Z"},
		{"content_id": "c_2", "title": "never watched", "last_accessed": "2025-11-02T08:00:00Z"},
		{"content_id": "c_3", "title": "three", "last_accessed": "2025-11-03T08:00:00Z"}]}`, a.raw)

	q.Set("limit", "2")
	a = call(t, s, http.MethodGet, "/analytics/content-usage?"+q.Encode(), nil)
	next, _ := a.body["next_cursor"].(string)
	require.NotEmpty(t, next, "a page that is not the last names the next: %s", a.raw)
	require.JSONEq(t, `{"items": [
		{"content_id": "c_1", "title": "one", "last_accessed": "2025-11-01T08:00:00Z"},
		{"content_id": "c_2", "title": "never watched", "last_accessed": "2025-11-02T08:00:00Z"}],
		"next_cursor": "`+next+`"}`, a.raw)
	q.Set("cursor", next)
	a = call(t, s, http.MethodGet, "/analytics/content-usage?"+q.Encode(), nil)
	require.JSONEq(t, `{"items": [
		{"content_id": "c_3", "title": "three", "last_accessed": "2025-11-03T08:00:00Z"}]}`, a.raw,
		"the last page names no next cursor")

	a = call(t, s, http.MethodGet, "/analytics/content-usage?last_accessed_before=2025-11-01T08:00:00Z", nil)
	require.JSONEq(t, `{"items": []}`, a.raw, "strictly before")
	a = call(t, s, http.MethodGet, "/analytics/content-usage", nil)
	require.Len(t, a.body["items"], 4, "no cutoff lists every item")

	for i := range 150 {
		s.AddContent(vaultstreamtest.Content{Title: "bulk", CreatedAt: day(1).Add(time.Duration(i) * time.Minute)})
	}
	a = call(t, s, http.MethodGet, "/analytics/content-usage", nil)
	require.Len(t, a.body["items"], 100, "limit defaults to 100")

	for _, query := range []string{"limit=0", "limit=-1", "limit=ten", "last_accessed_before=yesterday",
		"last_accessed_before=2025-11-01T08:00:00"} {
		a := call(t, s, http.MethodGet, "/analytics/content-usage?"+query, nil)
		require.Equal(t, http.StatusBadRequest, a.status, query)
		require.Equal(t, "invalid_request", a.code())
		require.Contains(t, a.message(), query[:5], query)
	}
}
