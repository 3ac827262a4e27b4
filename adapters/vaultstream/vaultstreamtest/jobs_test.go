package vaultstreamtest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

func TestListJobs(t *testing.T) {
	s, _ := newServer(t)
	a := call(t, s, http.MethodGet, "/content/c_1001/jobs", nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.JSONEq(t, `{"items": []}`, a.raw, "no job yet")

	other := s.AddContent(vaultstreamtest.Content{Title: "Other", CreatedAt: created})
	require.Equal(t, http.StatusAccepted, call(t, s, http.MethodPost, "/content/c_1001/transcode",
		`{"profile": "audio_only_aac", "output_format": "m4a"}`).status)
	require.Equal(t, http.StatusAccepted, call(t, s, http.MethodPost, "/content/"+other+"/transcode",
		`{"profile": "hd"}`).status)
	require.Equal(t, http.StatusAccepted, call(t, s, http.MethodPost, "/content/c_1001/export",
		`{"format": "gif", "start_seconds": 30, "duration_seconds": 10, "width": 480}`).status)

	a = call(t, s, http.MethodGet, "/content/c_1001/jobs", nil)
	require.Equal(t, http.StatusOK, a.status, a.raw)
	require.JSONEq(t, `{"items": [
		{"job_id": "j_1", "kind": "transcode", "request": {"profile": "audio_only_aac", "output_format": "m4a"}, "status": "queued"},
		{"job_id": "j_3", "kind": "export", "request": {"format": "gif", "start_seconds": 30, "duration_seconds": 10, "width": 480}, "status": "queued"}
	]}`, a.raw, "the item's jobs only, oldest first")

	a = call(t, s, http.MethodGet, "/content/c_9/jobs", nil)
	require.Equal(t, http.StatusNotFound, a.status)
	require.Equal(t, "not_found", a.code())
}
