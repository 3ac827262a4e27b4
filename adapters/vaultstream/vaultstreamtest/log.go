package vaultstreamtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Request is one request the simulator received.
type Request struct {
	Method string
	Path   string // relative to /v1, as API.md writes it: /content/c_1
	Query  url.Values
	Header http.Header
	Body   []byte
	// Status is the status answered; 0 while the request is in flight and
	// when no answer was sent (a hang, or a client gone during the latency).
	Status int
	Time   time.Time // when it arrived
}

// String is the request as API.md writes it: "PATCH /content/c_1".
func (r Request) String() string { return r.Method + " " + r.Path }

// IsWrite reports whether the request may change state: any method but
// GET, HEAD and OPTIONS.
func (r Request) IsWrite() bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// Requests returns every request received since the start or the last
// Reset, in the order they arrived, including those a fault answered.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		out[i] = r.clone()
	}
	return out
}

// Writes returns the requests that may change state (see Request.IsWrite).
func (s *Server) Writes() []Request {
	return slices.DeleteFunc(s.Requests(), func(r Request) bool { return !r.IsWrite() })
}

// Reset empties the request log. It leaves the state and the faults alone.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// record logs a request as it arrives and returns its entry, for finish.
func (s *Server) record(r *http.Request, body []byte) *Request {
	e := &Request{Method: r.Method, Path: relPath(r.URL.Path), Query: r.URL.Query(),
		Header: r.Header.Clone(), Body: body, Time: time.Now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, e)
	return e
}

// finish sets the status a logged request was answered with.
func (s *Server) finish(e *Request, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Status = status
}

func (r *Request) clone() Request {
	c := *r
	c.Query = url.Values(http.Header(r.Query).Clone())
	c.Header = r.Header.Clone()
	c.Body = slices.Clone(r.Body)
	return c
}

// relPath strips the /v1 prefix: /v1/content/c_1 is /content/c_1. Paths
// outside /v1 are kept whole.
func relPath(p string) string {
	if p == "/v1" {
		return "/"
	}
	if rest, ok := strings.CutPrefix(p, "/v1/"); ok {
		return "/" + rest
	}
	return p
}
