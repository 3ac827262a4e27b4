package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// batchArgs is the job of the events of one intake commit: one River job
// per commit rather than per event, so the queue's own bookkeeping (insert,
// fetch, completion: statements on SQLite's one writing connection) is paid
// once per batch. Each event's first attempt runs in it; an event that
// needs another attempt, or must wait for an earlier event of its item, is
// handed to a job of its own (processArgs), with River's retry, snooze and
// dead-letter handling.
type batchArgs struct {
	EventIDs []string `json:"event_ids"`
}

// Kind implements river.JobArgs.
func (batchArgs) Kind() string { return "organizer_process_batch" }

// processArgs is the job of one event: a retry, a wait for order, or a
// replay. Generation tells a replay's job from older ones; Prior counts the
// attempts made before the job (in its batch).
type processArgs struct {
	EventID    string `json:"event_id"`
	Generation int    `json:"generation"`
	Prior      int    `json:"prior,omitempty"`
}

// Kind implements river.JobArgs.
func (processArgs) Kind() string { return "organizer_process_event" }

// batchWorker runs batch jobs for River.
type batchWorker struct {
	river.WorkerDefaults[batchArgs]
	s *Service
}

// Work implements river.Worker.
func (w *batchWorker) Work(ctx context.Context, job *river.Job[batchArgs]) error {
	return w.s.processBatch(ctx, job.Args.EventIDs, job.Attempt > 1)
}

// Timeout implements river.Worker: events still waiting at the batch's
// deadline (job_timeout) are handed to jobs of their own, so a batch ends
// within two job timeouts, well before the rescuer would run it again.
func (w *batchWorker) Timeout(*river.Job[batchArgs]) time.Duration {
	return 2*w.s.cfg.JobTimeout.D() + 5*time.Second
}

// worker runs single-event jobs for River.
type worker struct {
	river.WorkerDefaults[processArgs]
	s *Service
}

// Work implements river.Worker.
func (w *worker) Work(ctx context.Context, job *river.Job[processArgs]) error {
	return w.s.process(ctx, job.Args, job.Attempt, job.MaxAttempts)
}

// NextRetry is exponential backoff with jitter: retry_base·2^(attempt-1),
// capped at retry_max, then a random point in its upper half, so a
// recovering provider is not hit by every event at once.
func (w *worker) NextRetry(job *river.Job[processArgs]) time.Time {
	return time.Now().Add(backoff(w.s.cfg.RetryBase.D(), w.s.cfg.RetryMax.D(), job.Args.Prior+job.Attempt))
}

func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

// Timeout implements river.Worker.
func (w *worker) Timeout(*river.Job[processArgs]) time.Duration { return w.s.cfg.JobTimeout.D() }

// processBatch makes the first attempt at each event of a batch: events of
// one item one after the other in arrival order, items concurrently (up to
// the workers setting). An event already past its first attempt is left to
// its own job, so a batch run again does no work twice. A batch run again
// (after a crash, or the store failing it) gives each event it had not
// finished a job of its own, counting the interrupted attempt, so that an
// event that keeps crashing the service runs out of attempts like any other.
func (s *Service) processBatch(ctx context.Context, ids []string, rerun bool) error {
	deadline := time.Now().Add(s.cfg.JobTimeout.D())
	var groups [][]*Event
	index := map[string]int{}
	evs, err := s.store.getMany(ctx, ids)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.Status != Queued || e.Attempts != 0 || e.Replays != 0 {
			continue
		}
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
	var waiting []bool
	if !rerun {
		firsts := make([]*Event, len(groups))
		for i, g := range groups {
			firsts[i] = g[0]
		}
		if waiting, err = s.store.waitingItems(ctx, firsts); err != nil {
			return err
		}
	}
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for gi, group := range groups {
		wg.Go(func() {
			if rerun {
				errs[gi] = s.handOffInterrupted(ctx, group)
				return
			}
			errs[gi] = s.firstAttempts(ctx, group, waiting[gi], deadline)
		})
	}
	wg.Wait()
	// An error here is the store's: River runs the batch again, and the
	// events it had finished are skipped.
	return errors.Join(errs...)
}

// handOffInterrupted gives each event of a batch that was interrupted its
// own job, counting the interrupted attempt.
func (s *Service) handOffInterrupted(ctx context.Context, group []*Event) error {
	for _, e := range group {
		e.Attempts = 1
		if err := s.handOff(ctx, e, 0, 1, "the attempt was interrupted (the service stopped or crashed)"); err != nil {
			return err
		}
	}
	return nil
}

