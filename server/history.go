package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/organizer-dev/organizer/engine"
)

// A decision is never overwritten. The event's row holds its current
// decision; a replay, an approval, a rejection or a revert first copies it
// to organizer_decisions, in the same transaction, and then starts the
// next. An event decided once (almost all of them) costs no history row.

// Reason is why an event was decided (again).
type Reason string

// The reasons of a decision.
const (
	ReasonReceived Reason = "received" // the webhook or sweep item arrived
	ReasonReplay   Reason = "replay"   // replayed under the rules in force
	ReasonApprove  Reason = "approve"  // a held decision approved: its plan applied
	ReasonReject   Reason = "reject"   // a held decision rejected: nothing applied
	ReasonRevert   Reason = "revert"   // the changes of an earlier decision put back
)

// decisionReason reads the stored reason; the first decision stores none.
func decisionReason(s string) Reason {
	if s == "" {
		return ReasonReceived
	}
	return Reason(s)
}

// DecisionEntry is one decision of an event's log, as GET
// /v1/events/{id} lists them.
type DecisionEntry struct {
	Generation int             `json:"generation"`
	Reason     Reason          `json:"reason"`
	Status     Status          `json:"status"`
	Ruleset    string          `json:"ruleset"`
	DecidedAt  *time.Time      `json:"decided_at"`
	Plan       json.RawMessage `json:"plan"`
	Matched    json.RawMessage `json:"matched"`
	HeldBy     json.RawMessage `json:"held_by,omitempty"`
	Results    []ActionResult  `json:"results"`
}

// archiveSQL copies the current decisions of some events to the history.
const archiveSQL = `INSERT INTO organizer_decisions (event_id, generation, reason, status, ruleset, decided_at, decision, results)
SELECT id, generation, CASE WHEN reason = '' THEN 'received' ELSE reason END, status, ruleset, decided_at, decision, results
FROM organizer_events WHERE decision <> '' AND id IN (%s) ON CONFLICT (event_id, generation) DO NOTHING`

// archiveDecisions keeps the current decision of each event among ids
// before a new one replaces it.
func archiveDecisions(ctx context.Context, q querier, ids []string) error {
	in, args := inList(ids, 0)
	if _, err := q.exec(ctx, fmt.Sprintf(archiveSQL, in), args...); err != nil {
		return fmt.Errorf("keeping the decisions of %d events: %w", len(ids), err)
	}
	return nil
}

