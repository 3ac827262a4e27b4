package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// attempt is one attempt at one event. What belongs to the attempt, and
// not to the event, lives here: its number, whether it is the last, the
// decision it made and has not written yet, and the item as its
// enrichment read it.
type attempt struct {
	ref     eventRef
	number  int  // 1 for the first; a snooze uses none
	last    bool // no attempt follows if this one fails
	snoozes int  // how often the event's job was snoozed before this run

	event    *Event
	plan     engine.Plan     // the decision's plan, once decided
	decision *decisionRecord // made in this attempt, not yet written
	state    adapters.State  // the item as this attempt's enrichment read it
	before   *engine.Content // the same, as the rules see it: what a revert puts back
	read     bool            // this attempt read the item (before is nil if it is gone)
	revert   *revertSpec     // set when the decision is a revert: what the item must still hold
	held     bool            // the new decision is held: a guard or the loop check
	echo     bool            // the event only reports what organizer wrote: not decided
	matched  []string        // the decision's matched rules, for the loop check
}

// runOwn is a run of a job of one event: a retry, a wait for order, a
// replay, or a commit of one webhook. It returns what River should do
// next: nothing (nil), retry after the backoff (an error), snooze, or
// cancel.
func (s *Service) runOwn(ctx context.Context, a *attempt) error {
	evs, err := s.store.forAttempts(ctx, []eventRef{a.ref})
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return nil // replayed since, or already done: this job is stale
	}
	if evs[0].waiting { // events of one item are applied in arrival order
		return river.JobSnooze(orderWait(s.cfg.OrderWait.D(), a.snoozes))
	}
	a.event = evs[0].Event
	p := s.gate(a.event.Provider)
	if !p.ok { // the provider is down: wait for it without using an attempt
		return river.JobSnooze(p.wait)
	}
	a.event.Attempts = a.number
	a.last = a.last || s.pastHorizon(a.event)
	err = s.attempt(ctx, a)
	s.observeCall(a.event.Provider, p, err)
	if err != nil {
		return s.fail(ctx, a, err)
	}
	return nil
}

// attempt takes one event through the pipeline once: enrich, evaluate and
// record the decision (once per generation), apply, record. Every provider
// action is idempotent (the client reads the item and writes only what
// differs), so an attempt repeated after a crash writes nothing twice. It
// returns the failure that ended the attempt, not yet recorded.
func (s *Service) attempt(ctx context.Context, a *attempt) error {
	e := a.event
	client := s.clients[e.Provider]
	plan, err := s.decide(ctx, a, client)
	if err != nil {
		return err
	}
	a.plan = plan
	if a.echo {
		e.Status, e.Error, e.Results = StatusEcho, "", []ActionResult{}
		return s.finish(ctx, a)
	}
	if a.held {
		// Nothing is applied until a person approves: the decision and
		// the status are one write.
		e.Status, e.Error, e.Results = StatusHeld, "", []ActionResult{}
		return s.finish(ctx, a)
	}
	actions := adapters.Actions(plan)
	if client == nil {
		// Nothing is applied: the decision and the outcome are one write.
		e.Status, e.Error, e.Results = StatusRecorded, "", recorded(actions)
		return s.finish(ctx, a)
	}
	if a.decision != nil && len(actions) > 0 {
		// Recorded before anything is applied, so that a crash in the
		// middle leaves the decision to finish with, not a new one.
		if err := s.store.saveDecision(ctx, e, a.decision, time.Now()); err != nil {
			return err
		}
		a.decision = nil
	}
	s.readBefore(ctx, client, a)
	allowed, refused := conflicts(a.revert, a.before, actions)
	results := apply(ctx, client, a, allowed)
	s.merge(e, a.before, results, refused)
	s.noteWrites(e, results, a.matched)
	if err := applyError(results); err != nil {
		return err
	}
	e.Status, e.Error = StatusApplied, ""
	return s.finish(ctx, a)
}

// apply applies the actions, from the state the enrichment read in this
// attempt when the client can (one read of the item, not two).
func apply(ctx context.Context, client adapters.Client, a *attempt, actions []adapters.Action) []adapters.Result {
	if sr, ok := client.(adapters.StateReader); ok && a.state != nil {
		return sr.ApplyState(ctx, a.state, actions)
	}
	return client.Apply(ctx, a.event.ContentID, actions)
}

