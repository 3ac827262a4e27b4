package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/organizer-dev/organizer/adapters"
)

// BreakerConfig is the per-provider circuit breaker: after Failures
// consecutive failures that are the provider's fault (5xx, 408, timeouts,
// connection errors), the first and the last within Window, the provider's
// events are paused (snoozed, using no attempt) for OpenFor; then one
// attempt goes through as a probe: its success resumes them all, its
// failure pauses them again for twice as long, up to MaxOpenFor. Failures
// 0 turns the breaker off.
type BreakerConfig struct {
	Failures   int      `yaml:"failures"`
	Window     Duration `yaml:"window"`
	OpenFor    Duration `yaml:"open_for"`
	MaxOpenFor Duration `yaml:"max_open_for"`
}

// breakerState is where a breaker stands.
type breakerState int

const (
	closed   breakerState = iota // attempts go through
	open                         // attempts wait until the probe time
	halfOpen                     // one attempt (the probe) may go, or is under way
)

// callOutcome is what an attempt says of its provider's health.
type callOutcome int

const (
	neutral   callOutcome = iota // nothing: no answer expected or the service stopped it
	healthy                      // the provider answered (a 4xx or 429 is an answer)
	unhealthy                    // the provider's fault: 5xx, 408, timeout, no connection
)

// outcomeOf reads an attempt's result for the breaker.
func outcomeOf(err error) callOutcome {
	if err == nil {
		return healthy
	}
	var ce *adapters.CallError
	switch {
	case errors.Is(err, context.Canceled):
		return neutral // the service is stopping, not the provider failing
	case !errors.As(err, &ce):
		return neutral // the store, the rules, the event: not the provider
	case ce.Kind == adapters.Transient:
		return unhealthy
	}
	return healthy
}

// transition is a change a recorded outcome made, for the log.
type transition int

const (
	unchanged transition = iota
	opened               // closed → open: the provider became unavailable
	reopened             // a probe failed: paused again, longer
	recovered            // a probe succeeded: the provider is back
)

// span is a time the breaker was not closed.
type span struct{ from, to time.Time }

// breaker is one provider's circuit breaker. Its methods take the time, so
// that the state machine reads no clock of its own.
type breaker struct {
	mu  sync.Mutex
	cfg BreakerConfig

	state        breakerState
	failures     int       // consecutive provider failures while closed
	firstFailure time.Time // of the current run of failures
	outageStart  time.Time // when it last opened from closed
	until        time.Time // open: when the next probe may go
	openFor      time.Duration
	probing      bool   // half-open: the probe is under way
	past         []span // earlier outages, for the retry horizon
}

// maxSpans bounds the outages a breaker remembers for the retry horizon.
const maxSpans = 1000

func newBreaker(cfg BreakerConfig) *breaker { return &breaker{cfg: cfg} }

// permit is allow's answer: go ahead (ok), as the probe or not, or wait
// that long.
type permit struct {
	ok    bool
	probe bool
	wait  time.Duration
}

// allow is asked before an attempt. A breaker past its open period lets
// one caller through as the probe; while the probe is under way the others
// wait about one more open period.
func (b *breaker) allow(now time.Time) permit {
	if b == nil || b.cfg.Failures <= 0 {
		return permit{ok: true}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case open:
		if now.Before(b.until) {
			return permit{wait: b.until.Sub(now) + spread(b.openFor/4)}
		}
		b.state, b.probing = halfOpen, true
		return permit{ok: true, probe: true}
	case halfOpen:
		if !b.probing {
			b.probing = true
			return permit{ok: true, probe: true}
		}
		return permit{wait: b.openFor/2 + spread(b.openFor/2)}
	}
	return permit{ok: true}
}

