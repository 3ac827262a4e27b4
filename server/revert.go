package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/riverqueue/river"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// Undo. Each action an attempt applied records the value it replaced
// (ActionResult.Before), read from the item in the same attempt. A revert
// is a new decision of the event, reason "revert", whose plan puts those
// values back and whose expectations are what organizer had set: it runs
// through the same job, writer and apply path as any decision. A field
// someone else changed since is left as it is and reported as a conflict.

// Prior is what an item held before an action changed it.
type Prior struct {
	Value  any  `json:"value,omitempty"`
	Absent bool `json:"absent,omitempty"` // the tag or metadata key was not there
}

// conflictOutcome is a revert's result for a field changed by someone else
// since organizer set it: it is left as it is.
const conflictOutcome = "conflict"

// revertSpec is what a revert's stored decision carries besides its plan:
// the generation it undoes and, per field, the value organizer had set,
// which the item must still hold for the revert to touch it.
type revertSpec struct {
	Of     int           `json:"of"`
	Expect []expectation `json:"expect"`
}

// expectation is one field a revert puts back: what organizer had set
// there. Field is "folder", "visibility", "tag:<t>" or "metadata.<k>".
type expectation struct {
	Field  string `json:"field"`
	Set    any    `json:"set"`
	Absent bool   `json:"absent,omitempty"` // organizer removed it (a tag)
}

// before returns what the item held for an action, from its state read in
// the same attempt before the action was applied.
func before(c *engine.Content, a adapters.Action) *Prior {
	if c == nil {
		return nil
	}
	switch a.Kind {
	case adapters.SetFolder:
		return &Prior{Value: c.Folder}
	case adapters.SetVisibility:
		return &Prior{Value: c.Visibility}
	case adapters.AddTag:
		return &Prior{Absent: !slices.Contains(c.Tags, a.Value)}
	case adapters.RemoveTag:
		return &Prior{Absent: !slices.Contains(c.Tags, a.Value)}
	case adapters.SetMetadata:
		v, ok := c.Metadata[a.Key]
		return &Prior{Value: v, Absent: !ok}
	}
	return nil // grants and derivatives are not undone
}

// applied is one decision's plan and what became of its actions.
type applied struct {
	plan    engine.Plan
	results []ActionResult
}

// change is what an event's decisions did to one field: what the item
// held before the first of them changed it, and what the last one set.
type change struct {
	action adapters.Action // the last action that set the field
	before *Prior          // before the first
}

// revertOf builds the plan that puts back what an event's decisions
// (oldest first) changed, and the expectations that guard it: each field
// goes back to what the item held before the first decision changed it,
// provided it still holds what the last one set. It returns false when
// nothing they applied can be put back.
func revertOf(decisions []applied) (engine.Plan, []expectation, bool) {
	changes := map[string]*change{}
	var order []string
	for _, d := range decisions {
		actions := adapters.Actions(d.plan)
		for i, r := range d.results {
			if i >= len(actions) || r.Outcome != string(adapters.Applied) || r.Before == nil || r.Action != actions[i].String() {
				continue
			}
			f := field(actions[i])
			if c, ok := changes[f]; ok {
				c.action = actions[i]
				continue
			}
			changes[f] = &change{action: actions[i], before: r.Before}
			order = append(order, f)
		}
	}
	out := engine.Plan{Tags: []string{}, RemoveTags: []string{}, Permissions: []engine.Permission{},
		Derivatives: []engine.Derivative{}, Notify: []engine.Notify{}}
	var expect []expectation
	for _, f := range order {
		c := changes[f]
		a, b := c.action, c.before
		switch a.Kind {
		case adapters.SetFolder, adapters.SetVisibility:
			prev, _ := b.Value.(string)
			if prev == "" || prev == a.Value {
				continue // in no folder before: there is no "no folder" to move it back to
			}
			if a.Kind == adapters.SetFolder {
				out.Folder = prev
			} else {
				out.Visibility = prev
			}
			expect = append(expect, expectation{Field: f, Set: a.Value})
		case adapters.AddTag, adapters.RemoveTag:
			had := !b.Absent
			has := a.Kind == adapters.AddTag
			if had == has {
				continue // added, then removed again (or the reverse): as it was
			}
			if had {
				out.Tags = append(out.Tags, a.Value)
			} else {
				out.RemoveTags = append(out.RemoveTags, a.Value)
			}
			expect = append(expect, expectation{Field: f, Set: a.Value, Absent: !has})
		case adapters.SetMetadata:
			if out.Metadata == nil {
				out.Metadata = map[string]any{}
			}
			out.Metadata[a.Key] = b.Value // nil removes a key the item did not have
			if b.Absent {
				out.Metadata[a.Key] = nil
			}
			expect = append(expect, expectation{Field: f, Set: a.Metadata})
		}
	}
	return out, expect, len(expect) > 0
}

