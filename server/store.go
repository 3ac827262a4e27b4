package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/organizer-dev/organizer/engine"
)

// Status is where an event is in the pipeline.
type Status string

// The statuses of an event.
const (
	StatusQueued   Status = "queued"   // accepted, waiting for a worker
	StatusRetrying Status = "retrying" // an attempt failed and will be tried again
	StatusApplied  Status = "applied"  // decided and every action done (or nothing to do)
	StatusRecorded Status = "recorded" // decided; the provider has no API settings (record-only)
	StatusIgnored  Status = "ignored"  // an event type the provider does not document: stored, not processed
	StatusDead     Status = "dead"     // a dead letter: a permanent failure or retries exhausted
	StatusHeld     Status = "held"     // decided, not applied: a guard or the loop check holds it for approval
	StatusRejected Status = "rejected" // a held decision rejected: nothing applied
	StatusEcho     Status = "echo"     // a content.updated reporting only what organizer itself just wrote: not decided
)

// terminal is true for a status no job acts on any more. A held event
// waits for a person, not a job.
func (s Status) terminal() bool {
	switch s {
	case StatusApplied, StatusRecorded, StatusIgnored, StatusDead, StatusHeld, StatusRejected, StatusEcho:
		return true
	}
	return false
}

// Event is one webhook as the service keeps it, with what became of it.
type Event struct {
	ID         string          `json:"id"`
	Provider   string          `json:"provider"`
	Type       string          `json:"type"`
	ContentID  string          `json:"content_id"`
	ReceivedAt time.Time       `json:"received_at"`
	Status     Status          `json:"status"`
	Attempts   int             `json:"attempts"`
	Error      string          `json:"error"`
	UpdatedAt  time.Time       `json:"updated_at"`
	Replays    int             `json:"replays"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	Decision   json.RawMessage `json:"decision,omitempty"`
	Results    []ActionResult  `json:"results"`
	// Decisions is the event's decision log, oldest first, the current
	// one last; only GET /v1/events/{id} fills it.
	Decisions []DecisionEntry `json:"decisions,omitempty"`

	seq       int64     // arrival order in the store
	reason    Reason    // why the current generation was decided
	decidedAt time.Time // when its decision was made; zero before
}

// decisionRecord is what the store keeps of a decision besides its body.
type decisionRecord struct{ ruleset string }

// ActionResult is what became of one action of an event's plan.
type ActionResult struct {
	Action   string `json:"action"` // e.g. folder "Marketing"
	Kind     string `json:"kind"`
	Outcome  string `json:"outcome"` // applied, unchanged, unsupported, failed
	Attempts int    `json:"attempts"`
	Calls    int    `json:"calls"` // provider API calls made for it, over every attempt
	Error    string `json:"error,omitempty"`
	// Before is what the item held before organizer applied the action,
	// when the attempt read it: what a revert puts back.
	Before *Prior `json:"before,omitempty"`
}

// newEvent is a webhook on its way into the store.
type newEvent struct {
	id, provider, typ, contentID string
	payload                      []byte
	receivedAt                   time.Time
	status                       Status
}

// store reads and writes organizer_events. The pipeline's writes go
// through the writer, its reads through the reading pool.
type store struct {
	b      backend
	writes *writer
}

// insertEvents inserts the events that are not stored yet, in one
// statement, and reports which were new.
func insertEvents(ctx context.Context, q querier, evs []*newEvent) (map[string]bool, error) {
	var sb strings.Builder
	sb.WriteString(`INSERT INTO organizer_events (id, provider, type, content_id, received_at, payload, status, updated_at) VALUES `)
	args := make([]any, 0, len(evs)*8)
	for i, e := range evs {
		if i > 0 {
			sb.WriteByte(',')
		}
		n := len(args)
		sb.WriteString("(")
		for j := 1; j <= 8; j++ {
			if j > 1 {
				sb.WriteByte(',')
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(n + j))
		}
		sb.WriteString(")")
		at := e.receivedAt.UnixMicro()
		args = append(args, e.id, e.provider, e.typ, e.contentID, at, e.payload, string(e.status), at)
	}
	sb.WriteString(` ON CONFLICT (id) DO NOTHING RETURNING id`)
	r, err := q.query(ctx, sb.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("storing %d events: %w", len(evs), err)
	}
	defer r.Close()
	fresh := make(map[string]bool, len(evs))
	for r.Next() {
		var id string
		if err := r.Scan(&id); err != nil {
			return nil, err
		}
		fresh[id] = true
	}
	return fresh, r.Err()
}

const eventColumns = `seq, id, provider, type, content_id, received_at, status, generation, attempts, error, updated_at, results, reason, decided_at`

func scanEvent(r rows, extra ...any) (*Event, error) {
	var e Event
	var received, updated, decided int64
	var status, results, reason string
	dest := append([]any{&e.seq, &e.ID, &e.Provider, &e.Type, &e.ContentID, &received, &status, &e.Replays, &e.Attempts, &e.Error, &updated, &results, &reason, &decided}, extra...)
	if err := r.Scan(dest...); err != nil {
		return nil, fmt.Errorf("reading an event: %w", err)
	}
	e.Status = Status(status)
	e.ReceivedAt = time.UnixMicro(received).UTC()
	e.UpdatedAt = time.UnixMicro(updated).UTC()
	e.reason = decisionReason(reason)
	if decided > 0 {
		e.decidedAt = time.UnixMicro(decided).UTC()
	}
	e.Results = []ActionResult{}
	if results != "" {
		if err := json.Unmarshal([]byte(results), &e.Results); err != nil {
			return nil, fmt.Errorf("reading event %s's results: %w", e.ID, err)
		}
	}
	return &e, nil
}

// get returns one event with its payload and decision, or nil.
func (s store) get(ctx context.Context, id string) (*Event, error) {
	evs, err := s.read(ctx, []string{id})
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[0].Event, nil
}

// eventFilter selects events for the admin API.
type eventFilter struct {
	ContentID string
	Provider  string
	Status    Status
	Before    int64 // seq cursor: only events older than this
	Limit     int
}

// list returns events newest first, without payloads and decisions.
func (s store) list(ctx context.Context, f eventFilter) ([]*Event, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.ContentID != "" {
		add("content_id = ?", f.ContentID)
	}
	if f.Provider != "" {
		add("provider = ?", f.Provider)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if f.Before > 0 {
		add("seq < ?", f.Before)
	}
	query := `SELECT ` + eventColumns + ` FROM organizer_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	query += " ORDER BY seq DESC LIMIT $" + strconv.Itoa(len(args))
	r, err := s.b.reader().query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	defer r.Close()
	out := []*Event{}
	for r.Next() {
		e, err := scanEvent(r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, r.Err()
}

// pendingEvent is an event to attempt, and whether an earlier event of
// its item is still pending (queued or retrying): events of one item are
// decided and applied in arrival order.
type pendingEvent struct {
	*Event
	waiting bool
}

// forAttempts returns the events of refs that are still to be attempted
// (stored, of that generation, not finished), in arrival order, each with
// its payload and decision and whether it must wait, in one query.
func (s store) forAttempts(ctx context.Context, refs []eventRef) ([]pendingEvent, error) {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	evs, err := s.read(ctx, ids)
	if err != nil {
		return nil, err
	}
	generation := make(map[string]int, len(refs))
	for _, r := range refs {
		generation[r.ID] = r.Generation
	}
	out := evs[:0]
	for _, e := range evs {
		if e.Replays == generation[e.ID] && !e.Status.terminal() {
			out = append(out, e)
		}
	}
	return out, nil
}

// read returns the stored events among ids in arrival order, with their
// payloads and decisions and whether an earlier event of the item is
// pending. An event without a content id waits for none.
func (s store) read(ctx context.Context, ids []string) ([]pendingEvent, error) {
	params := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		params[i], args[i] = "$"+strconv.Itoa(i+1), id
	}
	r, err := s.b.reader().query(ctx, `SELECT `+eventColumns+`, payload, decision,
		  EXISTS (SELECT 1 FROM organizer_events p
		          WHERE p.provider = e.provider AND p.content_id = e.content_id AND p.content_id <> ''
		            AND p.seq < e.seq AND p.status IN ('queued', 'retrying'))
		FROM organizer_events e WHERE e.id IN (`+strings.Join(params, ",")+`) ORDER BY e.seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading %d events: %w", len(ids), err)
	}
	defer r.Close()
	var out []pendingEvent
	for r.Next() {
		var payload []byte
		var decision string
		var waiting bool
		e, err := scanEvent(r, &payload, &decision, &waiting)
		if err != nil {
			return nil, err
		}
		e.Payload = payload
		if decision != "" {
			e.Decision = json.RawMessage(decision)
		}
		out = append(out, pendingEvent{Event: e, waiting: waiting})
	}
	return out, r.Err()
}

// saveDecision records an event's new decision; generation guards against
// a stale job writing over a replay.
func (s store) saveDecision(ctx context.Context, e *Event, d *decisionRecord, now time.Time) error {
	err := s.writes.do(ctx, func(ctx context.Context, q querier, _ enqueueFunc) error {
		_, err := q.exec(ctx,
			`UPDATE organizer_events SET ruleset = $1, decision = $2, updated_at = $3, decided_at = $3 WHERE id = $4 AND generation = $5`,
			d.ruleset, string(e.Decision), now.UnixMicro(), e.ID, e.Replays)
		return err
	})
	if err != nil {
		return fmt.Errorf("recording the decision of %s: %w", e.ID, err)
	}
	return nil
}

// saveOutcome records an attempt: the status, results and error it left,
// and its decision d when that is not written yet (d nil).
func (s store) saveOutcome(ctx context.Context, e *Event, d *decisionRecord, now time.Time, notes []engine.Notify) error {
	if err := s.writes.do(ctx, outcomeWrite(e, d, now, nil, notes)); err != nil {
		return fmt.Errorf("recording what became of %s: %w", e.ID, err)
	}
	return nil
}

// handOff records an attempt, as saveOutcome, and enqueues job with it:
// the event's job of its own, in the same transaction.
func (s store) handOff(ctx context.Context, e *Event, d *decisionRecord, now time.Time, job river.InsertManyParams) error {
	if err := s.writes.do(ctx, outcomeWrite(e, d, now, &job, nil)); err != nil {
		return fmt.Errorf("handing %s to a job of its own: %w", e.ID, err)
	}
	return nil
}

// outcomeWrite records an attempt, with its decision d when that is not
// written yet, and enqueues job, and the notifications notes, with it.
func outcomeWrite(e *Event, d *decisionRecord, now time.Time, job *river.InsertManyParams, notes []engine.Notify) writeFunc {
	return func(ctx context.Context, q querier, enqueue enqueueFunc) error {
		results, err := json.Marshal(e.Results)
		if err != nil {
			return err
		}
		if d != nil {
			_, err = q.exec(ctx,
				`UPDATE organizer_events SET status = $1, attempts = $2, results = $3, error = $4, updated_at = $5, decided_at = $5, ruleset = $6, decision = $7 WHERE id = $8 AND generation = $9`,
				string(e.Status), e.Attempts, string(results), e.Error, now.UnixMicro(), d.ruleset, string(e.Decision), e.ID, e.Replays)
		} else {
			_, err = q.exec(ctx,
				`UPDATE organizer_events SET status = $1, attempts = $2, results = $3, error = $4, updated_at = $5 WHERE id = $6 AND generation = $7`,
				string(e.Status), e.Attempts, string(results), e.Error, now.UnixMicro(), e.ID, e.Replays)
		}
		if err != nil {
			return err
		}
		if err := notifyWrite(ctx, q, enqueue, e, notes, now); err != nil {
			return err
		}
		if job == nil {
			return nil
		}
		return enqueue(ctx, []river.InsertManyParams{*job})
	}
}

// replay resets an event for a new evaluation under the current rules and
// enqueues its job, in one write. It returns the event's new generation,
// or found=false.
func (s store) replay(ctx context.Context, id string, now time.Time) (gen int, found bool, err error) {
	err = s.writes.do(ctx, func(ctx context.Context, q querier, enqueue enqueueFunc) error {
		var g int
		if err := archiveDecisions(ctx, q, []string{id}); err != nil {
			return err
		}
		ok, err := queryOne(ctx, q,
			`UPDATE organizer_events SET generation = generation + 1, status = 'queued', attempts = 0, ruleset = '', decision = '', results = '', error = '', reason = 'replay', decided_at = 0, updated_at = $1 WHERE id = $2 RETURNING generation`,
			[]any{now.UnixMicro(), id}, &g)
		if err != nil || !ok {
			gen, found = 0, false
			return err
		}
		gen, found = g, true
		return enqueue(ctx, []river.InsertManyParams{{Args: eventsArgs{Events: []eventRef{{ID: id, Generation: g}}}}})
	})
	if err != nil {
		return 0, false, fmt.Errorf("replaying %s: %w", id, err)
	}
	return gen, found, nil
}

// replayDead resets the dead letters of a provider (every provider when
// it is empty) for a new evaluation under the current rules, and enqueues
// their jobs, a batch per write. It returns how many it replayed.
func (s store) replayDead(ctx context.Context, provider string, now time.Time) (int, error) {
	const batch = 1000
	total := 0
	for {
		var refs []eventRef
		err := s.writes.do(ctx, func(ctx context.Context, q querier, enqueue enqueueFunc) error {
			refs = refs[:0]
			ids, err := queryStrings(ctx, q, `SELECT id FROM organizer_events WHERE status = 'dead' AND ($1 = '' OR provider = $1) ORDER BY seq LIMIT $2`, provider, batch)
			if err != nil || len(ids) == 0 {
				return err
			}
			if err := archiveDecisions(ctx, q, ids); err != nil {
				return err
			}
			in, args := inList(ids, 1)
			r, err := q.query(ctx, `UPDATE organizer_events SET generation = generation + 1, status = 'queued', attempts = 0, ruleset = '', decision = '', results = '', error = '', reason = 'replay', decided_at = 0, updated_at = $1
				WHERE id IN (`+in+`) RETURNING id, generation`, append([]any{now.UnixMicro()}, args...)...)
			if err != nil {
				return err
			}
			for r.Next() {
				var ref eventRef
				if err := r.Scan(&ref.ID, &ref.Generation); err != nil {
					r.Close()
					return err
				}
				refs = append(refs, ref)
			}
			r.Close()
			if err := r.Err(); err != nil || len(refs) == 0 {
				return err
			}
			return enqueue(ctx, []river.InsertManyParams{{Args: eventsArgs{Events: refs}}})
		})
		if err != nil {
			return total, fmt.Errorf("replaying dead letters: %w", err)
		}
		total += len(refs)
		if len(refs) < batch {
			return total, nil
		}
	}
}

// countByStatus counts events per status.
func (s store) countByStatus(ctx context.Context) (map[Status]int, error) {
	r, err := s.b.reader().query(ctx, `SELECT status, COUNT(*) FROM organizer_events GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("counting events: %w", err)
	}
	defer r.Close()
	out := map[Status]int{}
	for r.Next() {
		var st string
		var n int64
		if err := r.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[Status(st)] = int(n)
	}
	return out, r.Err()
}
