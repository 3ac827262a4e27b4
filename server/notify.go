package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// A rule's notify actions are delivered once the event's decision has
// been carried out (applied, or recorded without a platform API): each
// notification is a job of its own, enqueued in the write that records
// that outcome, so each is sent once per event and decision (a replay is a
// new decision, and notifies again). Its delivery is retried like a
// provider call, and its result is kept in organizer_notifications and
// shown with the event's results. A dead-lettered event notifies no one.

// notifyArgs is the job of one notification of one event's decision.
type notifyArgs struct {
	EventID    string `json:"event_id"`
	Generation int    `json:"generation,omitempty"`
	Index      int    `json:"index"` // in the plan's notify list
}

// Kind implements river.JobArgs.
func (notifyArgs) Kind() string { return "organizer_notify" }

// notifyWorker delivers notifications for River.
type notifyWorker struct {
	river.WorkerDefaults[notifyArgs]
	s *Service
}

// Work implements river.Worker.
func (w *notifyWorker) Work(ctx context.Context, job *river.Job[notifyArgs]) error {
	return w.s.deliver(ctx, job.Args, job.Attempt, job.Attempt >= job.MaxAttempts)
}

// NextRetry implements river.Worker: the provider calls' backoff.
func (w *notifyWorker) NextRetry(job *river.Job[notifyArgs]) time.Time {
	return time.Now().Add(backoff(w.s.cfg.RetryBase.D(), w.s.cfg.RetryMax.D(), job.Attempt))
}

// Timeout implements river.Worker; the sender has its own, shorter one.
func (w *notifyWorker) Timeout(*river.Job[notifyArgs]) time.Duration { return w.s.cfg.JobTimeout.D() }

// sender posts a notification; adapters/notify's Sender in the service.
type sender interface {
	Send(ctx context.Context, url, text string) error
}

// notifications of a plan to enqueue with an event's outcome: the jobs,
// and the rows that will hold their results.
func notifyWrite(ctx context.Context, q querier, enqueue enqueueFunc, e *Event, notes []engine.Notify, now time.Time) error {
	if len(notes) == 0 {
		return nil
	}
	var sb strings.Builder
	sb.WriteString(`INSERT INTO organizer_notifications (event_id, generation, idx, destination, status, attempts, error, updated_at) VALUES `)
	args := make([]any, 0, 8*len(notes))
	jobs := make([]river.InsertManyParams, len(notes))
	for i, n := range notes {
		if i > 0 {
			sb.WriteByte(',')
		}
		k := len(args)
		sb.WriteString(fmt.Sprintf("($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8))
		args = append(args, e.ID, e.Replays, i, destination(n.URL), string(StatusQueued), 0, "", now.UnixMicro())
		jobs[i] = river.InsertManyParams{Args: notifyArgs{EventID: e.ID, Generation: e.Replays, Index: i}}
	}
	sb.WriteString(` ON CONFLICT (event_id, generation, idx) DO NOTHING`)
	if _, err := q.exec(ctx, sb.String(), args...); err != nil {
		return fmt.Errorf("recording %d notifications: %w", len(notes), err)
	}
	return enqueue(ctx, jobs)
}

// destination is what the decision log shows of a notification's URL: its
// scheme and host. The path and query of a chat webhook are its secret.
func destination(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(not a URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// deliver sends one notification and records what became of it.
func (s *Service) deliver(ctx context.Context, args notifyArgs, attempt int, last bool) error {
	e, err := s.store.get(ctx, args.EventID)
	if err != nil {
		return err
	}
	if e == nil || e.Replays != args.Generation {
		return nil // replayed since: this decision's notifications are moot
	}
	var d struct {
		Plan engine.Plan `json:"plan"`
	}
	if err := json.Unmarshal(e.Decision, &d); err != nil || args.Index >= len(d.Plan.Notify) {
		return s.noteOutcome(ctx, args, attempt, StatusDead, "the notification is not in the event's decision", river.JobCancel(errors.New("no such notification")))
	}
	n := d.Plan.Notify[args.Index]
	err = s.notifier.Send(ctx, n.URL, n.Text)
	var ce *adapters.CallError
	switch {
	case err == nil:
		return s.noteOutcome(ctx, args, attempt, StatusApplied, "", nil)
	case !errors.As(err, &ce) || ce.Kind == adapters.Permanent:
		return s.noteOutcome(ctx, args, attempt, StatusDead, err.Error(), river.JobCancel(err))
	case ce.Kind == adapters.RateLimited:
		return s.noteOutcome(ctx, args, attempt-1, StatusRetrying, err.Error(), river.JobSnooze(s.snooze(ce)))
	case last:
		return s.noteOutcome(ctx, args, attempt, StatusDead,
			fmt.Sprintf("gave up after %d attempt%s: %v", attempt, plural(attempt), err), err)
	}
	return s.noteOutcome(ctx, args, attempt, StatusRetrying, err.Error(), err)
}

// noteOutcome records a delivery attempt and returns next, what River is
// to do.
func (s *Service) noteOutcome(ctx context.Context, args notifyArgs, attempts int, st Status, msg string, next error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := s.store.writes.do(ctx, func(ctx context.Context, q querier, _ enqueueFunc) error {
		_, err := q.exec(ctx, `UPDATE organizer_notifications SET status = $1, attempts = $2, error = $3, updated_at = $4
			WHERE event_id = $5 AND generation = $6 AND idx = $7`,
			string(st), attempts, msg, time.Now().UnixMicro(), args.EventID, args.Generation, args.Index)
		return err
	})
	if err != nil {
		return fmt.Errorf("recording notification %d of %s: %w", args.Index, args.EventID, err)
	}
	return next
}

// notificationResults are the results of an event's notifications, as
// action results: outcome applied (sent), failed, or queued and retrying
// while under way.
func (s store) notificationResults(ctx context.Context, e *Event) ([]ActionResult, error) {
	r, err := s.b.reader().query(ctx, `SELECT idx, destination, status, attempts, error FROM organizer_notifications
		WHERE event_id = $1 AND generation = $2 ORDER BY idx`, e.ID, e.Replays)
	if err != nil {
		return nil, fmt.Errorf("reading the notifications of %s: %w", e.ID, err)
	}
	defer r.Close()
	var out []ActionResult
	for r.Next() {
		var idx, attempts int
		var dest, status, msg string
		if err := r.Scan(&idx, &dest, &status, &attempts, &msg); err != nil {
			return nil, err
		}
		outcome := status
		switch Status(status) {
		case StatusApplied:
			outcome = "sent"
		case StatusDead:
			outcome = string(adapters.Failed)
		}
		out = append(out, ActionResult{Action: "notify " + strconv.Itoa(idx+1) + " " + dest, Kind: "notify",
			Outcome: outcome, Attempts: attempts, Calls: attempts, Error: msg})
	}
	return out, r.Err()
}