// sinceLastRevert returns the decisions of an event's log (oldest first)
// that came after its last revert: what a revert now puts back.
func sinceLastRevert(log []DecisionEntry) ([]applied, error) {
	var out []applied
	for _, d := range log {
		if d.Reason == ReasonRevert {
			out = out[:0]
			continue
		}
		var plan engine.Plan
		if len(d.Plan) > 0 {
			if err := json.Unmarshal(d.Plan, &plan); err != nil {
				return nil, err
			}
		}
		out = append(out, applied{plan: plan, results: d.Results})
	}
	return out, nil
}

// holds reports whether the item still holds what organizer set for a
// field, and if not, what it holds instead.
func (x expectation) holds(c *engine.Content) (bool, any) {
	if tag, ok := strings.CutPrefix(x.Field, "tag:"); ok {
		has := slices.Contains(c.Tags, tag)
		return has != x.Absent, has
	}
	if key, ok := strings.CutPrefix(x.Field, "metadata."); ok {
		v, ok := c.Metadata[key]
		return ok && jsonLabel(v) == jsonLabel(x.Set), v
	}
	switch x.Field {
	case "folder":
		return c.Folder == x.Set, c.Folder
	case "visibility":
		return c.Visibility == x.Set, c.Visibility
	}
	return false, nil
}

// field names the field an action of a revert's plan writes, as its
// expectations name them.
func field(a adapters.Action) string {
	switch a.Kind {
	case adapters.AddTag, adapters.RemoveTag:
		return "tag:" + a.Value
	case adapters.SetMetadata:
		return "metadata." + a.Key
	}
	return string(a.Kind)
}

// conflicts splits a revert's actions into those the item allows and, by
// index, the results of those it does not: fields someone else changed
// since organizer set them.
func conflicts(spec *revertSpec, c *engine.Content, actions []adapters.Action) ([]adapters.Action, map[int]ActionResult) {
	if spec == nil || c == nil {
		return actions, nil
	}
	keep := actions[:0:0]
	refused := map[int]ActionResult{}
	for i, a := range actions {
		ok := true
		for _, x := range spec.Expect {
			if x.Field != field(a) {
				continue
			}
			if holds, now := x.holds(c); !holds {
				ok = false
				refused[i] = ActionResult{Action: a.String(), Kind: string(a.Kind), Outcome: conflictOutcome,
					Error: fmt.Sprintf("changed since organizer set it (organizer set %v, the item now has %v): left as it is", show(x.Set, x.Absent), now)}
			}
		}
		if ok {
			keep = append(keep, a)
		}
	}
	return keep, refused
}

func show(v any, absent bool) any {
	if absent {
		return "nothing"
	}
	return v
}

// revertEvent is POST /v1/events/{id}/revert: put back what the event's
// latest decision changed. Reverting a revert again answers the revert
// already made: reverts are idempotent.
func (s *Service) revertEvent(c *gin.Context) {
	id := c.Param("id")
	out, err := s.revert(c.Request.Context(), id, time.Now())
	switch {
	case errors.Is(err, errNoEvent):
		apiError(c, codeNotFound, "no event "+id)
	case errors.Is(err, errNothingToRevert), errors.Is(err, errChangedMeanwhile):
		apiError(c, codeConflict, err.Error())
	case err != nil:
		s.internal(c, err)
	default:
		c.JSON(http.StatusAccepted, out)
	}
}

var (
	errNoEvent         = errors.New("no such event")
	errNothingToRevert = errors.New("nothing to revert")
)

// revertAnswer is what a revert request gets back.
type revertAnswer struct {
	EventID    string `json:"event_id"`
	Status     Status `json:"status"`
	Generation int    `json:"generation"`
	Fields     int    `json:"fields"` // how many fields the revert puts back
	Already    bool   `json:"already,omitempty"`
}

// revert records the revert of an event's latest decision as its next
// decision and enqueues its job, in one write.
func (s *Service) revert(ctx context.Context, id string, now time.Time) (revertAnswer, error) {
	e, err := s.store.get(ctx, id)
	if err != nil {
		return revertAnswer{}, err
	}
	if e == nil {
		return revertAnswer{}, errNoEvent
	}
	if e.reason == ReasonRevert {
		return revertAnswer{EventID: id, Status: e.Status, Generation: e.Replays, Already: true}, nil
	}
	if !e.Status.terminal() {
		return revertAnswer{}, fmt.Errorf("%w: event %s is %s; wait for it to finish", errNothingToRevert, id, e.Status)
	}
	if e.Decision == nil {
		return revertAnswer{}, fmt.Errorf("%w: event %s has no decision", errNothingToRevert, id)
	}
	log, err := s.store.decisions(ctx, e)
	if err != nil {
		return revertAnswer{}, err
	}
	since, err := sinceLastRevert(log)
	if err != nil {
		return revertAnswer{}, fmt.Errorf("reading the decisions of %s: %w", id, err)
	}
	plan, expect, ok := revertOf(since)
	if !ok {
		return revertAnswer{}, fmt.Errorf("%w: event %s changed nothing organizer can put back (only folder, visibility, tags and metadata applied by it are)", errNothingToRevert, id)
	}
	var d struct {
		Ruleset string `json:"ruleset"`
	}
	_ = json.Unmarshal(e.Decision, &d)
	body, err := json.Marshal(map[string]any{"ruleset": d.Ruleset, "matched": []string{}, "plan": plan, "held_by": []string{}, "holds": []any{},
		"revert": revertSpec{Of: e.Replays, Expect: expect}})
	if err != nil {
		return revertAnswer{}, err
	}
	gen, err := s.store.supersede(ctx, id, e.Replays, ReasonRevert, string(body), now)
	if err != nil {
		return revertAnswer{}, err
	}
	s.log.Info("event reverted", "event_id", id, "of", e.Replays, "fields", len(expect))
	return revertAnswer{EventID: id, Status: StatusQueued, Generation: gen, Fields: len(expect)}, nil
}

