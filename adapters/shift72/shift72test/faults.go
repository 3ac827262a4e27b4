package shift72test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/organizer-dev/organizer/adapters/internal/simhttp"
)

// Fault is a scripted failure: the next Times requests that match it get
// the failure instead of their answer, and never reach the state. Build one
// with RateLimit, ServerError, NotFound or Hang, then narrow it with For and
// Repeat. The zero Fault answers the next request 500.
type Fault struct {
	Method     string // the method to match; "" matches any
	PathPrefix string // the path prefix to match; "" matches any
	Times      int    // how many matching requests fail; 0 means 1, a negative number means every one

	kind       faultKind
	status     int // for faultStatus; 0 is 500
	retryAfter int // seconds, for faultRateLimit
}

type faultKind int

const (
	faultStatus faultKind = iota
	faultRateLimit
	faultNotFound
	faultHang
)

// RateLimit is a 429 Too Many Requests with Retry-After: seconds.
func RateLimit(seconds int) Fault { return Fault{kind: faultRateLimit, retryAfter: seconds} }

// ServerError is an answer with the status, usually a 5xx such as 503, and
// an {"error": ...} body. (A 429 this way has no Retry-After.)
func ServerError(status int) Fault { return Fault{kind: faultStatus, status: status} }

// NotFound is a 404 with the documented error body.
func NotFound() Fault { return Fault{kind: faultNotFound} }

// Hang answers nothing until the client gives up (the request's context
// ends) or the Server is closed, when the connection is dropped.
func Hang() Fault { return Fault{kind: faultHang} }

// For narrows f to requests with the method ("" for any) whose path starts
// with pathPrefix.
func (f Fault) For(method, pathPrefix string) Fault {
	f.Method, f.PathPrefix = method, pathPrefix
	return f
}

// Repeat makes f hit n matching requests; a negative n, every one.
func (f Fault) Repeat(n int) Fault {
	f.Times = n
	return f
}

func (f Fault) matches(r *http.Request) bool {
	return (f.Method == "" || strings.EqualFold(f.Method, r.Method)) && strings.HasPrefix(r.URL.Path, f.PathPrefix)
}

// faults is the latency, the pending faults, in the order injected, and
// the faults drawn at random: the fail rate and the rate limit.
type faults struct {
	mu      sync.Mutex
	latency time.Duration
	pending []*Fault
	random  simhttp.RandomFaults
}

// SetFailRate makes a fraction f of the requests from now on, 0 (none, the
// default) to 1 (all), fail with 503 and the {"error": ...} body, never
// reaching the state. Each request is drawn independently from src, reads
// and writes alike, after the pending faults and the rate limit; a nil src
// is seeded at random. A request failed this way still counts against the
// rate limit. It returns an error for an f outside 0 to 1.
func (s *Server) SetFailRate(f float64, src rand.Source) error {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if err := s.faults.random.SetFailRate(f, src); err != nil {
		return fmt.Errorf("shift72test: %w", err)
	}
	return nil
}

// SetRateLimit lets at most n requests a second through from now on (0, the
// default, for no limit), whatever their method, path or token: a token
// bucket of n tokens, full at first and refilled at n a second, so a burst
// of n passes at once and then one every 1/n s. A request that finds the
// bucket empty gets 429 Too Many Requests with Retry-After: the whole
// seconds, rounded up, until the next token; it never reaches the state and
// takes no token. Pending faults come first. It returns an error for a
// negative n.
func (s *Server) SetRateLimit(n int) error {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if err := s.faults.random.SetRateLimit(n, time.Now()); err != nil {
		return fmt.Errorf("shift72test: %w", err)
	}
	return nil
}

// drawRandom draws the rate limit and the fail rate for a request. Called
// with fs.mu held.
func (fs *faults) drawRandom(now time.Time) *Fault {
	switch limited, wait, failed := fs.random.Draw(now); {
	case limited:
		f := RateLimit(max(int((wait+time.Second-1)/time.Second), 1))
		return &f
	case failed:
		f := ServerError(http.StatusServiceUnavailable)
		return &f
	}
	return nil
}

// SetLatency delays every request by d before it is answered (0 for none).
// It may be changed while the Server runs.
func (s *Server) SetLatency(d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.latency = d
}

// InjectFault adds a fault. Faults are tried in the order injected; the
// first that matches a request is used (and counted down).
func (s *Server) InjectFault(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.pending = append(s.faults.pending, &f)
}

// ClearFaults removes every pending fault, the latency, the fail rate and
// the rate limit.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.pending, s.faults.latency = nil, 0
	s.faults.random.Clear()
}

// take returns the latency and the fault for r, if any, counting it down:
// the first pending fault that matches r, else the rate limit's or the fail
// rate's.
func (fs *faults) take(r *http.Request) (time.Duration, *Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.pending {
		if !f.matches(r) {
			continue
		}
		hit := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				fs.pending = append(fs.pending[:i], fs.pending[i+1:]...)
			}
		}
		return fs.latency, &hit
	}
	return fs.latency, fs.drawRandom(time.Now())
}

// injectFaults applies the latency, then the first matching fault.
func (s *Server) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		latency, f := s.faults.take(r)
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			case <-s.done:
				t.Stop()
				panic(http.ErrAbortHandler) // closed: drop the connection, answer nothing
			}
		}
		if f == nil {
			next.ServeHTTP(w, r)
			return
		}
		switch f.kind {
		case faultHang:
			select {
			case <-r.Context().Done():
			case <-s.done:
				panic(http.ErrAbortHandler) // closed: drop the connection, answer nothing
			}
		case faultNotFound:
			notFound(w)
		case faultRateLimit:
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
			writeError(w, http.StatusTooManyRequests, "Too many requests")
		default:
			status := cmp.Or(f.status, http.StatusInternalServerError)
			writeError(w, status, cmp.Or(http.StatusText(status), "error"))
		}
	})
}
