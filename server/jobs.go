package server

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
)

// eventArgs is the job of one event: every attempt at it, whether first,
// retried, waiting for an earlier event of its item, or replayed, is a run
// of this job, through the same steps and the same writer. River owns the
// job's life: its attempts, its retries (with the backoff below), its
// snoozes (rate limits and order waits use no attempt), its rescue after a
// crash and its discard when attempts run out. Generation tells a replay's
// job from the jobs of earlier generations, which then do nothing.
type eventArgs struct {
	EventID    string `json:"event_id"`
	Generation int    `json:"generation"`
}

// Kind implements river.JobArgs.
func (eventArgs) Kind() string { return "organizer_event" }

// eventJob builds the insert of an event's job.
func eventJob(id string, generation int) river.InsertManyParams {
	return river.InsertManyParams{Args: eventArgs{EventID: id, Generation: generation}}
}

// eventWorker runs event jobs for River.
type eventWorker struct {
	river.WorkerDefaults[eventArgs]
	s *Service
}

// Work implements river.Worker.
func (w *eventWorker) Work(ctx context.Context, job *river.Job[eventArgs]) error {
	return w.s.run(ctx, attemptOf(job))
}

// NextRetry implements river.Worker: exponential backoff with jitter.
func (w *eventWorker) NextRetry(job *river.Job[eventArgs]) time.Time {
	return time.Now().Add(backoff(w.s.cfg.RetryBase.D(), w.s.cfg.RetryMax.D(), job.Attempt))
}

// Timeout implements river.Worker: one attempt at one event.
func (w *eventWorker) Timeout(*river.Job[eventArgs]) time.Duration { return w.s.cfg.JobTimeout.D() }

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

// orderWait is how long a job waits before it looks again at an earlier
// event of its item that is still pending: order_wait, doubling with each
// look, up to 8×order_wait, so a long outage of the earlier event is not
// polled at full speed while a quick one is followed within moments.
func orderWait(base time.Duration, looks int) time.Duration {
	return base << min(looks, 3)
}
