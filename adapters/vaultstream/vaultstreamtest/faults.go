package vaultstreamtest

import (
	"context"
	"errors"
	"fmt"
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

// ClearFaults drops every queued fault. It leaves the latency alone.
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

// takeFault uses up one time of the first fault that matches a request.
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
	return Fault{}, false
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
