package shift72test_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

const userToken = "plain-user-token"

// newServer starts a Server with a plain user who can sign in, and closes it
// with the test.
func newServer(t *testing.T, opts ...shift72test.Option) *shift72test.Server {
	t.Helper()
	s := shift72test.NewServer(append([]shift72test.Option{shift72test.WithSignIn("viewer@example.com", "pw", userToken)}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// call sends method path with the token (none when "") and body (none when
// ""), and reads the answer.
func call(t *testing.T, s *shift72test.Server, method, path, token, body string) response {
	t.Helper()
	resp, err := send(context.Background(), s, method, path, token, body)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{resp.StatusCode, resp.Header, b}
}

func send(ctx context.Context, s *shift72test.Server, method, path, token, body string) (*http.Response, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL()+path, r)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	req.Header.Set("X-Bypass-Cache", "1")
	return s.Client().Do(req)
}

// decode decodes a JSON body into a T.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(body, &v), string(body))
	return v
}

const notFoundBody = `{"error":"The resource does not exist."}`

func TestURLIsLoopbackSiteBase(t *testing.T) {
	s := newServer(t)
	require.True(t, strings.HasPrefix(s.URL(), "http://127.0.0.1:"), s.URL())
	require.False(t, strings.HasSuffix(s.URL(), "/"))
}

func TestBouncer(t *testing.T) {
	s := newServer(t)
	r := call(t, s, "GET", "/services/users/auth/bouncer", shift72test.AdminToken, "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.Contains(t, decode[map[string]any](t, r.body), "message")

	for name, token := range map[string]string{"missing": "", "wrong": "nope", "non-admin": userToken} {
		r := call(t, s, "GET", "/services/users/auth/bouncer", token, "")
		require.Equal(t, http.StatusUnauthorized, r.status, name)
		require.Empty(t, r.body, "%s: a 401 has no body", name)
	}
}

func TestTokenHeaderNameIsCaseInsensitive(t *testing.T) {
	s := newServer(t)
	req, err := http.NewRequest("GET", s.URL()+"/services/users/auth/bouncer", nil)
	require.NoError(t, err)
	req.Header["x-auth-token"] = []string{shift72test.AdminToken} // sent as is, in lower case
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestWithAdminToken(t *testing.T) {
	s := newServer(t, shift72test.WithAdminToken("ak_production_x"))
	require.Equal(t, http.StatusOK, call(t, s, "GET", "/services/users/auth/bouncer", "ak_production_x", "").status)
	require.Equal(t, http.StatusUnauthorized, call(t, s, "GET", "/services/users/auth/bouncer", shift72test.AdminToken, "").status)
}

// TestUnknownEndpoints: everything outside the documented routes is the
// documented 404, including the writes SHIFT72 does not publish.
func TestUnknownEndpoints(t *testing.T) {
	s := newServer(t)
	id := s.AddBundle("Five for $5", shift72test.StatusPublished)
	film := s.AddFilm(shift72test.Film{Title: "The Matrix", Published: true})
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/", ""},
		{"GET", "/services/meta/v9/nothing", ""},
		{"POST", "/services/meta/v1/bundles", `{"title":"New"}`},                           // no bundle create
		{"DELETE", "/services/meta/v1/bundles/" + itoa(id), ""},                            //
		{"POST", "/services/meta/v1/bundles/" + itoa(id) + "/items", `["/film/1"]`},        // only PUT replaces
		{"PATCH", "/services/meta/v1/bundles/" + itoa(id) + "/items", `["/film/1"]`},       //
		{"GET", "/services/meta/v1/bundles/" + itoa(id) + "/items", ""},                    //
		{"PUT", "/services/meta/v2/film/" + itoa(film) + "/tags", `["x"]`},                 // no tag writes
		{"PUT", "/services/meta/v2/film/" + itoa(film) + "/publish", `{}`},                 // no publish writes
		{"POST", "/services/meta/v4/featured", `{"title":"New"}`},                          // no collection create
		{"PUT", "/services/meta/v4/featured/1/items", `["/film/1"]`},                       //
		{"POST", "/services/pricing/v2/geo_block/tvod/film/" + itoa(film), `{"rules":[]}`}, //
		{"POST", "/services/users/auth/bouncer", ""},                                       //
		{"GET", "/services/meta/v1/bundles/", ""},                                          //
	} {
		r := call(t, s, c.method, c.path, shift72test.AdminToken, c.body)
		require.Equal(t, http.StatusNotFound, r.status, "%s %s", c.method, c.path)
		require.JSONEq(t, notFoundBody, string(r.body), "%s %s", c.method, c.path)
		require.Equal(t, "application/json", r.header.Get("Content-Type"))
	}
	b, _ := s.Bundle(id)
	require.Empty(t, b.Items, "no unknown endpoint wrote anything")
}

// TestUnstartedServerHandler serves Handler on a listener of the caller's.
func TestUnstartedServerHandler(t *testing.T) {
	s := shift72test.NewUnstartedServer()
	defer s.Close()
	require.Empty(t, s.URL())
	id := s.AddBundle("B", shift72test.StatusPublished, "/film/1")
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/services/meta/v1/bundles")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `[{"id":`+itoa(id)+`,"title":"B","tagline":"","description":"","items":["/film/1"]}]`, string(b))
	require.Len(t, s.Requests(), 1)
}

func TestCloseTwice(t *testing.T) {
	s := shift72test.NewServer()
	s.Close()
	s.Close()
}

// fakeClock is a clock that moves a second forward at each reading.
func fakeClock() func() time.Time {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
