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
// copy, when the attempt read it); and without its empty fields (an empty
// plan field, source, trace or hold list). Together that is half of each
// stored decision. GET /v1/events/{id} shows the decision whole again
// (withEvent).
type storedDecision struct {
	decisionFields
	Event   *struct{}           `json:"event,omitempty"` // hides the decision's event
	Content *engine.Content     `json:"content"`
	Plan    storedPlan          `json:"plan"`
	Sources storedSources       `json:"sources"`
	Trace   []engine.TraceEntry `json:"trace,omitempty"`
	HeldBy  []string            `json:"held_by,omitempty"`
	Holds   []engine.Hold       `json:"holds,omitempty"`
}

// decisionFields is engine.Decision without its methods, so that its
// fields, not its MarshalJSON, are what storedDecision embeds.
type decisionFields engine.Decision

// storedPlan is a plan without its empty fields.
type storedPlan struct {
	Folder      string              `json:"folder,omitempty"`
	Visibility  string              `json:"visibility,omitempty"`
	Tags        []string            `json:"tags,omitempty"`
	RemoveTags  []string            `json:"remove_tags,omitempty"`
	Permissions []engine.Permission `json:"permissions,omitempty"`
	Metadata    map[string]any      `json:"metadata,omitempty"`
	Derivatives []engine.Derivative `json:"derivatives,omitempty"`
	Notify      []engine.Notify     `json:"notify,omitempty"`
}

// storedSources is a decision's sources without their empty fields.
type storedSources struct {
	Folder      string           `json:"folder,omitempty"`
	Visibility  string           `json:"visibility,omitempty"`
	Tags        engine.SourceMap `json:"tags,omitempty"`
	RemoveTags  engine.SourceMap `json:"remove_tags,omitempty"`
	Metadata    engine.SourceMap `json:"metadata,omitempty"`
	Permissions engine.SourceMap `json:"permissions,omitempty"`
	Derivatives []string         `json:"derivatives,omitempty"`
	Notify      []string         `json:"notify,omitempty"`
}

// newStoredDecision is d as the log keeps it.
func newStoredDecision(d engine.Decision) storedDecision {
	if d.Matched == nil {
		d.Matched = []string{}
	}
	content := d.Event.Content
	return storedDecision{decisionFields: decisionFields(d), Content: &content,
		Plan: storedPlan(d.Plan), Sources: storedSources(d.Provenance()), // with the tags' rules, which evaluation keeps apart
		Trace: d.Trace, HeldBy: d.HeldBy, Holds: d.Holds}
}

// wholeDecision fills back what the log leaves out of a stored decision:
// the empty fields of its plan and sources, and its empty lists.
func wholeDecision(parts map[string]json.RawMessage) error {
	var plan engine.Plan
	var sources engine.Sources
	if err := unmarshalIfAny(parts["plan"], &plan); err != nil {
		return err
	}
	if err := unmarshalIfAny(parts["sources"], &sources); err != nil {
		return err
	}
	var err error
	if parts["plan"], err = json.Marshal(plan); err != nil {
		return err
	}
	if parts["sources"], err = json.Marshal(sources); err != nil {
		return err
	}
	for _, k := range []string{"matched", "trace", "held_by", "holds"} {
		if _, ok := parts[k]; !ok {
			parts[k] = json.RawMessage("[]")
		}
	}
	return nil
}

func unmarshalIfAny(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, v)
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
	if err := wholeDecision(parts); err != nil {
		return nil, fmt.Errorf("reading the decision of %s: %w", e.ID, err)
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
