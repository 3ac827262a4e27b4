package shift72test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"sync"
	"time"
)

// AdminToken is the admin API key a Server accepts unless WithAdminToken
// says otherwise.
const AdminToken = "sim-admin-api-key"

// errNotFoundBody is the body of every 404, as documented.
const errNotFoundBody = `{"error":"The resource does not exist."}`

// Server is a simulated SHIFT72 site. Its methods are safe for concurrent
// use, also while it serves requests.
type Server struct {
	adminToken string
	clock      func() time.Time
	platforms  []string
	logLimit   int
	accounts   map[string]account // sign-in credentials, by email

	state   *state
	log     requestLog
	faults  faults
	handler http.Handler

	closeOnce sync.Once
	done      chan struct{} // closed by Close: releases hanging requests
	ts        *httptest.Server
}

// Option configures a Server.
type Option func(*Server)

// WithAdminToken sets the X-Auth-Token of an admin (an admin user's token or
// the system API key). The default is AdminToken.
func WithAdminToken(token string) Option { return func(s *Server) { s.adminToken = token } }

// WithClock sets the clock used for created_at and updated_at. The default
// is time.Now in UTC.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.clock = now } }

// WithPlatforms sets the platform types geo_block accepts; others answer
// 404. The default is tvod (documented) and svod (assumed).
func WithPlatforms(platforms ...string) Option {
	return func(s *Server) { s.platforms = slices.Clone(platforms) }
}

// WithLogLimit keeps only the latest n requests in the log (0, the default,
// keeps all), for long runs such as load tests.
func WithLogLimit(n int) Option { return func(s *Server) { s.logLimit = max(n, 0) } }

// NewServer returns a started Server listening on a loopback port. Close it
// when done.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.ts = httptest.NewServer(s.handler)
	return s
}

// NewUnstartedServer returns a Server without a listener, for serving
// Handler on an address of the caller's choosing (a load tool, say).
func NewUnstartedServer(opts ...Option) *Server {
	s := &Server{
		adminToken: AdminToken,
		clock:      func() time.Time { return time.Now().UTC() },
		platforms:  defaultPlatforms,
		accounts:   map[string]account{},
		state:      newState(),
		done:       make(chan struct{}),
	}
	for _, opt := range opts {
		opt(s)
	}
	s.handler = s.logRequests(s.injectFaults(s.routes()))
	return s
}

// Handler returns the simulator's HTTP handler: routes, request log and
// faults included.
func (s *Server) Handler() http.Handler { return s.handler }

// URL returns the base URL of the site, such as "http://127.0.0.1:41234";
// the API's paths, /services/..., go after it. It is "" for an unstarted
// Server.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL
}

// Client returns an HTTP client for the started Server (http.DefaultClient
// for an unstarted one).
func (s *Server) Client() *http.Client {
	if s.ts == nil {
		return http.DefaultClient
	}
	return s.ts.Client()
}

// Close releases hanging and delayed requests and, for a started Server,
// shuts the listener down and waits for outstanding requests. It may be
// called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	if s.ts != nil {
		s.ts.Close()
	}
}

func (s *Server) now() time.Time { return s.clock() }

// role is who a request comes from, by its X-Auth-Token.
type role int

const (
	public role = iota // no token, or any token but the admin's (a plain user's, an expired one)
	admin
)

func (s *Server) role(r *http.Request) role {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" && tok == s.adminToken {
		return admin
	}
	return public
}

// requireAdmin answers 401 with an empty body, and returns false, unless the
// request carries the admin token.
func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request) bool {
	if s.role(r) == admin {
		return true
	}
	w.WriteHeader(http.StatusUnauthorized)
	return false
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers status with {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// notFound answers 404 with the documented error body.
func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(errNotFoundBody))
}

// routes is the API: SHIFT72's documented routes (docs/providers.md), and
// 404 for the rest.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /services/users/auth/bouncer", s.bouncer)
	mux.HandleFunc("POST /services/users/auth/sign_in", s.signIn)
	mux.HandleFunc("GET /services/meta/v2/film/{ids}/show_multiple", s.filmShowMultiple)
	mux.HandleFunc("GET /services/meta/v2/film/index", s.filmIndex)
	mux.HandleFunc("GET /services/meta/v2/tv/season/show_multiple", s.seasonShowMultiple)
	mux.HandleFunc("GET /services/meta/v3/tv/index", s.tvIndex)
	mux.HandleFunc("GET /services/meta/v1/bundles", s.bundleList)
	mux.HandleFunc("GET /services/meta/v1/bundles/{id}", s.bundleGet)
	mux.HandleFunc("PUT /services/meta/v1/bundles/{id}/items", s.bundlePutItems)
	mux.HandleFunc("GET /services/meta/v4/featured", s.featuredList)
	mux.HandleFunc("GET /services/meta/v4/featured/{id}", s.featuredGet)
	mux.HandleFunc("GET /services/pricing/v2/geo_block/{platform}/{item...}", s.geoBlockGet)
	mux.HandleFunc("PUT /services/pricing/v2/geo_block/{platform}/{item...}", s.geoBlockPut)
	mux.HandleFunc("GET /services/content/v1/availabilities", s.availabilities)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { notFound(w) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ServeMux would redirect an unclean path (//, /./, a trailing
		// /..); the API has no such redirects.
		if r.URL.Path != path.Clean(r.URL.Path) || r.Method == http.MethodConnect {
			notFound(w)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
