package server

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
)

// eventsArgs is the pipeline's one kind of job: the events of one intake
// commit, or one event on its own. A job of one event is where River's
// retries and snoozes apply: its attempts, its backoff (NextRetry below),
// its snoozes for rate limits and order waits (which use no attempt), its
// rescue after a crash and its discard when attempts run out. A job of
// several events, what one intake commit enqueues, makes each event's
// first attempt; an event that cannot finish there is handed to a job of
// its own, scheduled by the same rules, in the same write that records its
// attempt. Both kinds of run take each event through the same steps
// (Service.attempt) and the same writer; River's bookkeeping (insert,
// fetch, completion: statements on SQLite's one writing connection) is
// paid once per commit in the common case where every event succeeds.
type eventsArgs struct {
	Events []eventRef `json:"events"`
	// Prior counts the attempts an event on its own had before this job
	// (one made in its commit's job): attempt numbers go on from there.
	Prior int `json:"prior,omitempty"`
}

// eventRef names an event and its generation (how often it was replayed),
// so that a job of an earlier generation does nothing.
type eventRef struct {
	ID         string `json:"id"`
	Generation int    `json:"generation,omitempty"`
}

// Kind implements river.JobArgs.
func (eventsArgs) Kind() string { return "organizer_events" }

// commitJob is the job of the events one intake commit stored.
func commitJob(ids []string) river.InsertManyParams {
	refs := make([]eventRef, len(ids))
	for i, id := range ids {
		refs[i] = eventRef{ID: id}
	}
	return river.InsertManyParams{Args: eventsArgs{Events: refs}}
}

// ownJob is the job of one event on its own, to run at the given time, with
// the attempts it has left after prior ones.
func (s *Service) ownJob(ref eventRef, prior int, at time.Time) river.InsertManyParams {
	return river.InsertManyParams{
		Args:       eventsArgs{Events: []eventRef{ref}, Prior: prior},
		InsertOpts: &river.InsertOpts{ScheduledAt: at, MaxAttempts: max(1, s.cfg.MaxAttempts-prior)},
	}
}

// eventsWorker runs the pipeline's jobs for River.
type eventsWorker struct {
	river.WorkerDefaults[eventsArgs]
	s *Service
}

// Work implements river.Worker.
func (w *eventsWorker) Work(ctx context.Context, job *river.Job[eventsArgs]) error {
	if len(job.Args.Events) == 1 {
		return w.s.runOwn(ctx, ownAttempt(job))
	}
	return w.s.runCommit(ctx, job.Args.Events, job.Attempt > 1)
}

// NextRetry implements river.Worker: exponential backoff with jitter,
// counting the attempts made before the job.
func (w *eventsWorker) NextRetry(job *river.Job[eventsArgs]) time.Time {
	return time.Now().Add(backoff(w.s.cfg.RetryBase.D(), w.s.cfg.RetryMax.D(), job.Args.Prior+job.Attempt))
}

// Timeout implements river.Worker: one attempt for an event on its own; a
// commit's job hands the events still waiting at job_timeout to jobs of
// their own, so it ends within two, well before the rescuer would run it
// again.
func (w *eventsWorker) Timeout(job *river.Job[eventsArgs]) time.Duration {
	if len(job.Args.Events) == 1 {
		return w.s.cfg.JobTimeout.D()
	}
	return 2*w.s.cfg.JobTimeout.D() + 5*time.Second
}

// ownAttempt reads the attempt of a job of one event.
func ownAttempt(job *river.Job[eventsArgs]) *attempt {
	var meta struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(job.Metadata, &meta) // River's own metadata; no count means none
	return &attempt{
		ref: job.Args.Events[0], number: job.Args.Prior + job.Attempt,
		last: job.Attempt >= job.MaxAttempts, snoozes: meta.Snoozes,
	}
}

// backoff is retry_base·2^(attempt-1), capped at retry_max, then a random
// point in its upper half, so a recovering provider is not hit by every
// event at once.
func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

// orderWait is how long an event waits before it looks again at an earlier
// event of its item that is still pending: order_wait, doubling with each
// look, up to 8×order_wait, so a long outage of the earlier event is not
// polled at full speed while a quick one is followed within moments.
func orderWait(base time.Duration, looks int) time.Duration {
	return base << min(looks, 3)
}