// firstAttempts makes the first attempt at the events of one item, in
// arrival order. Once one of them has to wait (an earlier event of the
// item is still pending, or its own attempt will be retried), those after
// it wait too.
func (s *Service) firstAttempts(ctx context.Context, group []*Event, waiting bool, deadline time.Time) error {
	for _, e := range group {
		if waiting {
			if err := s.handOff(ctx, e, s.cfg.OrderWait.D(), 0, "waiting for an earlier event of the same item"); err != nil {
				return err
			}
			continue
		}
		if err := s.firstAttempt(ctx, e, deadline); err != nil {
			return err
		}
		waiting = !e.Status.terminal()
	}
	return nil
}

// firstAttempt is an event's first attempt, inside its batch.
func (s *Service) firstAttempt(ctx context.Context, e *Event, deadline time.Time) error {
	if time.Now().After(deadline) {
		return s.handOff(ctx, e, 0, 0, "")
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return s.handOff(ctx, e, 0, 0, "")
	}
	e.Attempts = 1
	actx, cancel := context.WithTimeout(ctx, s.cfg.JobTimeout.D())
	err := s.attempt(actx, e)
	cancel()
	if err == nil {
		return nil
	}
	switch v, wait := s.judge(e, err, s.cfg.MaxAttempts <= 1); v {
	case deadLetter, exhausted:
		return s.finish(ctx, e)
	case snoozed:
		return s.handOff(ctx, e, wait, 0, e.Error) // a snooze uses no attempt
	default:
		return s.handOff(ctx, e, backoff(s.cfg.RetryBase.D(), s.cfg.RetryMax.D(), 1), 1, e.Error)
	}
}

// handOff gives an event a job of its own, to run after delay, and marks it
// retrying, in one transaction.
func (s *Service) handOff(ctx context.Context, e *Event, delay time.Duration, prior int, reason string) error {
	e.Status, e.Error = Retrying, reason
	job := river.InsertManyParams{
		Args:       processArgs{EventID: e.ID, Generation: e.Replays, Prior: prior},
		InsertOpts: &river.InsertOpts{ScheduledAt: time.Now().Add(delay), MaxAttempts: max(1, s.cfg.MaxAttempts-prior)},
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := s.backend.inTx(ctx, func(q querier, enqueue enqueueFunc) error {
		if err := s.store.saveOutcomeIn(ctx, q, e, time.Now()); err != nil {
			return err
		}
		return enqueue(ctx, []river.InsertManyParams{job})
	})
	if err != nil {
		return fmt.Errorf("handing %s to a job of its own: %w", e.ID, err)
	}
	e.unsaved = nil
	s.metrics.observeOutcome(e)
	return nil
}

func (s *Service) snooze(ce *adapters.CallError) time.Duration {
	return min(max(ce.RetryAfter, time.Second), s.cfg.SnoozeMax.D())
}

// process runs a single-event job: a retry, an event that waited for an
// earlier one of its item, or a replay.
func (s *Service) process(ctx context.Context, args processArgs, attempt, maxAttempts int) error {
	e, err := s.store.get(ctx, args.EventID)
	if err != nil {
		return err
	}
	if e == nil || e.Replays != args.Generation || e.Status.terminal() {
		return nil // replayed since, or already done: this job is stale
	}
	waiting, err := s.store.waitingItems(ctx, []*Event{e})
	if err != nil {
		return err
	}
	if waiting[0] {
		return river.JobSnooze(s.cfg.OrderWait.D())
	}
	e.Attempts = args.Prior + attempt
	if err := s.attempt(ctx, e); err != nil {
		return s.fail(ctx, e, err, attempt >= maxAttempts)
	}
	return nil
}

// attempt takes one event through the pipeline once: enrich, evaluate and
// record the decision (once per generation), apply, record. Every provider
// action is idempotent (the client reads the item and writes only what
// differs), so an attempt repeated after a crash writes nothing twice. It
// returns the failure that ended the attempt, not yet recorded.
func (s *Service) attempt(ctx context.Context, e *Event) error {
	client := s.clients[e.Provider]
	plan, err := s.decide(ctx, e, client)
	if err != nil {
		return err
	}
	actions := adapters.Actions(plan)
	if client == nil {
		// Nothing is applied: the decision and the outcome are one write.
		e.Status, e.Error, e.Results = Recorded, "", recorded(actions)
		return s.finish(ctx, e)
	}
	if e.unsaved != nil && len(actions) > 0 {
		// Recorded before anything is applied, so that a crash in the
		// middle leaves the decision to finish with, not a new one.
		if err := s.store.saveDecision(ctx, e, time.Now()); err != nil {
			return err
		}
	}
	results := apply(ctx, client, e, actions)
	s.merge(e, results)
	if err := applyError(results); err != nil {
		return err
	}
	e.Status, e.Error = Applied, ""
	return s.finish(ctx, e)
}

// apply applies the actions, from the state the enrichment read in this
// attempt when the client can (one read of the item, not two).
func apply(ctx context.Context, client adapters.Client, e *Event, actions []adapters.Action) []adapters.Result {
	state := e.state
	e.state = nil // a state serves one apply
	if sr, ok := client.(adapters.StateReader); ok && state != nil {
		return sr.ApplyState(ctx, state, actions)
	}
	return client.Apply(ctx, e.ContentID, actions)
}

// decide evaluates the event once per generation; a retry applies the
// decision already made. A new decision is kept on the event (unsaved) for
// the next write to record.
func (s *Service) decide(ctx context.Context, e *Event, client adapters.Client) (engine.Plan, error) {
	if e.Decision != nil {
		var d struct {
			Plan engine.Plan `json:"plan"`
		}
		if err := json.Unmarshal(e.Decision, &d); err != nil {
			return engine.Plan{}, permanent(fmt.Errorf("reading the recorded decision: %w", err))
		}
		return d.Plan, nil
	}
	rs := s.rules.Current()
	if rs == nil {
		return engine.Plan{}, errNoRuleset
	}
	ev, err := s.registry.DecodePayload(e.Provider, e.Payload)
	if err != nil {
		return engine.Plan{}, permanent(fmt.Errorf("decoding the stored webhook: %w", err))
	}
	ev.ReceivedAt = e.ReceivedAt
	if client != nil && ev.Content.ID != "" {
		if e.state, err = enrich(ctx, client, &ev); err != nil {
			return engine.Plan{}, err
		}
	}
	d := s.evaluate(ctx, rs, ev)
	body, err := json.Marshal(d)
	if err != nil {
		return engine.Plan{}, permanent(fmt.Errorf("encoding the decision: %w", err))
	}
	e.Decision, e.unsaved = body, &decisionRecord{ruleset: d.Ruleset}
	s.metrics.observeDecision(d)
	return d.Plan, nil
}

var errNoRuleset = errors.New("no valid ruleset is loaded yet; the event waits for one")

// enrich replaces the webhook's view of the item with the platform's: the
// current title and metadata. An item the platform no longer has keeps
// what the webhook said, so that rules for deletions still run. A client
// that can apply from what it read returns that state, for this attempt's
// apply.
func enrich(ctx context.Context, client adapters.Client, ev *engine.Event) (adapters.State, error) {
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
		return state, nil
	case errors.As(err, &ce) && ce.Status == 404:
		return nil, nil
	default:
		return nil, fmt.Errorf("fetching %s: %w", ev.Content.ID, err)
	}
}