// record takes the outcome of an attempt that allow let through. Any
// answer from the provider closes the breaker; a failure counts towards
// opening it while it is closed, and reopens it when it is the probe's.
func (b *breaker) record(now time.Time, p permit, o callOutcome) transition {
	if b == nil || b.cfg.Failures <= 0 {
		return unchanged
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case o == neutral:
		if p.probe && b.state == halfOpen {
			b.probing = false // a probe that said nothing: the next attempt probes
		}
	case o == healthy && b.state == closed:
		b.failures = 0
	case o == healthy:
		b.remember(span{b.outageStart, now})
		b.state, b.failures, b.probing = closed, 0, false
		return recovered
	case b.state == closed:
		if b.failures == 0 || now.Sub(b.firstFailure) > b.cfg.Window.D() {
			b.failures, b.firstFailure = 0, now
		}
		b.failures++
		if b.failures >= b.cfg.Failures {
			b.state, b.openFor, b.outageStart = open, b.cfg.OpenFor.D(), now
			b.until = now.Add(b.openFor)
			return opened
		}
	case p.probe && b.state == halfOpen:
		b.openFor = min(2*b.openFor, b.cfg.MaxOpenFor.D())
		b.state, b.probing, b.until = open, false, now.Add(b.openFor)
		return reopened
	}
	// An attempt let through before the breaker opened failed while it is
	// open: the outage is known already.
	return unchanged
}

// remember keeps an outage for the retry horizon, the oldest dropped past
// maxSpans.
func (b *breaker) remember(s span) {
	if len(b.past) >= maxSpans {
		b.past = b.past[1:]
	}
	b.past = append(b.past, s)
}

// paused is how much of [from, now] the breaker was not closed: time in
// which the provider's events were kept from trying.
func (b *breaker) paused(from, now time.Time) time.Duration {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	spans := b.past
	if b.state != closed {
		spans = append(spans[:len(spans):len(spans)], span{b.outageStart, now})
	}
	var total time.Duration
	for _, s := range spans {
		lo, hi := maxTime(s.from, from), minTime(s.to, now)
		if hi.After(lo) {
			total += hi.Sub(lo)
		}
	}
	return total
}

// isOpen is true while the provider's events are paused or probing.
func (b *breaker) isOpen() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state != closed
}

// spread is a random duration in [0, d], so that paused events do not all
// wake at the same instant.
func spread(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// newBreakers gives each provider with an API client a breaker.
func newBreakers(cfg BreakerConfig, clients map[string]adapters.Client) map[string]*breaker {
	out := make(map[string]*breaker, len(clients))
	for name, c := range clients {
		if c != nil {
			out[name] = newBreaker(cfg)
		}
	}
	return out
}

// gate asks the provider's breaker whether an attempt may go now. A
// permit that is ok must be followed by observeCall.
func (s *Service) gate(provider string) permit {
	return s.breakers[provider].allow(time.Now())
}

// observeCall gives the provider's breaker an attempt's outcome, and logs
// and publishes a change of state once.
func (s *Service) observeCall(provider string, p permit, err error) {
	b := s.breakers[provider]
	if b == nil {
		return
	}
	switch b.record(time.Now(), p, outcomeOf(err)) {
	case opened:
		s.metrics.breakerOpen.WithLabelValues(provider).Set(1)
		s.log.Warn("provider unavailable, pausing attempts", "provider", provider,
			"failures", s.cfg.Breaker.Failures, "probe_in", s.cfg.Breaker.OpenFor.D().String(), "error", err)
	case reopened:
		s.log.Debug("provider still unavailable, pausing attempts longer", "provider", provider, "error", err)
	case recovered:
		s.metrics.breakerOpen.WithLabelValues(provider).Set(0)
		s.log.Info("provider back, resuming attempts", "provider", provider)
	}
}

// pausedError is what a paused event shows until it is attempted.
func pausedError(provider string, wait time.Duration) string {
	return "not attempted: " + provider + " is unavailable (circuit breaker open); the next try is in about " +
		wait.Round(time.Second).String()
}
