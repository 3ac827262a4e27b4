package server

import (
	"context"
	"errors"
	"sync"
	"time"
)

// runCommit is a run of the job of one intake commit's events: the first
// attempt at each, through the same steps as any other attempt. Events of
// one item go one after the other in arrival order, items concurrently (at
// most the workers setting in all). An event that cannot finish here is
// handed to a job of its own, scheduled as River would schedule its own
// job (after the backoff, a rate limit's wait, or the order wait), in the
// write that records the attempt; once one event of an item is handed on,
// the item's later events follow it. The job's own failures are the
// store's: River runs it again, and the events it finished are skipped.
//
// A run again (rerun: after a crash, or the store failing the job) hands
// each event it had not finished to a job of its own, counting the
// interrupted attempt, so an event that keeps crashing the service runs
// out of attempts like any other.
func (s *Service) runCommit(ctx context.Context, refs []eventRef, rerun bool) error {
	deadline := time.Now().Add(s.cfg.JobTimeout.D())
	evs, err := s.store.forAttempts(ctx, refs)
	if err != nil {
		return err
	}
	var groups [][]pendingEvent
	index := map[string]int{}
	for _, e := range evs {
		key := e.Provider + "\x00" + e.ContentID
		if e.ContentID == "" {
			key = e.ID
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], e)
	}
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for gi, group := range groups {
		wg.Go(func() {
			if rerun {
				errs[gi] = s.handOffInterrupted(ctx, group)
				return
			}
			errs[gi] = s.firstAttempts(ctx, group, deadline)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// firstAttempts makes the first attempt at the events of one item, in
// arrival order, until one of them has to wait.
func (s *Service) firstAttempts(ctx context.Context, group []pendingEvent, deadline time.Time) error {
	waiting := group[0].waiting
	for _, e := range group {
		if waiting {
			e.Status, e.Error = StatusRetrying, "waiting for an earlier event of the same item"
			if err := s.handOn(ctx, &attempt{ref: eventRef{ID: e.ID, Generation: e.Replays}, event: e.Event}, 0, orderWait(s.cfg.OrderWait.D(), 0)); err != nil {
				return err
			}
			continue
		}
		done, err := s.firstAttempt(ctx, e.Event, deadline)
		if err != nil {
			return err
		}
		waiting = !done
	}
	return nil
}

// firstAttempt makes an event's first attempt and settles what follows:
// finished (done), or handed on to a job of its own.
func (s *Service) firstAttempt(ctx context.Context, e *Event, deadline time.Time) (done bool, err error) {
	a := &attempt{ref: eventRef{ID: e.ID, Generation: e.Replays}, event: e, number: 1, last: s.cfg.MaxAttempts <= 1 || s.pastHorizon(e)}
	if time.Now().After(deadline) {
		return false, s.handOn(ctx, a, 0, 0) // out of time: its own job makes the attempt
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return false, s.handOn(ctx, a, 0, 0)
	}
	p := s.gate(e.Provider)
	if !p.ok { // the provider is down: its own job waits for it, using no attempt
		e.Status, e.Error = StatusRetrying, pausedError(e.Provider, p.wait)
		return false, s.handOn(ctx, a, 0, p.wait)
	}
	e.Attempts = 1
	actx, cancel := context.WithTimeout(ctx, s.cfg.JobTimeout.D())
	err = s.attempt(actx, a)
	cancel()
	s.observeCall(e.Provider, p, err)
	if err == nil {
		return true, nil
	}
	switch v, wait := s.judge(e, err, a.last); v {
	case deadLetter, exhausted:
		return true, s.finish(ctx, a)
	case snoozed:
		return false, s.handOn(ctx, a, 0, wait) // a snooze uses no attempt
	default:
		return false, s.handOn(ctx, a, 1, backoff(s.cfg.RetryBase.D(), s.cfg.RetryMax.D(), 1))
	}
}

// handOffInterrupted gives each unfinished event of an interrupted commit's
// job a job of its own, counting the interrupted attempt.
func (s *Service) handOffInterrupted(ctx context.Context, group []pendingEvent) error {
	for _, e := range group {
		e.Status, e.Error, e.Attempts = StatusRetrying, "the attempt was interrupted (the service stopped or crashed)", 1
		if err := s.handOn(ctx, &attempt{ref: eventRef{ID: e.ID, Generation: e.Replays}, event: e.Event}, 1, 0); err != nil {
			return err
		}
	}
	return nil
}

// handOn records the attempt (retrying, with its error) and gives the
// event a job of its own, to run after delay with prior attempts made, in
// one write.
func (s *Service) handOn(ctx context.Context, a *attempt, prior int, delay time.Duration) error {
	a.event.Status = StatusRetrying
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := time.Now()
	if err := s.store.handOff(ctx, a.event, a.decision, now, s.ownJob(a.ref, prior, now.Add(delay))); err != nil {
		return err
	}
	a.decision = nil
	s.metrics.observeOutcome(a.event)
	return nil
}