// decide evaluates the event once per generation; a retry applies the
// decision already made. A new decision is kept on the event, and noted on
// the attempt for the next write to record.
func (s *Service) decide(ctx context.Context, a *attempt, client adapters.Client) (engine.Plan, error) {
	e := a.event
	if e.Decision != nil {
		var d struct {
			Plan    engine.Plan `json:"plan"`
			Matched []string    `json:"matched"`
			Revert  *revertSpec `json:"revert"`
		}
		if err := json.Unmarshal(e.Decision, &d); err != nil {
			return engine.Plan{}, permanent(fmt.Errorf("reading the recorded decision: %w", err))
		}
		a.revert, a.matched = d.Revert, d.Matched
		return d.Plan, nil
	}
	rs := s.rules.Current()
	if rs == nil {
		return engine.Plan{}, errNoRuleset
	}
	ev, err := decodeStored(s.registry, e)
	if err != nil {
		return engine.Plan{}, permanent(err)
	}
	ev.ReceivedAt = e.ReceivedAt
	if a.echo = s.isEcho(e, ev); a.echo {
		return engine.Plan{}, nil
	}
	if client != nil && ev.Content.ID != "" {
		var found bool
		if a.state, found, err = enrich(ctx, client, &ev); err != nil {
			return engine.Plan{}, err
		}
		a.read = true
		if found {
			content := ev.Content
			a.before = &content
		}
	}
	d := s.evaluate(ctx, rs, ev)
	if !d.Held() {
		s.checkLoop(e, &d)
	}
	a.held, a.matched = d.Held(), d.Matched
	body, err := json.Marshal(newStoredDecision(d))
	if err != nil {
		return engine.Plan{}, permanent(fmt.Errorf("encoding the decision: %w", err))
	}
	e.Decision, a.decision = body, &decisionRecord{ruleset: d.Ruleset}
	s.metrics.observeDecision(d)
	return d.Plan, nil
}

// decodeStored reads a stored event: a webhook body through its provider,
// or an item of a schedule's run (type schedule.NAME), stored as the event
// it is.
func decodeStored(reg *adapters.Registry, e *Event) (engine.Event, error) {
	if strings.HasPrefix(e.Type, "schedule.") {
		var ev engine.Event
		if err := json.Unmarshal(e.Payload, &ev); err != nil {
			return engine.Event{}, fmt.Errorf("decoding the stored item of a schedule's run: %w", err)
		}
		return ev, nil
	}
	ev, err := reg.DecodePayload(e.Provider, e.Payload)
	if err != nil {
		return engine.Event{}, fmt.Errorf("decoding the stored webhook: %w", err)
	}
	return ev, nil
}

var errNoRuleset = errors.New("no valid ruleset is loaded yet; the event waits for one")

// enrich replaces the webhook's view of the item with the platform's: the
// current title and metadata. An item the platform no longer has keeps
// what the webhook said, so that rules for deletions still run. A client
// that can apply from what it read returns that state, for this attempt's
// apply.
func enrich(ctx context.Context, client adapters.Client, ev *engine.Event) (adapters.State, bool, error) {
	var content engine.Content
	var state adapters.State
	var err error
	if sr, ok := client.(adapters.StateReader); ok {
		content, state, err = sr.ReadState(ctx, ev.Content.ID)
	} else {
		content, err = client.Fetch(ctx, ev.Content.ID)
	}
	var ce *adapters.CallError
	switch {
	case err == nil:
		content.ID = ev.Content.ID
		if content.Title == "" {
			content.Title = ev.Content.Title
		}
		ev.Content = content
		return state, true, nil
	case errors.As(err, &ce) && ce.Status == 404:
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("fetching %s: %w", ev.Content.ID, err)
	}
}

// evaluate runs the rules and keeps a compact decision: the plan and its
// sources, the names of the rules that matched, and the trace of those that
// failed and of shadow rules that matched (with what they would have done).
// Why each other rule did not match is recomputed on demand (POST
// /v1/dry-run, organizer dry-run): that full trace was most of each stored
// decision, which rides in the same commits as the webhooks; and the
// evaluation runs only the rules the index says can match.
func (s *Service) evaluate(ctx context.Context, rs *engine.Ruleset, ev engine.Event) engine.Decision {
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	return rs.Evaluate(ctx, ev)
}

const evalTimeout = 2 * time.Second

// merge folds an attempt's results into the event's: an action done in an
// earlier attempt keeps that result; the others take this attempt's.
// An action applied now records what the item held before (from the
// state this attempt read), for a revert. A revert's refused actions
// (conflicts, by index among all the plan's actions) take their places.
func (s *Service) merge(e *Event, prior *engine.Content, results []adapters.Result, refused map[int]ActionResult) {
	prev := e.Results
	e.Results = make([]ActionResult, len(results)+len(refused))
	next := 0
	for i := range e.Results {
		if ar, ok := refused[i]; ok {
			e.Results[i] = ar
			continue
		}
		r := results[next]
		next++
		ar := ActionResult{Action: r.Action.String(), Kind: string(r.Action.Kind), Outcome: string(r.Outcome), Calls: r.Calls, Attempts: 1}
		if r.Err != nil {
			ar.Error = r.Err.Error()
		}
		if r.Outcome == adapters.Applied {
			ar.Before = before(prior, r.Action)
		}
		if i < len(prev) && prev[i].Action == ar.Action {
			old := prev[i]
			if old.Outcome != string(adapters.Failed) {
				old.Calls += r.Calls
				e.Results[i] = old
				continue
			}
			ar.Attempts = old.Attempts + 1
			ar.Calls += old.Calls
		}
		e.Results[i] = ar
		s.actions.Add(1)
		s.metrics.observeAction(e.Provider, ar)
	}
}

