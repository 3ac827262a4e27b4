package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/riverqueue/river"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/server/sweep"
)

// The service runs the rules' schedules. Every replica looks once a second
// for a schedule whose next run has come; the first to record a run of
// that schedule at that tick (a row of organizer_sweeps, keyed by schedule
// and tick) enqueues its job, in the same transaction, so each tick runs
// once however many replicas there are. A run queries the provider, decides
// every item (sweep.Decide), and, unless more items would change than the
// schedule's max_changes, stores one event per item that would change, with
// an id made of the run (schedule and tick) and the content id: the
// pipeline then decides and applies them like webhooks, and a run taken up
// again after a crash stores nothing twice. A tick missed while no replica
// was running runs once when one starts.

// sweepArgs is the job of one run of a schedule.
type sweepArgs struct {
	RunID    string    `json:"run_id"`
	Schedule string    `json:"schedule"`
	Tick     time.Time `json:"tick"` // the time the rules see as now
}

// Kind implements river.JobArgs.
func (sweepArgs) Kind() string { return "organizer_sweep" }

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	s *Service
}

// Work implements river.Worker.
func (w *sweepWorker) Work(ctx context.Context, job *river.Job[sweepArgs]) error {
	return w.s.sweep(ctx, job.Args)
}

// NextRetry implements river.Worker: a provider failing mid-run is retried
// with the backoff; the items already stored are not stored again.
func (w *sweepWorker) NextRetry(job *river.Job[sweepArgs]) time.Time {
	return time.Now().Add(backoff(w.s.cfg.RetryBase.D(), w.s.cfg.RetryMax.D(), job.Attempt))
}

// tickRunID names the run of a schedule at a tick.
func tickRunID(schedule string, tick time.Time) string {
	return schedule + "@" + tick.UTC().Format(time.RFC3339)
}

// sweepEventID is the id of the event of one item of a run.
func sweepEventID(runID, contentID string) string { return "sweep:" + runID + ":" + contentID }

