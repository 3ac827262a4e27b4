package adapters

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kind says how a failed call to a platform's API should be handled.
type Kind int

// The kinds of failure.
const (
	// Permanent failures (a 4xx other than 408 and 429) will fail again:
	// the action goes to the dead letters at once.
	Permanent Kind = iota
	// Transient failures (5xx, 408, timeouts, connection errors) may pass
	// on a later attempt, after a backoff with jitter.
	Transient
	// RateLimited failures (429) pass after the platform's Retry-After.
	RateLimited
)

func (k Kind) String() string {
	switch k {
	case Transient:
		return "transient"
	case RateLimited:
		return "rate-limited"
	}
	return "permanent"
}

// CallError is a failed call to a platform's API, classified.
type CallError struct {
	Kind       Kind
	Status     int           // the HTTP status, or 0 when no response came
	RetryAfter time.Duration // for RateLimited: how long the platform asked to wait (0 if it did not say)
	Message    string        // what went wrong, with the start of the platform's error body
	Err        error         // the transport error, when no response came
}

func (e *CallError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s failure: %s", e.Kind, e.Message)
	}
	return fmt.Sprintf("%s failure: HTTP %d: %s", e.Kind, e.Status, e.Message)
}

func (e *CallError) Unwrap() error { return e.Err }

// maxErrorBody is how much of an error body a CallError keeps.
const maxErrorBody = 512

// Classify turns the outcome of a call into nil (a 2xx) or a *CallError.
// now is the time used to read a Retry-After given as an HTTP date. It reads
// at most a little of an error body and leaves closing it to the caller.
func Classify(resp *http.Response, err error, now time.Time) error {
	if err != nil {
		return classifyTransport(err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &CallError{Kind: Permanent, Status: resp.StatusCode, Message: strings.TrimSpace(string(body))}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = RateLimited, RetryAfter(resp.Header.Get("Retry-After"), now)
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		e.Kind = Transient
	}
	return e
}

func classifyTransport(err error) error {
	e := &CallError{Kind: Transient, Message: err.Error(), Err: err}
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled):
		e.Message = "the call was cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		e.Message = "the platform did not answer in time: " + err.Error()
	}
	return e
}

// RetryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). A missing, malformed or past value is 0.
func RetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if secs, err := strconv.Atoi(value); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}
