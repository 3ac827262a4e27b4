package shift72test

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/organizer-dev/organizer/adapters/internal/simhttp"
)

// maxBody is the most of a request body the simulator reads.
const maxBody = 1 << 20

// Request is one request the Server received.
type Request struct {
	Method string
	Path   string
	Query  string // the raw query, without "?"
	Token  string // the X-Auth-Token sent, if any
	Body   []byte
	Status int       // the status answered; 0 while in flight, or when no response was written (a hang)
	At     time.Time // when it arrived
}

// requestLog is every request, in order of arrival.
type requestLog struct {
	mu   sync.Mutex
	reqs []*Request
}

// Requests returns every request received since the start or the last
// Reset, in order of arrival.
func (s *Server) Requests() []Request {
	return s.log.filter(func(*Request) bool { return true })
}

// Writes returns the requests other than GET and HEAD, in order of arrival.
func (s *Server) Writes() []Request {
	return s.log.filter(func(r *Request) bool { return r.Method != http.MethodGet && r.Method != http.MethodHead })
}

// Reset empties the request log. State and faults are kept.
func (s *Server) Reset() {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.log.reqs = nil
}

func (l *requestLog) filter(keep func(*Request) bool) []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Request
	for _, r := range l.reqs {
		if keep(r) {
			c := *r
			c.Body = slices.Clone(r.Body)
			out = append(out, c)
		}
	}
	return out
}

// logRequests records each request as it arrives, with its body, and its
// status once answered.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		rec := &Request{
			Method: r.Method,
			Path:   r.URL.Path,
			Query:  r.URL.RawQuery,
			Token:  r.Header.Get("X-Auth-Token"),
			Body:   body,
			At:     time.Now(),
		}
		s.log.mu.Lock()
		s.log.reqs = append(s.log.reqs, rec)
		if s.logLimit > 0 && len(s.log.reqs) > s.logLimit {
			s.log.reqs = s.log.reqs[len(s.log.reqs)-s.logLimit:]
		}
		s.log.mu.Unlock()

		sw := &simhttp.StatusWriter{ResponseWriter: w}
		switch {
		case err != nil:
			writeError(sw, http.StatusBadRequest, "the request body could not be read")
		case len(body) > maxBody:
			writeError(sw, http.StatusRequestEntityTooLarge, "the request body is too large")
		default:
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(sw, r)
		}

		s.log.mu.Lock()
		rec.Status = sw.Status
		s.log.mu.Unlock()
	})
}
