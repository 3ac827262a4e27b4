package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// processArgs is the job of one event: decide it, then apply the decision.
// Generation tells a replay's job from the original's.
type processArgs struct {
	EventID    string `json:"event_id"`
	Generation int    `json:"generation"`
}

// Kind implements river.JobArgs.
func (processArgs) Kind() string { return "organizer_process_event" }

func jobsFor(args ...processArgs) []river.InsertManyParams {
	out := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		out[i] = river.InsertManyParams{Args: a}
	}
	return out
}

// worker runs the pipeline for River.
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
	return time.Now().Add(backoff(w.s.cfg.RetryBase.D(), w.s.cfg.RetryMax.D(), job.Attempt))
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

// process takes one event through the pipeline: order, enrich, evaluate,
// record, apply, record. Every provider action is idempotent (the client
// reads the item and writes only what differs), so an attempt repeated
// after a crash writes nothing twice.
func (s *Service) process(ctx context.Context, args processArgs, attempt, maxAttempts int) error {
	e, err := s.store.get(ctx, s.backend.writer(), args.EventID)
	if err != nil {
		return err
	}
	if e == nil || e.Replays != args.Generation || e.Status.terminal() {
		return nil // replayed since, or already done: this job is stale
	}
	if e.ContentID != "" {
		earlier, err := s.store.pendingBefore(ctx, e)
		if err != nil {
			return err
		}
		if earlier {
			return river.JobSnooze(s.cfg.OrderWait.D())
		}
	}
	e.Attempts = attempt
	client := s.clients[e.Provider]
	plan, err := s.decide(ctx, e, client)
	if err != nil {
		return s.fail(ctx, e, err, attempt >= maxAttempts)
	}
	actions := adapters.Actions(plan)
	if client == nil {
		e.Status, e.Error, e.Results = Recorded, "", recorded(actions)
		return s.finish(ctx, e)
	}
	results := client.Apply(ctx, e.ContentID, actions)
	s.merge(e, results)
	if err := applyError(results); err != nil {
		return s.fail(ctx, e, err, attempt >= maxAttempts)
	}
	e.Status, e.Error = Applied, ""
	return s.finish(ctx, e)
}

// decide evaluates the event once per generation and records the
// decision; a retry applies the decision already made.
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
		if err := enrich(ctx, client, &ev); err != nil {
			return engine.Plan{}, err
		}
	}
	d := s.evaluate(ctx, rs, ev)
	body, err := json.Marshal(d)
	if err != nil {
		return engine.Plan{}, permanent(fmt.Errorf("encoding the decision: %w", err))
	}
	if err := s.store.saveDecision(ctx, e, d.Ruleset, body, time.Now()); err != nil {
		return engine.Plan{}, err
	}
	s.metrics.observeDecision(d)
	return d.Plan, nil
}

var errNoRuleset = errors.New("no valid ruleset is loaded yet; the event waits for one")

// enrich replaces the webhook's view of the item with the platform's: the
// current title and metadata. An item the platform no longer has keeps
// what the webhook said, so that rules for deletions still run.
func enrich(ctx context.Context, client adapters.Client, ev *engine.Event) error {
	content, err := client.Fetch(ctx, ev.Content.ID)
	var ce *adapters.CallError
	switch {
	case err == nil:
		content.ID = ev.Content.ID
		if content.Title == "" {
			content.Title = ev.Content.Title
		}
		ev.Content = content
		return nil
	case errors.As(err, &ce) && ce.Status == 404:
		return nil
	default:
		return fmt.Errorf("fetching %s: %w", ev.Content.ID, err)
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
	d := rs.Evaluate(ctx, ev, engine.FullTrace())
	return d
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

// fail records a failed attempt and tells River what to do next.
func (s *Service) fail(ctx context.Context, e *Event, err error, last bool) error {
	e.Error = err.Error()
	var ce *adapters.CallError
	switch {
	case isPermanent(err):
		e.Status = Dead
		if err := s.finish(ctx, e); err != nil {
			return err
		}
		return river.JobCancel(err)
	case errors.As(err, &ce) && ce.Kind == adapters.RateLimited:
		e.Status = Retrying
		if err := s.finish(ctx, e); err != nil {
			return err
		}
		return river.JobSnooze(min(max(ce.RetryAfter, time.Second), s.cfg.SnoozeMax.D()))
	case last:
		e.Status, e.Error = Dead, fmt.Sprintf("gave up after %d attempts: %v", e.Attempts, err)
		if err := s.finish(ctx, e); err != nil {
			return err
		}
		return err // River discards the job
	default:
		e.Status = Retrying
		if err := s.finish(ctx, e); err != nil {
			return err
		}
		return err // River retries after the worker's backoff
	}
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
