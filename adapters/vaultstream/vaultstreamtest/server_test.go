package vaultstreamtest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

func TestURLHasTheV1Prefix(t *testing.T) {
	s, _ := newServer(t)
	require.True(t, strings.HasPrefix(s.URL(), "http://127.0.0.1:"), s.URL())
	require.True(t, strings.HasSuffix(s.URL(), "/v1"), s.URL())
	require.Equal(t, vaultstreamtest.DefaultToken, s.Token())
	s.Close()
	s.Close() // a second Close is harmless
}

// TestNewServesItsHandlerAnywhere serves a simulator that does not listen
// on a server of the test's own, as `organizer simulate` will.
func TestNewServesItsHandlerAnywhere(t *testing.T) {
	s := vaultstreamtest.New(vaultstreamtest.WithToken("tok"))
	defer s.Close()
	require.Empty(t, s.URL())
	s.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "T"})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	a := callAs(t, s, "Bearer tok", http.MethodGet, ts.URL+"/v1/content/c_1", nil)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "T", a.body["title"])
}

func TestUnauthorized(t *testing.T) {
	s, _ := newServer(t, vaultstreamtest.WithToken("secret-token"))
	for name, auth := range map[string]string{
		"no header":    "",
		"wrong token":  "Bearer nope",
		"no scheme":    "secret-token",
		"basic scheme": "Basic secret-token",
		"empty token":  "Bearer ",
	} {
		for _, path := range []string{"/content/c_1001", "/folders", "/no/such/path"} {
			a := callAs(t, s, auth, http.MethodGet, s.URL()+path, nil)
			require.Equal(t, http.StatusUnauthorized, a.status, "%s %s", name, path)
			require.Equal(t, "unauthorized", a.code(), name)
		}
	}
	a := callAs(t, s, "Bearer secret-token", http.MethodGet, s.URL()+"/content/c_1001", nil)
	require.Equal(t, http.StatusOK, a.status)
	a = callAs(t, s, "bearer secret-token", http.MethodGet, s.URL()+"/content/c_1001", nil)
	require.Equal(t, http.StatusOK, a.status, "the scheme is case-insensitive (RFC 9110)")
}

func TestUnknownPathsAre404(t *testing.T) {
	s, _ := newServer(t)
	base := strings.TrimSuffix(s.URL(), "/v1")
	for _, c := range []struct{ method, url string }{
		{http.MethodGet, s.URL() + "/nope"},
		{http.MethodGet, s.URL() + "/content/"},
		{http.MethodGet, s.URL() + "/content/c_1001/nope"},
		{http.MethodDelete, s.URL() + "/content/c_1001"},
		{http.MethodPut, s.URL() + "/folders"},
		{http.MethodGet, base + "/content/c_1001"},
		{http.MethodGet, base + "/v2/content/c_1001"},
	} {
		a := callAs(t, s, "Bearer "+s.Token(), c.method, c.url, nil)
		require.Equal(t, http.StatusNotFound, a.status, "%s %s", c.method, c.url)
		require.Equal(t, "not_found", a.code())
		require.NotEmpty(t, a.message())
	}
}

func TestBodyTooLarge(t *testing.T) {
	s, _ := newServer(t)
	a := call(t, s, http.MethodPost, "/folders", `{"name": "`+strings.Repeat("x", 2<<20)+`"}`)
	require.Equal(t, http.StatusBadRequest, a.status)
	require.Equal(t, "invalid_request", a.code())
	require.Len(t, s.Folders(), 1)
}
