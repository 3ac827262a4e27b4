package server

import (
	"encoding/json"
	"fmt"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// storedDecision is a decision as the log keeps it: without its event,
// whose id, provider, type, time and data the event's row and payload
// already hold, but with the content as the rules saw it (the platform's
// copy, when the attempt read it). That is a third of each stored
// decision. GET /v1/events/{id} shows the decision whole again
// (withEvent).
type storedDecision struct {
	decisionFields
	Event   *struct{}       `json:"event,omitempty"` // hides the decision's event
	Content *engine.Content `json:"content"`
}

// decisionFields is engine.Decision without its methods, so that its
// fields, not its MarshalJSON, are what storedDecision embeds.
type decisionFields engine.Decision

// newStoredDecision is d as the log keeps it; empty lists stay [].
func newStoredDecision(d engine.Decision) storedDecision {
	if d.Matched == nil {
		d.Matched = []string{}
	}
	if d.Trace == nil {
		d.Trace = []engine.TraceEntry{}
	}
	if d.HeldBy == nil {
		d.HeldBy = []string{}
	}
	if d.Holds == nil {
		d.Holds = []engine.Hold{}
	}
	d.Sources = d.Provenance() // with the tags' rules, which evaluation keeps apart
	content := d.Event.Content
	return storedDecision{decisionFields: decisionFields(d), Content: &content}
}

// withEvent returns e's stored decision with its event put back (see
// decidedEvent). A decision stored whole (before this form) is returned as
// it is.
func (s *Service) withEvent(e *Event) (json.RawMessage, error) {
	if e.Decision == nil {
		return nil, nil
	}
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(e.Decision, &parts); err != nil {
		return nil, fmt.Errorf("reading the decision of %s: %w", e.ID, err)
	}
	if _, whole := parts["event"]; whole {
		return e.Decision, nil
	}
	ev, err := decidedEvent(s.registry, e)
	if err != nil {
		return nil, err
	}
	delete(parts, "content")
	if parts["event"], err = json.Marshal(ev); err != nil {
		return nil, err
	}
	return json.Marshal(parts)
}

// decidedEvent is the event as the rules saw it when they decided e: its
// row and payload, with the content its decision keeps (the platform's
// copy, when the attempt read it). An event not decided yet is its
// payload decoded.
func decidedEvent(reg *adapters.Registry, e *Event) (engine.Event, error) {
	var parts struct {
		Event   *engine.Event   `json:"event"`
		Content *engine.Content `json:"content"`
	}
	if e.Decision != nil {
		if err := json.Unmarshal(e.Decision, &parts); err != nil {
			return engine.Event{}, fmt.Errorf("reading the decision of %s: %w", e.ID, err)
		}
	}
	if parts.Event != nil { // stored whole, as before
		parts.Event.ReceivedAt = e.ReceivedAt
		return *parts.Event, nil
	}
	ev, err := decodeStored(reg, e)
	if err != nil {
		return engine.Event{}, err
	}
	ev.ReceivedAt = e.ReceivedAt
	if parts.Content != nil {
		ev.Content = *parts.Content
	}
	return ev, nil
}
