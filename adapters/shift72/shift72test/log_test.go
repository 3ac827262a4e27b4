package shift72test_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

func TestRequestLog(t *testing.T) {
	s := newServer(t)
	id := s.AddBundle("B", shift72test.StatusPublished, "/film/1")
	get := "/services/meta/v1/bundles/" + itoa(id)

	call(t, s, "GET", get, admin, "")
	call(t, s, "GET", "/services/meta/v2/tv/season/show_multiple?items=/tv/1/season/1", "", "")
	call(t, s, "PUT", get+"/items", admin, `["/film/1","/film/2"]`)
	call(t, s, "PUT", get+"/items", "", `["/film/3"]`)

	reqs := s.Requests()
	require.Len(t, reqs, 4)
	require.Equal(t, "GET", reqs[0].Method)
	require.Equal(t, get, reqs[0].Path)
	require.Equal(t, http.StatusOK, reqs[0].Status)
	require.Equal(t, admin, reqs[0].Token)
	require.Equal(t, "items=/tv/1/season/1", reqs[1].Query)
	require.Empty(t, reqs[1].Token)

	writes := s.Writes()
	require.Len(t, writes, 2)
	require.Equal(t, "PUT", writes[0].Method)
	require.Equal(t, get+"/items", writes[0].Path)
	require.JSONEq(t, `["/film/1","/film/2"]`, string(writes[0].Body))
	require.Equal(t, http.StatusOK, writes[0].Status)
	require.Equal(t, http.StatusUnauthorized, writes[1].Status)

	s.Reset()
	require.Empty(t, s.Requests())
	require.Empty(t, s.Writes())
	b, _ := s.Bundle(id)
	require.Equal(t, []string{"/film/1", "/film/2"}, b.Items, "Reset keeps the state")
}

func TestWithLogLimit(t *testing.T) {
	s := newServer(t, shift72test.WithLogLimit(2))
	for _, p := range []string{"/a", "/b", "/c"} {
		call(t, s, "GET", p, "", "")
	}
	reqs := s.Requests()
	require.Len(t, reqs, 2, "only the latest")
	require.Equal(t, "/b", reqs[0].Path)
	require.Equal(t, "/c", reqs[1].Path)
}
