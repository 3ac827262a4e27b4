package vaultstreamtest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

func TestGetContent(t *testing.T) {
	s, sd := newServer(t)
	a := call(t, s, http.MethodGet, "/content/c_1001", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.JSONEq(t, `{"id": "c_1001", "title": "Onboarding 101", "metadata": {"department": "HR"},
		"folder_id": "`+sd.folder+`", "visibility": "private", "tags": ["training"],
		"permissions": [{"team_id": "`+sd.team+`", "permission": "view"}],
		"duration_seconds": 754, "created_at": "2026-03-01T10:00:00Z"}`, a.raw)

	id := s.AddContent(vaultstreamtest.Content{Title: "Bare", CreatedAt: created})
	a = call(t, s, http.MethodGet, "/content/"+id, nil)
	require.Equal(t, http.StatusOK, a.status)
	require.JSONEq(t, `{"id": "`+id+`", "title": "Bare", "metadata": {}, "folder_id": null,
		"visibility": "private", "tags": [], "permissions": [], "duration_seconds": 0,
		"created_at": "2026-03-01T10:00:00Z"}`, a.raw)

	a = call(t, s, http.MethodGet, "/content/c_9", nil)
	require.Equal(t, http.StatusNotFound, a.status)
	require.Equal(t, "not_found", a.code())
	require.Contains(t, a.message(), "c_9")
}

func TestPatchContent(t *testing.T) {
	s, _ := newServer(t)
	archive := s.AddFolder("Archive")
	body := map[string]any{"folder_id": archive, "visibility": "team",
		"metadata": map[string]any{"reviewed": "yes", "department": nil}}
	a := call(t, s, http.MethodPatch, "/content/c_1001", body)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.Equal(t, archive, a.body["folder_id"])
	require.Equal(t, "team", a.body["visibility"])
	require.Equal(t, map[string]any{"reviewed": "yes"}, a.body["metadata"], "merged, null removes")
	require.Equal(t, a.raw, call(t, s, http.MethodGet, "/content/c_1001", nil).raw, "the content as GET returns it")

	again := call(t, s, http.MethodPatch, "/content/c_1001", body)
	require.Equal(t, http.StatusOK, again.status, "the same values again")
	require.Equal(t, a.raw, again.raw)

	a = call(t, s, http.MethodPatch, "/content/c_1001", `{"folder_id": null}`)
	require.Equal(t, http.StatusOK, a.status)
	require.Nil(t, a.body["folder_id"])
	c, ok := s.Content("c_1001")
	require.True(t, ok)
	require.Empty(t, c.FolderID)
	require.Equal(t, "team", c.Visibility)

	for name, tc := range map[string]struct{ body, field string }{
		"malformed JSON":      {`{"visibility": `, "JSON"},
		"not an object":       {`["team"]`, "JSON object"},
		"null":                {`null`, "JSON object"},
		"empty":               {``, "JSON object"},
		"empty folder id":     {`{"folder_id": ""}`, "folder_id"},
		"trailing data":       {`{} {}`, "one JSON object"},
		"unknown folder":      {`{"folder_id": "f_9"}`, "folder f_9 does not exist"},
		"folder not a string": {`{"folder_id": 3}`, "folder_id"},
		"bad visibility":      {`{"visibility": "secret"}`, "visibility"},
		"null visibility":     {`{"visibility": null}`, "visibility"},
		"metadata not object": {`{"metadata": "x"}`, "metadata"},
		"unknown field":       {`{"title": "x"}`, `"title"`},
	} {
		before, _ := s.Content("c_1001")
		a := call(t, s, http.MethodPatch, "/content/c_1001", tc.body)
		require.Equal(t, http.StatusBadRequest, a.status, name)
		require.Equal(t, "invalid_request", a.code(), name)
		require.Contains(t, a.message(), tc.field, name)
		after, _ := s.Content("c_1001")
		require.Equal(t, before, after, "%s: a refused PATCH changes nothing", name)
	}
	a = call(t, s, http.MethodPatch, "/content/c_1001", `{"folder_id": "f_9", "visibility": "org"}`)
	require.Equal(t, http.StatusBadRequest, a.status)
	c, _ = s.Content("c_1001")
	require.Equal(t, "team", c.Visibility, "nothing is applied when any field is refused")

	a = call(t, s, http.MethodPatch, "/content/c_9", `{"visibility": "org"}`)
	require.Equal(t, http.StatusNotFound, a.status)
	require.Equal(t, "not_found", a.code())
}

func TestGrantPermission(t *testing.T) {
	s, sd := newServer(t)
	sales := s.AddTeam("Sales")
	require.Equal(t, sd.team, s.AddTeam("HR"), "a team's name is unique")
	a := call(t, s, http.MethodPost, "/content/c_1001/permissions", map[string]string{"team_id": sales, "permission": "edit"})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	require.JSONEq(t, `{"team_id": "`+sales+`", "permission": "edit"}`, a.raw)

	a = call(t, s, http.MethodPost, "/content/c_1001/permissions", map[string]string{"team_id": sales, "permission": "edit"})
	require.Equal(t, http.StatusOK, a.status, "already granted")
	require.JSONEq(t, `{"team_id": "`+sales+`", "permission": "edit"}`, a.raw)

	a = call(t, s, http.MethodPost, "/content/c_1001/permissions", map[string]string{"team_id": sd.team, "permission": "admin"})
	require.Equal(t, http.StatusCreated, a.status, "another permission replaces the team's")
	c, _ := s.Content("c_1001")
	require.Equal(t, []vaultstreamtest.Permission{{TeamID: sd.team, Permission: "admin"}, {TeamID: sales, Permission: "edit"}}, c.Permissions)

	for name, tc := range map[string]struct{ body, field string }{
		"unknown team":    {`{"team_id": "t_99", "permission": "view"}`, "team t_99 does not exist"},
		"no team":         {`{"permission": "view"}`, "team_id"},
		"bad permission":  {`{"team_id": "` + sales + `", "permission": "own"}`, "permission"},
		"no permission":   {`{"team_id": "` + sales + `"}`, "permission"},
		"malformed JSON":  {`{`, "JSON"},
		"unknown field":   {`{"team_id": "` + sales + `", "permission": "view", "x": 1}`, `"x"`},
		"team not string": {`{"team_id": 7, "permission": "view"}`, "team_id"},
	} {
		a := call(t, s, http.MethodPost, "/content/c_1001/permissions", tc.body)
		require.Equal(t, http.StatusBadRequest, a.status, name)
		require.Equal(t, "invalid_request", a.code(), name)
		require.Contains(t, a.message(), tc.field, name)
	}
	a = call(t, s, http.MethodPost, "/content/c_9/permissions", `{"team_id": "`+sales+`", "permission": "view"}`)
	require.Equal(t, http.StatusNotFound, a.status)
}

func TestTags(t *testing.T) {
	s, _ := newServer(t)
	a := call(t, s, http.MethodPost, "/content/c_1001/tags", map[string]string{"tag": "hr"})
	require.Equal(t, http.StatusCreated, a.status, a.raw)
	require.JSONEq(t, `{"tags": ["training", "hr"]}`, a.raw)
	a = call(t, s, http.MethodPost, "/content/c_1001/tags", map[string]string{"tag": "hr"})
	require.Equal(t, http.StatusOK, a.status, "already there")
	require.JSONEq(t, `{"tags": ["training", "hr"]}`, a.raw)

	a = call(t, s, http.MethodPost, "/content/c_1001/tags", map[string]string{"tag": "q1/2026 review"})
	require.Equal(t, http.StatusCreated, a.status)
	a = call(t, s, http.MethodDelete, "/content/c_1001/tags/q1%2F2026%20review", nil)
	require.Equal(t, http.StatusOK, a.status, "an escaped tag is one path segment")
	require.JSONEq(t, `{"tags": ["training", "hr"]}`, a.raw)

	a = call(t, s, http.MethodDelete, "/content/c_1001/tags/training", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.JSONEq(t, `{"tags": ["hr"]}`, a.raw)
	a = call(t, s, http.MethodDelete, "/content/c_1001/tags/training", nil)
	require.Equal(t, http.StatusOK, a.status, "also when it was not there")
	require.JSONEq(t, `{"tags": ["hr"]}`, a.raw)
	a = call(t, s, http.MethodDelete, "/content/c_1001/tags/hr", nil)
	require.JSONEq(t, `{"tags": []}`, a.raw)

	for _, body := range []string{`{}`, `{"tag": ""}`, `{"tag": 3}`, `{"tags": ["x"]}`, `tag`} {
		a := call(t, s, http.MethodPost, "/content/c_1001/tags", body)
		require.Equal(t, http.StatusBadRequest, a.status, body)
		require.Equal(t, "invalid_request", a.code(), body)
	}
	require.Equal(t, http.StatusNotFound, call(t, s, http.MethodPost, "/content/c_9/tags", `{"tag": "x"}`).status)
	require.Equal(t, http.StatusNotFound, call(t, s, http.MethodDelete, "/content/c_9/tags/x", nil).status)
}

func TestTranscodeAndExport(t *testing.T) {
	s, _ := newServer(t)
	a := call(t, s, http.MethodPost, "/content/c_1001/transcode", `{"profile": "audio_only_aac", "output_format": "m4a"}`)
	require.Equal(t, http.StatusAccepted, a.status, a.raw)
	require.Equal(t, "queued", a.body["status"])
	first := a.body["job_id"]
	a = call(t, s, http.MethodPost, "/content/c_1001/export",
		`{"format": "gif", "start_seconds": 30, "duration_seconds": 10, "width": 480}`)
	require.Equal(t, http.StatusAccepted, a.status, a.raw)
	require.JSONEq(t, `{"job_id": "j_2", "status": "queued"}`, a.raw)
	require.Equal(t, "j_1", first)
	require.Equal(t, []vaultstreamtest.Job{
		{ID: "j_1", Kind: "transcode", ContentID: "c_1001", Request: map[string]any{"profile": "audio_only_aac", "output_format": "m4a"}},
		{ID: "j_2", Kind: "export", ContentID: "c_1001", Request: map[string]any{"format": "gif",
			"start_seconds": 30.0, "duration_seconds": 10.0, "width": 480.0}},
	}, s.Jobs())

	for path, bodies := range map[string][]string{
		"/content/c_1001/transcode": {`{}`, `{"profile": ""}`, `{"profile": 1}`, `{"profile": "p", "output_format": 4}`, `{`},
		"/content/c_1001/export":    {`{}`, `{"format": "gif", "width": -1}`, `{"format": "gif", "start_seconds": "30"}`, `[]`},
	} {
		for _, body := range bodies {
			a := call(t, s, http.MethodPost, path, body)
			require.Equal(t, http.StatusBadRequest, a.status, "%s %s", path, body)
			require.Equal(t, "invalid_request", a.code())
		}
	}
	require.Len(t, s.Jobs(), 2, "refused jobs are not recorded")
	require.Equal(t, http.StatusNotFound, call(t, s, http.MethodPost, "/content/c_9/transcode", `{"profile": "p"}`).status)
	require.Equal(t, http.StatusNotFound, call(t, s, http.MethodPost, "/content/c_9/export", `{"format": "gif"}`).status)

	jobs := s.Jobs()
	jobs[0].Request["profile"] = "changed"
	require.Equal(t, "audio_only_aac", s.Jobs()[0].Request["profile"], "Jobs returns copies")
}

func TestContentAccessorsReturnCopies(t *testing.T) {
	s, _ := newServer(t)
	c, ok := s.Content("c_1001")
	require.True(t, ok)
	c.Metadata["department"] = "changed"
	c.Tags[0] = "changed"
	again, _ := s.Content("c_1001")
	require.Equal(t, "HR", again.Metadata["department"])
	require.Equal(t, []string{"training"}, again.Tags)
	_, ok = s.Content("c_9")
	require.False(t, ok)

	id := s.AddContent(vaultstreamtest.Content{Title: "second"})
	require.NotEqual(t, "c_1001", id)
	all := s.Contents()
	require.Len(t, all, 2)
	got, _ := s.Content(id)
	require.Equal(t, "private", got.Visibility, "AddContent defaults the visibility")
	require.False(t, got.CreatedAt.IsZero(), "and the creation time")
	raw, err := json.Marshal(all)
	require.NoError(t, err)
	require.NotEmpty(t, raw)
}