// evaluate runs the rules. Small rule sets get the full trace, which says
// why each rule did or did not match; large ones record the matched and
// errored rules only, to keep evaluation fast (dry-run shows the rest).
func (s *Service) evaluate(ctx context.Context, rs *engine.Ruleset, ev engine.Event) engine.Decision {
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	if rs.Len() > fullTraceRules {
		return rs.Evaluate(ctx, ev)
	}
	return rs.Evaluate(ctx, ev, engine.FullTrace())
}

const (
	evalTimeout    = 2 * time.Second
	fullTraceRules = 1000
)

// merge folds an attempt's results into the event's: an action done in an
// earlier attempt keeps that result; the others take this attempt's.
func (s *Service) merge(e *Event, results []adapters.Result) {
	prev := e.Results
	e.Results = make([]ActionResult, len(results))
	for i, r := range results {
		ar := ActionResult{Action: r.Action.String(), Kind: string(r.Action.Kind), Outcome: string(r.Outcome), Calls: r.Calls, Attempts: 1}
		if r.Err != nil {
			ar.Error = r.Err.Error()
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
		out[i] = ActionResult{Action: a.String(), Kind: string(a.Kind), Outcome: string(Recorded)}
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
	e.Status, e.Error = Retrying, err.Error()
	var ce *adapters.CallError
	switch {
	case isPermanent(err):
		e.Status = Dead
		return deadLetter, 0
	case errors.As(err, &ce) && ce.Kind == adapters.RateLimited:
		return snoozed, s.snooze(ce)
	case last:
		e.Status = Dead
		e.Error = fmt.Sprintf("gave up after %d attempt%s: %v", e.Attempts, plural(e.Attempts), err)
		return exhausted, 0
	}
	return retry, 0
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// fail records a failed attempt of a single-event job and tells River what
// to do next.
func (s *Service) fail(ctx context.Context, e *Event, err error, last bool) error {
	v, wait := s.judge(e, err, last)
	if err := s.finish(ctx, e); err != nil {
		return err
	}
	switch v {
	case deadLetter:
		return river.JobCancel(err)
	case snoozed:
		return river.JobSnooze(wait)
	}
	return err // River retries after the worker's backoff, or discards the job when exhausted
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

// finish records the attempt's outcome.
func (s *Service) finish(ctx context.Context, e *Event) error {
	// Record even if the job's context has run out: the attempt happened.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.store.saveOutcome(ctx, e, time.Now()); err != nil {
		return err
	}
	s.metrics.observeOutcome(e)
	return nil
}