// recorded lists the actions a record-only provider would have applied.
func recorded(actions []adapters.Action) []ActionResult {
	out := make([]ActionResult, len(actions))
	for i, a := range actions {
		out[i] = ActionResult{Action: a.String(), Kind: string(a.Kind), Outcome: string(StatusRecorded)}
	}
	return out
}

// applyError is the failure that decides an attempt's fate: a permanent one
// dead-letters the event, else a rate limit snoozes it, else a transient
// failure retries it.
func applyError(results []adapters.Result) error {
	var worst error
	rank := func(err error) int {
		var ce *adapters.CallError
		if !errors.As(err, &ce) {
			return 3 // not an answer from the platform: a bad action
		}
		switch ce.Kind {
		case adapters.Permanent:
			return 3
		case adapters.RateLimited:
			return 2
		}
		return 1
	}
	for _, r := range results {
		if r.Outcome == adapters.Failed && (worst == nil || rank(r.Err) > rank(worst)) {
			worst = fmt.Errorf("%s: %w", r.Action, r.Err)
			if !errors.As(r.Err, new(*adapters.CallError)) {
				worst = permanent(worst)
			}
		}
	}
	return worst
}

type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

func permanent(err error) error { return permanentError{err} }

// verdict is what a failed attempt leads to.
type verdict int

const (
	retry      verdict = iota // back off and try again
	snoozed                   // rate-limited: wait for Retry-After, using no attempt
	deadLetter                // a failure no retry can cure
	exhausted                 // out of attempts
)

// judge decides what a failed attempt leads to, and records it on the
// event: its error, and its status (dead or retrying). wait is how long a
// rate limit asks to wait.
func (s *Service) judge(e *Event, err error, last bool) (v verdict, wait time.Duration) {
	e.Status, e.Error = StatusRetrying, err.Error()
	var ce *adapters.CallError
	switch {
	case isPermanent(err):
		e.Status = StatusDead
		return deadLetter, 0
	case errors.As(err, &ce) && ce.Kind == adapters.RateLimited:
		return snoozed, s.snooze(ce)
	case last:
		e.Status = StatusDead
		e.Error = fmt.Sprintf("gave up after %d attempt%s over %s: %v", e.Attempts, plural(e.Attempts),
			time.Since(e.ReceivedAt).Round(time.Second), err)
		return exhausted, 0
	}
	return retry, 0
}

// pastHorizon is true once an event has been failing for retry_horizon
// since it arrived, not counting the time its provider's breaker kept it
// from trying: its next failure dead-letters it, whatever attempts it has
// left. A provider down for hours, or days, then costs waiting, not events.
func (s *Service) pastHorizon(e *Event) bool {
	now := time.Now()
	failing := now.Sub(e.ReceivedAt) - s.breakers[e.Provider].paused(e.ReceivedAt, now)
	return failing >= s.cfg.RetryHorizon.D()
}

// snooze is how long a rate-limited event waits: the platform's
// Retry-After, at least a second and at most snooze_max.
func (s *Service) snooze(ce *adapters.CallError) time.Duration {
	return min(max(ce.RetryAfter, time.Second), s.cfg.SnoozeMax.D())
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// fail records a failed attempt and tells River what to do next: cancel a
// dead letter, snooze a rate limit, retry after the backoff (or discard the
// job when this was the last attempt, the event dead-lettered).
func (s *Service) fail(ctx context.Context, a *attempt, err error) error {
	v, wait := s.judge(a.event, err, a.last)
	if err := s.finish(ctx, a); err != nil {
		return err
	}
	switch v {
	case deadLetter, exhausted:
		return river.JobCancel(err) // the event is dead: its job ends here
	case snoozed:
		return river.JobSnooze(wait)
	}
	return err
}

// isPermanent is true for failures that no retry can cure: the platform's
// 4xx answers, and problems with the event or decision itself.
func isPermanent(err error) bool {
	if errors.As(err, new(permanentError)) {
		return true
	}
	var ce *adapters.CallError
	return errors.As(err, &ce) && ce.Kind == adapters.Permanent
}

// finish records the attempt's outcome, with its decision if that is not
// written yet.
func (s *Service) finish(ctx context.Context, a *attempt) error {
	// Record even if the job's context has run out: the attempt happened.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var notes []engine.Notify
	if st := a.event.Status; st == StatusApplied || st == StatusRecorded {
		notes = a.plan.Notify // the decision is carried out: now tell whom it names
	}
	if err := s.store.saveOutcome(ctx, a.event, a.decision, time.Now(), notes); err != nil {
		return err
	}
	a.decision = nil
	s.metrics.observeOutcome(a.event)
	return nil
}
