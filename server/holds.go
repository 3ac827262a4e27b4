package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// A held event waits for a person. POST /v1/events/{id}/approve applies
// the held plan: the decision is kept as it was made (same plan, same
// ruleset) and recorded again with reason approve, without its holds, and
// the event's job applies it like any decision. POST /v1/events/{id}/reject
// drops it: status rejected, reason reject, nothing applied. Both are in
// the event's decision history and the log.

var errNotHeld = errors.New("not held")

// approveEvent is POST /v1/events/{id}/approve.
func (s *Service) approveEvent(c *gin.Context) { s.settleHold(c, ReasonApprove) }

// rejectEvent is POST /v1/events/{id}/reject.
func (s *Service) rejectEvent(c *gin.Context) { s.settleHold(c, ReasonReject) }

func (s *Service) settleHold(c *gin.Context, reason Reason) {
	id := c.Param("id")
	status, gen, err := s.settleHeld(c.Request.Context(), id, reason)
	switch {
	case errors.Is(err, errNoEvent):
		apiError(c, codeNotFound, "no event "+id)
	case errors.Is(err, errNotHeld), errors.Is(err, errChangedMeanwhile):
		apiError(c, codeConflict, err.Error())
	case err != nil:
		s.internal(c, err)
	default:
		c.JSON(http.StatusAccepted, gin.H{"event_id": id, "status": status, "generation": gen})
	}
}

// settleHeld approves or rejects a held event, and returns its new status
// and generation: errNoEvent, or errNotHeld when it is not held.
func (s *Service) settleHeld(ctx context.Context, id string, reason Reason) (Status, int, error) {
	e, err := s.store.get(ctx, id)
	switch {
	case err != nil:
		return "", 0, err
	case e == nil:
		return "", 0, errNoEvent
	case e.Status != StatusHeld:
		return "", 0, fmt.Errorf("%w: event %s is %s; only a held event can be approved or rejected", errNotHeld, id, e.Status)
	}
	body, heldBy, err := released(e.Decision, reason)
	if err != nil {
		return "", 0, fmt.Errorf("reading the held decision of %s: %w", id, err)
	}
	gen, err := s.store.supersede(ctx, id, e.Replays, reason, body, time.Now())
	if err != nil {
		return "", 0, err
	}
	status := StatusQueued
	if reason == ReasonReject {
		status = StatusRejected
	}
	s.log.Info("held event "+string(reason)+"d", "event_id", id, "held_by", heldBy)
	return status, gen, nil
}

// released is a held decision as approved or rejected: an approval drops
// its holds (so the plan is applied) and keeps what held it under
// "approved_holds"; a rejection keeps it as it was.
func released(decision json.RawMessage, reason Reason) (string, []string, error) {
	var d map[string]json.RawMessage
	if err := json.Unmarshal(decision, &d); err != nil {
		return "", nil, err
	}
	var heldBy []string
	if err := json.Unmarshal(d["held_by"], &heldBy); err != nil {
		return "", nil, err
	}
	if reason == ReasonApprove {
		d["approved_holds"] = d["holds"]
		d["held_by"], d["holds"] = json.RawMessage("[]"), json.RawMessage("[]")
	}
	out, err := json.Marshal(d)
	return string(out), heldBy, err
}
