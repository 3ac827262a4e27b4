package vaultstreamtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Forever, as Fault.Times, makes a fault answer every matching request
// until ClearFaults.
const Forever = -1

// Fault is a scripted failure: the next matching requests get it instead of
// the API's answer, and change nothing.
type Fault struct {
	// Match selects requests: "PATCH /content/" (a method and a path
	// prefix, relative to /v1), "/content/" (any method), "PATCH" (any
	// path), or "" (every request).
	Match string
	// Status is the status to answer with, 400 to 599, with the error body
	// of API.md (429 rate_limited, 404 not_found, 5xx unavailable, ...).
	// It is ignored when Hang is set.
	Status int
	// RetryAfter, for a 429, is sent as Retry-After in whole seconds,
	// rounded up; 0 sends no Retry-After.
	RetryAfter time.Duration
	// Hang answers nothing: the request waits until the client gives up
	// (its context is done) or the simulator is closed, then the
	// connection is dropped.
	Hang bool
	// Times is how many matching requests get the fault: 0 means once,
	// Forever means every one.
	Times int
	// Message replaces the error body's default message.
	Message string
}

// ErrBadFault is returned by Fail for a fault that cannot be served.
var ErrBadFault = errors.New("vaultstreamtest: bad fault")

type queuedFault struct {
	Fault
	method, prefix string
	left           int // < 0: forever
}

func (q *queuedFault) matches(method, path string) bool {
	return (q.method == "" || q.method == method) && strings.HasPrefix(path, q.prefix)
}

// Fail queues faults, after those already queued. A request gets the first
// queued fault that matches it. It can be called while requests are served.
func (s *Server) Fail(faults ...Fault) error {
	queued := make([]*queuedFault, 0, len(faults))
	for _, f := range faults {
		if !f.Hang && (f.Status < 400 || f.Status > 599) {
			return fmt.Errorf("%w: status %d is not an error status (400 to 599) and the fault does not hang", ErrBadFault, f.Status)
		}
		if f.Times < Forever {
			return fmt.Errorf("%w: Times %d: want Forever, 0 (once) or more", ErrBadFault, f.Times)
		}
		q := &queuedFault{Fault: f, left: max(f.Times, 1)}
		if f.Times == Forever {
			q.left = Forever
		}
		method, prefix, _ := strings.Cut(strings.TrimSpace(f.Match), " ")
		if strings.HasPrefix(method, "/") {
			method, prefix = "", method
		}
		q.method, q.prefix = strings.ToUpper(method), relPath(strings.TrimSpace(prefix))
		queued = append(queued, q)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, queued...)
	return nil
}

// ClearFaults drops every queued fault. It leaves the latency, the fail
// rate and the rate limit alone.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// PendingFaults is how many queued faults have not been used up.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// SetLatency delays every request from now on by d before it is answered
// (0 for none). A client that gives up meanwhile gets no answer.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetFailRate makes a fraction f of the requests from now on, 0 (none, the
// default) to 1 (all), fail with 503 and the unavailable error body,
// changing nothing. Each request is drawn independently from src, reads and
// writes alike, after the queued faults and the rate limit; a nil src is
// seeded at random. A request failed this way still counts against the
// rate limit. It returns an ErrBadFault for an f outside 0 to 1.
func (s *Server) SetFailRate(f float64, src rand.Source) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.random.SetFailRate(f, src); err != nil {
		return fmt.Errorf("%w: %v", ErrBadFault, err)
	}
	return nil
}

// SetRateLimit lets at most n requests a second through from now on (0, the
// default, for no limit), whatever their method, path or token: a token
// bucket of n tokens, full at first and refilled at n a second, so a burst
// of n passes at once and then one every 1/n s. A request that finds the
// bucket empty gets 429 with the rate_limited error body and Retry-After:
// the whole seconds, rounded up, until the next token; it changes nothing
// and takes no token. Queued faults come first. It returns an ErrBadFault
// for a negative n.
func (s *Server) SetRateLimit(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.random.SetRateLimit(n, time.Now()); err != nil {
		return fmt.Errorf("%w: %v", ErrBadFault, err)
	}
	return nil
}

// drawRandom draws the rate limit and the fail rate for a request. Called
// with s.mu held.
func (s *Server) drawRandom(now time.Time) (Fault, bool) {
	switch limited, wait, failed := s.random.Draw(now); {
	case limited:
		return Fault{Status: http.StatusTooManyRequests, RetryAfter: wait,
			Message: fmt.Sprintf("rate limit of %d requests a second exceeded", s.random.Limit())}, true
	case failed:
		return Fault{Status: http.StatusServiceUnavailable,
			Message: fmt.Sprintf("injected fault: service unavailable (fail rate %v)", s.random.FailRate())}, true
	}
	return Fault{}, false
}

// takeFault uses up one time of the first queued fault that matches a
// request or, when none does, draws the rate limit and the fail rate.
func (s *Server) takeFault(method, path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, q := range s.faults {
		if !q.matches(method, path) {
			continue
		}
		if q.left > 0 {
			q.left--
			if q.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return q.Fault, true
	}
	return s.drawRandom(time.Now())
}

// serveFault answers with a fault.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f Fault) {
	if f.Hang {
		s.wait(r.Context(), 0)
		panic(http.ErrAbortHandler) // no answer at all, even when Close ends the hang
	}
	if f.Status == http.StatusTooManyRequests && f.RetryAfter > 0 {
		secs := (f.RetryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	msg := f.Message
	if msg == "" {
		msg = "injected fault: " + strings.ToLower(http.StatusText(f.Status))
	}
	writeError(w, &apiError{status: f.Status, code: codeFor(f.Status), message: msg})
}

// wait sleeps for d, or until ctx is done or the simulator closes when d is
// 0, and reports whether the full delay passed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}