// runScheduler enqueues the schedules' runs as their ticks come, until ctx
// ends.
func (s *Service) runScheduler(ctx context.Context) {
	next := map[string]time.Time{} // by schedule name and cron
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		s.scheduleDue(ctx, next, time.Now().UTC())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scheduleDue enqueues the run of each schedule whose tick has come.
func (s *Service) scheduleDue(ctx context.Context, next map[string]time.Time, now time.Time) {
	rs := s.rules.Current()
	if rs == nil {
		return
	}
	for _, sch := range rs.Schedules() {
		key := sch.Name + "\x00" + sch.Cron + "\x00" + sch.Timezone
		at, ok := next[key]
		if !ok {
			at = s.firstTick(ctx, sch, now)
			next[key] = at
		}
		if at.After(now) {
			continue
		}
		if err := s.enqueueRun(ctx, sweepArgs{RunID: tickRunID(sch.Name, at), Schedule: sch.Name, Tick: at}); err != nil {
			if ctx.Err() != nil {
				return // shutting down: the tick is taken up at the next start
			}
			s.log.Error("cannot enqueue a schedule's run; trying again in a second", "schedule", sch.Name, "tick", at, "error", err)
			continue
		}
		next[key] = sch.Next(now)
	}
}

// firstTick is the tick a replica starts a schedule at: the latest one
// missed since the schedule's last recorded run, if any, else the next.
func (s *Service) firstTick(ctx context.Context, sch *engine.Schedule, now time.Time) time.Time {
	var last int64
	found, err := queryOne(ctx, s.backend.reader(), `SELECT COALESCE(MAX(tick), 0) FROM organizer_sweeps WHERE schedule = $1 AND manual = 0`, []any{sch.Name}, &last)
	if err != nil || !found || last == 0 {
		return sch.Next(now)
	}
	missed := time.Time{}
	for t, n := sch.Next(time.UnixMicro(last).UTC()), 0; !t.After(now) && n < 100000; t, n = sch.Next(t), n+1 {
		missed = t
	}
	if missed.IsZero() {
		return sch.Next(now)
	}
	return missed
}

// enqueueRun records a run and enqueues its job, unless that run is
// recorded already (another replica took the tick).
func (s *Service) enqueueRun(ctx context.Context, run sweepArgs) error {
	manual := 0
	if strings.HasPrefix(run.RunID, "manual:") {
		manual = 1
	}
	return s.store.writes.do(ctx, func(ctx context.Context, q querier, enqueue enqueueFunc) error {
		n, err := q.exec(ctx, `INSERT INTO organizer_sweeps (run_id, schedule, tick, manual, status, started_at, updated_at)
			VALUES ($1, $2, $3, $4, 'queued', 0, $5) ON CONFLICT DO NOTHING`,
			run.RunID, run.Schedule, run.Tick.UnixMicro(), manual, time.Now().UnixMicro())
		if err != nil || n == 0 {
			return err
		}
		return enqueue(ctx, []river.InsertManyParams{{Args: run}})
	})
}

// runCounts is what a run found and did.
type runCounts struct {
	Items     int `json:"items"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
}

// sweep is one run of a schedule.
func (s *Service) sweep(ctx context.Context, run sweepArgs) error {
	log := s.log.With("schedule", run.Schedule, "run_id", run.RunID)
	rs := s.rules.Current()
	if rs == nil {
		return errNoRuleset
	}
	sch, ok := rs.Schedule(run.Schedule)
	if !ok {
		return s.endRun(ctx, run, "skipped", runCounts{}, "the schedule is no longer in the rules")
	}
	q, ok := s.clients[sch.Provider].(adapters.Querier)
	if !ok {
		return s.endRun(ctx, run, "failed", runCounts{}, sch.Provider+" has no API settings (record-only): there is nothing to query")
	}
	params, err := sch.Params(run.Tick)
	if err != nil {
		return s.endRun(ctx, run, "failed", runCounts{}, fmt.Sprintf("rendering the params: %v", err))
	}
	s.markRun(ctx, run, "running")
	query := sweep.Query{Provider: sch.Provider, Source: sch.Source, Params: params, EventType: sch.EventType(),
		EventID: func(id string) string { return sweepEventID(run.RunID, id) }, Now: run.Tick}
	// An item whose change by an earlier run is still on its way (queued
	// or retrying) is left to it: deciding it again would only queue the
	// same change twice, and count it twice.
	pending, err := s.store.pendingItems(ctx, sch.Provider, sch.EventType())
	if err != nil {
		return err
	}
	var counts runCounts
	var changed []*newEvent
	onTheirWay := 0
	err = sweep.Decide(ctx, q, query, rs, func(d sweep.Decided) error {
		counts.Items++
		switch {
		case d.RuleError() != "":
			counts.Failed++
		case len(d.Changes) > 0 && pending[d.Event.Content.ID]:
			onTheirWay++
		case len(d.Changes) > 0:
			counts.Changed++
			payload, err := json.Marshal(d.Event)
			if err != nil {
				return err
			}
			changed = append(changed, &newEvent{id: d.Event.ID, provider: sch.Provider, typ: sch.EventType(),
				contentID: d.Event.Content.ID, payload: payload, receivedAt: time.Now().UTC(), status: StatusQueued})
		default:
			counts.Unchanged++
		}
		return nil
	})
	if err != nil {
		s.markRun(ctx, run, "retrying: "+err.Error())
		return err // River retries the run; the events stored by an earlier try are not stored again
	}
	if counts.Changed > sch.MaxChanges {
		msg := fmt.Sprintf("%d items would change, more than max_changes %d: nothing was changed (raise max_changes in the schedule, or run it with organizer sweep --max-changes)", counts.Changed, sch.MaxChanges)
		log.Warn("a schedule's run was refused by its change budget", "would_change", counts.Changed, "max_changes", sch.MaxChanges)
		return s.endRun(ctx, run, "refused", counts, msg)
	}
	if err := s.storeSweepEvents(ctx, changed); err != nil {
		return err
	}
	log.Info("a schedule ran", "items", counts.Items, "changed", counts.Changed, "failed", counts.Failed, "left_to_earlier_runs", onTheirWay)
	msg := ""
	if onTheirWay > 0 {
		msg = fmt.Sprintf("%d items left to an earlier run whose change is still on its way", onTheirWay)
	}
	return s.endRun(ctx, run, "done", counts, msg)
}

// pendingItems returns the content ids with an event of the type still
// on its way (queued or retrying).
func (s store) pendingItems(ctx context.Context, provider, typ string) (map[string]bool, error) {
	ids, err := queryStrings(ctx, s.b.reader(),
		`SELECT content_id FROM organizer_events WHERE provider = $1 AND type = $2 AND status IN ('queued', 'retrying')`, provider, typ)
	if err != nil {
		return nil, fmt.Errorf("reading the items with a change on its way: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// storeSweepEvents stores a run's events, with their jobs, a chunk per
// transaction; events stored already (a run taken up again) are skipped.
func (s *Service) storeSweepEvents(ctx context.Context, evs []*newEvent) error {
	const chunk = 500
	for len(evs) > 0 {
		part := evs[:min(chunk, len(evs))]
		evs = evs[len(part):]
		err := s.store.writes.do(ctx, func(ctx context.Context, q querier, enqueue enqueueFunc) error {
			fresh, err := insertEvents(ctx, q, part)
			if err != nil {
				return err
			}
			var ids []string
			for _, e := range part {
				if fresh[e.id] {
					ids = append(ids, e.id)
				}
			}
			if len(ids) == 0 {
				return nil
			}
			return enqueue(ctx, []river.InsertManyParams{commitJob(ids)})
		})
		if err != nil {
			return fmt.Errorf("storing a run's events: %w", err)
		}
	}
	return nil
}

func (s *Service) markRun(ctx context.Context, run sweepArgs, status string) {
	err := s.store.writes.do(ctx, func(ctx context.Context, q querier, _ enqueueFunc) error {
		_, err := q.exec(ctx, `UPDATE organizer_sweeps SET status = $1, started_at = CASE WHEN started_at = 0 THEN $2 ELSE started_at END, updated_at = $2 WHERE run_id = $3`,
			status, time.Now().UnixMicro(), run.RunID)
		return err
	})
	if err != nil {
		s.log.Warn("cannot record a run's progress", "run_id", run.RunID, "error", err)
	}
}

func (s *Service) endRun(ctx context.Context, run sweepArgs, status string, c runCounts, msg string) error {
	return s.store.writes.do(ctx, func(ctx context.Context, q querier, _ enqueueFunc) error {
		now := time.Now().UnixMicro()
		_, err := q.exec(ctx, `UPDATE organizer_sweeps SET status = $1, items = $2, changed = $3, unchanged = $4, failed = $5, message = $6,
			started_at = CASE WHEN started_at = 0 THEN $7 ELSE started_at END, finished_at = $7, updated_at = $7 WHERE run_id = $8`,
			status, c.Items, c.Changed, c.Unchanged, c.Failed, msg, now, run.RunID)
		return err
	})
}

// lastRun is what GET /v1/schedules shows of a schedule's latest run.
type lastRun struct {
	RunID      string     `json:"run_id"`
	Tick       time.Time  `json:"tick"`
	Status     string     `json:"status"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	runCounts
	Message string `json:"message,omitempty"`
}

// lastRunOf reads a schedule's latest run; the failed count adds the run's
// events that ended dead.
func (s store) lastRunOf(ctx context.Context, schedule string) (*lastRun, error) {
	var r lastRun
	var tick, started, finished int64
	found, err := queryOne(ctx, s.b.reader(), `SELECT run_id, tick, status, started_at, finished_at, items, changed, unchanged, failed, message
		FROM organizer_sweeps WHERE schedule = $1 ORDER BY updated_at DESC LIMIT 1`, []any{schedule},
		&r.RunID, &tick, &r.Status, &started, &finished, &r.Items, &r.Changed, &r.Unchanged, &r.Failed, &r.Message)
	if err != nil || !found {
		return nil, err
	}
	r.Tick = time.UnixMicro(tick).UTC()
	r.StartedAt, r.FinishedAt = microTime(started), microTime(finished)
	prefix := sweepEventID(r.RunID, "")
	var dead int64
	if _, err := queryOne(ctx, s.b.reader(), `SELECT COUNT(*) FROM organizer_events WHERE substr(id, 1, $1) = $2 AND status = 'dead'`,
		[]any{len(prefix), prefix}, &dead); err != nil {
		return nil, err
	}
	r.Failed += int(dead)
	return &r, nil
}

func microTime(us int64) *time.Time {
	if us == 0 {
		return nil
	}
	t := time.UnixMicro(us).UTC()
	return &t
}

// manualRunID names a run asked for through the API.
func manualRunID(schedule string, at time.Time) string {
	return "manual:" + schedule + "@" + strconv.FormatInt(at.UnixNano(), 36)
}

// scheduleStatus is one schedule as GET /v1/schedules shows it.
type scheduleStatus struct {
	Name       string    `json:"name"`
	Cron       string    `json:"cron"`
	Timezone   string    `json:"timezone"`
	Provider   string    `json:"provider"`
	Source     string    `json:"source"`
	MaxChanges int       `json:"max_changes"`
	NextRun    time.Time `json:"next_run"`
	LastRun    *lastRun  `json:"last_run"`
}

// listSchedules is GET /v1/schedules: the schedules of the rules in force,
// with their next run and what their last run did.
func (s *Service) listSchedules(c *gin.Context) {
	items, err := s.scheduleStatuses(c.Request.Context())
	if err != nil {
		s.internal(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// scheduleStatuses is each schedule of the rules in force with its next
// run and what its last run did.
func (s *Service) scheduleStatuses(ctx context.Context) ([]scheduleStatus, error) {
	items := []scheduleStatus{}
	rs := s.rules.Current()
	if rs == nil {
		return items, nil
	}
	now := time.Now().UTC()
	for _, sch := range rs.Schedules() {
		last, err := s.store.lastRunOf(ctx, sch.Name)
		if err != nil {
			return nil, err
		}
		tz := sch.Timezone
		if tz == "" {
			tz = "UTC"
		}
		items = append(items, scheduleStatus{Name: sch.Name, Cron: sch.Cron, Timezone: tz, Provider: sch.Provider,
			Source: sch.Source, MaxChanges: sch.MaxChanges, NextRun: sch.Next(now), LastRun: last})
	}
	return items, nil
}

// runSchedule is POST /v1/schedules/{name}/run: run a schedule now, with
// the rules' now being now.
func (s *Service) runSchedule(c *gin.Context) {
	id, code, err := s.runScheduleNow(c.Request.Context(), c.Param("name"))
	switch code {
	case http.StatusAccepted:
		c.JSON(http.StatusAccepted, gin.H{"run_id": id})
	case http.StatusInternalServerError:
		s.internal(c, err)
	case http.StatusNotFound:
		apiError(c, codeNotFound, err.Error())
	default:
		apiError(c, codeNoRuleset, err.Error())
	}
}

// runScheduleNow enqueues a run of the schedule name now. The code tells
// the outcome as the API answers it: 202, 404 (no such schedule), 503 (no
// ruleset) or 500.
func (s *Service) runScheduleNow(ctx context.Context, name string) (runID string, code int, err error) {
	rs := s.rules.Current()
	if rs == nil {
		return "", http.StatusServiceUnavailable, errors.New("no valid ruleset is loaded (see GET /v1/rules)")
	}
	if _, ok := rs.Schedule(name); !ok {
		return "", http.StatusNotFound, errors.New("no schedule " + name + " in the rules in force")
	}
	now := time.Now().UTC()
	run := sweepArgs{RunID: manualRunID(name, now), Schedule: name, Tick: now}
	if err := s.enqueueRun(ctx, run); err != nil {
		return "", http.StatusInternalServerError, err
	}
	s.log.Info("a schedule's run was asked for", "schedule", name, "run_id", run.RunID)
	return run.RunID, http.StatusAccepted, nil
}
