package vaultstreamtest

import (
	"bytes"
	"crypto/subtle"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/organizer-dev/organizer/adapters/internal/simhttp"
)

// DefaultToken is the bearer token the simulator accepts unless WithToken
// sets another.
const DefaultToken = "vs_test_token"

// maxBody is the largest request body the simulator reads.
const maxBody = 1 << 20

// Option configures a simulator.
type Option func(*Server)

// WithToken sets the bearer token every request must carry.
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithoutExpand makes GET /analytics/content-usage ignore expand=content
// and answer only the fields the guide documents (content_id, title,
// last_accessed), as a VaultStream without that designed expansion would.
func WithoutExpand() Option {
	return func(s *Server) { s.noExpand = true }
}

// Server is a VaultStream API simulator. It is safe for concurrent use:
// seeding, assertions and fault injection may happen while it serves.
type Server struct {
	token    string
	noExpand bool
	handler  http.Handler
	mux      *http.ServeMux
	ts       *httptest.Server
	done     chan struct{} // closed by Close, to release hanging requests
	once     sync.Once

	mu      sync.Mutex // guards what follows
	st      *state
	log     []*Request
	faults  []*queuedFault
	latency time.Duration
	random  simhttp.RandomFaults // SetFailRate and SetRateLimit
}

// New returns a simulator that does not listen: serve its Handler on an
// address of your choosing, at the root, since it answers under /v1. Call
// Close when done, to release requests a fault keeps hanging.
func New(opts ...Option) *Server {
	s := &Server{token: DefaultToken, done: make(chan struct{}), st: newState()}
	for _, o := range opts {
		o(s)
	}
	s.mux = s.routes()
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s
}

// NewServer returns a simulator listening on a loopback port. Call Close
// when done.
func NewServer(opts ...Option) *Server {
	s := New(opts...)
	s.ts = httptest.NewServer(s.handler)
	return s
}

// URL is the API's base URL, with the /v1 prefix: http://127.0.0.1:1234/v1.
// It is "" for a simulator made by New.
func (s *Server) URL() string {
	if s.ts == nil {
		return ""
	}
	return s.ts.URL + "/v1"
}

// Token is the bearer token the simulator accepts.
func (s *Server) Token() string { return s.token }

// Handler is the simulator as an http.Handler, answering under /v1.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases hanging requests and, for NewServer, stops listening,
// waiting for the requests in flight. It may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		if s.ts != nil {
			s.ts.Close()
		}
	})
}

// serveHTTP logs the request, then applies the latency, the faults (the
// queued ones, then the rate limit and the fail rate), the bearer token and
// the routes, in that order.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	entry := s.record(r, body)
	sw := &simhttp.StatusWriter{ResponseWriter: w}
	defer func() { s.finish(entry, sw.Status) }()
	switch {
	case err != nil:
		writeError(sw, invalid("the body could not be read: %v", err))
		return
	case len(body) > maxBody:
		writeError(sw, invalid("the body is larger than %d bytes", maxBody))
		return
	}
	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 && !s.wait(r.Context(), latency) {
		panic(http.ErrAbortHandler) // the client is gone, or Close was called: drop the connection
	}
	if f, ok := s.takeFault(r.Method, relPath(r.URL.Path)); ok {
		s.serveFault(sw, r, f)
		return
	}
	if !s.authorized(r.Header.Get("Authorization")) {
		writeError(sw, &apiError{status: http.StatusUnauthorized, code: "unauthorized",
			message: "a missing or wrong bearer token"})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mux.ServeHTTP(sw, r)
}

// authorized reports whether an Authorization header carries the token.
func (s *Server) authorized(header string) bool {
	scheme, token, ok := strings.Cut(header, " ")
	return ok && strings.EqualFold(scheme, "Bearer") && s.token != "" &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.token)) == 1
}