// supersede keeps an event's current decision in the history and starts
// its next one with the given reason and decision body (empty: decide
// again), in one write. A rejection ends the event (status rejected); any
// other reason queues it for a job. It fails with errChangedMeanwhile when
// the event is no longer at generation gen: someone acted on it meanwhile.
func (s store) supersede(ctx context.Context, id string, gen int, reason Reason, decision string, now time.Time) (int, error) {
	status := StatusQueued
	if reason == ReasonReject {
		status = StatusRejected
	}
	var next int
	err := s.writes.do(ctx, func(ctx context.Context, q querier, enqueue enqueueFunc) error {
		if err := archiveDecisions(ctx, q, []string{id}); err != nil {
			return err
		}
		decided := int64(0)
		if decision != "" {
			decided = now.UnixMicro()
		}
		ok, err := queryOne(ctx, q,
			`UPDATE organizer_events SET generation = generation + 1, status = $1, attempts = 0, results = '', error = '',
			  reason = $2, decision = $3, decided_at = $4, updated_at = $5 WHERE id = $6 AND generation = $7 RETURNING generation`,
			[]any{string(status), string(reason), decision, decided, now.UnixMicro(), id, gen}, &next)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: event %s; try again", errChangedMeanwhile, id)
		}
		if status != StatusQueued {
			return nil
		}
		return enqueue(ctx, []river.InsertManyParams{{Args: eventsArgs{Events: []eventRef{{ID: id, Generation: next}}}}})
	})
	if err != nil {
		return 0, fmt.Errorf("recording the %s of %s: %w", reason, id, err)
	}
	return next, nil
}

var errChangedMeanwhile = errors.New("the event changed meanwhile")

// revertRun is POST /v1/sweeps/{run_id}/revert: revert every event of a
// schedule's run that changed something.
func (s *Service) revertRun(c *gin.Context) {
	run := c.Param("run_id")
	ids, err := queryStrings(c.Request.Context(), s.store.b.reader(),
		`SELECT id FROM organizer_events WHERE substr(id, 1, $1) = $2 ORDER BY seq`, len(sweepEventID(run, "")), sweepEventID(run, ""))
	if err != nil {
		s.internal(c, err)
		return
	}
	if len(ids) == 0 {
		apiError(c, codeNotFound, "no run "+run+" with events (a run that changed nothing has none)")
		return
	}
	reverted, already, skipped := 0, 0, []gin.H{}
	for _, id := range ids {
		a, err := s.revert(c.Request.Context(), id, time.Now())
		switch {
		case errors.Is(err, errNothingToRevert):
			skipped = append(skipped, gin.H{"event_id": id, "reason": err.Error()})
		case err != nil:
			s.internal(c, err)
			return
		case a.Already:
			already++
		default:
			reverted++
		}
	}
	s.log.Info("run reverted", "run_id", run, "events", len(ids), "reverted", reverted)
	c.JSON(http.StatusAccepted, gin.H{"run_id": run, "events": len(ids), "reverted": reverted, "already": already, "skipped": skipped})
}

// readBefore makes sure the attempt knows the item as it is before its
// actions are applied. The first attempt read it to enrich the event; a
// later one (a retry, an approval, a revert) reads it now, through
// ReadState when the client has it, so that the apply does not read it
// again. An item that cannot be read is left to the apply to report.
func (s *Service) readBefore(ctx context.Context, client adapters.Client, a *attempt) {
	if a.read || a.event.ContentID == "" {
		return
	}
	a.read = true
	var content engine.Content
	var err error
	if sr, ok := client.(adapters.StateReader); ok {
		content, a.state, err = sr.ReadState(ctx, a.event.ContentID)
	} else {
		content, err = client.Fetch(ctx, a.event.ContentID)
	}
	if err != nil {
		a.state = nil
		return
	}
	a.before = &content
}