// decisions returns e's decision log, oldest first: the superseded ones,
// then the current one when it is decided.
func (s store) decisions(ctx context.Context, e *Event) ([]DecisionEntry, error) {
	r, err := s.b.reader().query(ctx, `SELECT generation, reason, status, ruleset, decided_at, decision, results
		FROM organizer_decisions WHERE event_id = $1 ORDER BY generation`, e.ID)
	if err != nil {
		return nil, fmt.Errorf("reading the decisions of %s: %w", e.ID, err)
	}
	defer r.Close()
	out := []DecisionEntry{}
	for r.Next() {
		var d DecisionEntry
		var decided int64
		var reason, status, body, results string
		if err := r.Scan(&d.Generation, &reason, &status, &d.Ruleset, &decided, &body, &results); err != nil {
			return nil, fmt.Errorf("reading a decision of %s: %w", e.ID, err)
		}
		d.Reason, d.Status = Reason(reason), Status(status)
		if err := d.fill(decided, []byte(body), results); err != nil {
			return nil, fmt.Errorf("reading decision %d of %s: %w", d.Generation, e.ID, err)
		}
		out = append(out, d)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if e.Decision == nil {
		return out, nil
	}
	cur := DecisionEntry{Generation: e.Replays, Reason: e.reason, Status: e.Status, Ruleset: e.ruleset(), Results: e.Results}
	var decided int64
	if !e.decidedAt.IsZero() {
		decided = e.decidedAt.UnixMicro()
	}
	if err := cur.fill(decided, e.Decision, ""); err != nil {
		return nil, fmt.Errorf("reading the decision of %s: %w", e.ID, err)
	}
	return append(out, cur), nil
}

// fill sets the entry's time, plan, matched rules and holds from a stored
// decision, and its results when given.
func (d *DecisionEntry) fill(decidedMicros int64, body []byte, results string) error {
	if decidedMicros > 0 {
		t := time.UnixMicro(decidedMicros).UTC()
		d.DecidedAt = &t
	}
	var parts struct {
		Ruleset string          `json:"ruleset"`
		Plan    json.RawMessage `json:"plan"`
		Matched json.RawMessage `json:"matched"`
		HeldBy  json.RawMessage `json:"held_by"`
	}
	if err := json.Unmarshal(body, &parts); err != nil {
		return err
	}
	var plan engine.Plan // the log leaves a plan's empty fields out
	if err := unmarshalIfAny(parts.Plan, &plan); err != nil {
		return err
	}
	var err error
	if d.Plan, err = json.Marshal(plan); err != nil {
		return err
	}
	d.Matched, d.HeldBy = parts.Matched, parts.HeldBy
	if d.HeldBy == nil {
		d.HeldBy = json.RawMessage("[]")
	}
	if d.Ruleset == "" {
		d.Ruleset = parts.Ruleset
	}
	if d.Results == nil {
		d.Results = []ActionResult{}
	}
	if results != "" {
		return json.Unmarshal([]byte(results), &d.Results)
	}
	return nil
}

// ruleset is the digest of the rules that made e's current decision.
func (e *Event) ruleset() string {
	var d struct {
		Ruleset string `json:"ruleset"`
	}
	_ = json.Unmarshal(e.Decision, &d)
	return d.Ruleset
}

// inList returns "$n+1,$n+2,…" for the values, and the values as args.
func inList(values []string, n int) (string, []any) {
	params := make([]string, len(values))
	args := make([]any, len(values))
	for i, v := range values {
		params[i], args[i] = "$"+strconv.Itoa(n+i+1), v
	}
	return strings.Join(params, ","), args
}

// queryStrings returns the first column of a query's rows.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	r, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var v string
		if err := r.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, r.Err()
}

// replayDryRun is POST /v1/events/{id}/replay?dry_run=true: the decision
// a replay would make under the rules in force, and what it changes from
// the latest, without storing or applying anything. The event is decided
// from what was stored (the webhook or the sweep's item): no provider is
// called, so a rule reading fields only the platform's copy has may see
// them missing.
func (s *Service) replayDryRun(c *gin.Context, id string) {
	ctx := c.Request.Context()
	e, err := s.store.get(ctx, id)
	switch {
	case err != nil:
		s.internal(c, err)
		return
	case e == nil:
		apiError(c, codeNotFound, "no event "+id)
		return
	}
	rs := s.rules.Current()
	if rs == nil {
		apiError(c, codeNoRuleset, "no valid ruleset is loaded (see GET /v1/rules)")
		return
	}
	ev, err := decodeStored(s.registry, e)
	if err != nil {
		apiError(c, codeMalformedPayload, err.Error())
		return
	}
	ev.ReceivedAt = e.ReceivedAt
	evalCtx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	d := rs.Evaluate(evalCtx, ev, engine.FullTrace())
	var latest struct {
		Plan engine.Plan `json:"plan"`
	}
	if e.Decision != nil {
		if err := json.Unmarshal(e.Decision, &latest); err != nil {
			s.internal(c, fmt.Errorf("reading the decision of %s: %w", id, err))
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"event_id": id, "dry_run": true, "decision": d,
		"latest_ruleset": e.ruleset(), "changes": planChanges(latest.Plan, d.Plan)})
}

// planChanges lists the fields two plans differ in.
func planChanges(before, after engine.Plan) []FieldChange {
	out := []FieldChange{}
	for _, d := range planDiff(before, after) {
		out = append(out, d.FieldChange)
	}
	return out
}
