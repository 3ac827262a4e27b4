package vaultstreamtest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

func TestRequestLog(t *testing.T) {
	s, sd := newServer(t)
	// an apply that moves c_1001 to Leadership and tags it
	apply := func() {
		call(t, s, http.MethodGet, "/content/c_1001", nil)
		a := call(t, s, http.MethodGet, "/folders?name=Leadership", nil)
		if items := a.body["items"].([]any); len(items) == 0 {
			call(t, s, http.MethodPost, "/folders", `{"name": "Leadership"}`)
		}
		c, _ := s.Content("c_1001")
		if c.FolderID == sd.folder {
			f := s.Folders()[1]
			call(t, s, http.MethodPatch, "/content/c_1001", `{"folder_id": "`+f.ID+`"}`)
		}
	}
	apply()
	reqs := s.Requests()
	require.Len(t, reqs, 4)
	require.Equal(t, []string{"GET /content/c_1001", "GET /folders", "POST /folders", "PATCH /content/c_1001"},
		[]string{reqs[0].String(), reqs[1].String(), reqs[2].String(), reqs[3].String()})
	require.Equal(t, url.Values{"name": {"Leadership"}}, reqs[1].Query)
	require.Equal(t, `{"name": "Leadership"}`, string(reqs[2].Body))
	require.Equal(t, []int{200, 200, 201, 200}, []int{reqs[0].Status, reqs[1].Status, reqs[2].Status, reqs[3].Status})
	require.Equal(t, "Bearer "+s.Token(), reqs[0].Header.Get("Authorization"))
	require.False(t, reqs[0].Time.IsZero())
	writes := s.Writes()
	require.Len(t, writes, 2)
	require.Equal(t, http.MethodPost, writes[0].Method)
	require.True(t, writes[1].IsWrite())

	s.Reset()
	require.Empty(t, s.Requests())
	apply()
	require.Empty(t, s.Writes(), "a second identical apply makes no write calls")
	require.Len(t, s.Requests(), 2)

	reqs = s.Requests()
	reqs[0].Body = append(reqs[0].Body, 'x')
	reqs[1].Query.Set("name", "changed")
	require.Equal(t, "Leadership", s.Requests()[1].Query.Get("name"), "Requests returns copies")
}

func TestRequestLogKeepsRefusedAndUnknownRequests(t *testing.T) {
	s, _ := newServer(t)
	callAs(t, s, "", http.MethodDelete, s.URL()+"/content/c_1001/tags/training", nil)
	call(t, s, http.MethodGet, "/nope", nil)
	call(t, s, http.MethodPost, "/folders", `{`)
	reqs := s.Requests()
	require.Len(t, reqs, 3)
	require.Equal(t, []int{401, 404, 400}, []int{reqs[0].Status, reqs[1].Status, reqs[2].Status})
	require.Equal(t, "DELETE /content/c_1001/tags/training", reqs[0].String())
	require.Len(t, s.Writes(), 2, "a refused write is still a write call")
	c, _ := s.Content("c_1001")
	require.Equal(t, []string{"training"}, c.Tags)
}

func TestRequestLogPathOutsideV1(t *testing.T) {
	s := vaultstreamtest.NewServer()
	defer s.Close()
	base := s.URL()[:len(s.URL())-len("/v1")]
	callAs(t, s, "Bearer "+s.Token(), http.MethodGet, base+"/health", nil)
	require.Equal(t, "GET /health", s.Requests()[0].String())
}
