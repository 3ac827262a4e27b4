package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/organizer-dev/organizer/engine"
)

// Echoes and loops. Organizer's own writes come back as webhooks: a
// VaultStream content.updated lists the fields that changed. One that
// lists only fields organizer wrote to the item within echo_window is an
// echo: recorded with status echo, not decided again (deciding it would at
// best write nothing, at worst start a loop). And when rules keep changing
// an item (two rules, or a rule and another system, undoing each other),
// the loop check holds the item's next change for a person once organizer
// has changed it loop_limit times within loop_window.

// loopGuard is the name a hold of the loop check carries in held_by.
const loopGuard = "loop"

// isEcho reports whether e is a content.updated whose changed_fields are
// all fields organizer itself wrote to the item within echo_window.
func (s *Service) isEcho(ctx context.Context, e *Event, ev engine.Event) (bool, error) {
	if e.Type != "content.updated" || e.ContentID == "" || s.cfg.EchoWindow <= 0 {
		return false, nil
	}
	changed := changedFields(ev.Data)
	if len(changed) == 0 {
		return false, nil // says nothing of what changed: decide it
	}
	recent, err := s.store.recentChanges(ctx, e, time.Now().Add(-s.cfg.EchoWindow.D()))
	if err != nil {
		return false, err
	}
	written := map[string]bool{}
	for _, r := range recent {
		for _, res := range r.results {
			if res.Outcome == "applied" {
				for _, f := range fieldsOf(res) {
					written[f] = true
				}
			}
		}
	}
	for _, f := range changed {
		if !written[f] {
			return false, nil
		}
	}
	s.log.Info("an echo of organizer's own change: not decided", "event_id", e.ID, "content_id", e.ContentID, "changed_fields", changed)
	return true, nil
}

// changedFields reads data.changed_fields, a list of field names.
func changedFields(data map[string]any) []string {
	list, _ := data["changed_fields"].([]any)
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// fieldsOf names what an applied action changed, as a content.updated's
// changed_fields may: a folder move is "folder" or "folder_id", a tag
// "tags", a metadata key "metadata" or "metadata.<key>", a grant
// "permissions".
func fieldsOf(r ActionResult) []string {
	switch r.Kind {
	case "folder":
		return []string{"folder", "folder_id"}
	case "visibility":
		return []string{"visibility"}
	case "tag", "remove_tag":
		return []string{"tags"}
	case "permission":
		return []string{"permissions"}
	case "metadata":
		// The action reads `metadata.<key> = <value>`.
		key, _, _ := strings.Cut(strings.TrimPrefix(r.Action, "metadata."), " = ")
		return []string{"metadata", "metadata." + key}
	}
	return nil
}

// checkLoop holds d when organizer changed the item loop_limit times
// within loop_window already, naming the rules involved.
func (s *Service) checkLoop(ctx context.Context, e *Event, d *engine.Decision) error {
	if s.cfg.LoopLimit <= 0 || s.cfg.LoopWindow <= 0 || e.ContentID == "" {
		return nil
	}
	recent, err := s.store.recentChanges(ctx, e, time.Now().Add(-s.cfg.LoopWindow.D()))
	if err != nil {
		return err
	}
	changes := 0
	involved := slices.Clone(d.Matched)
	for _, r := range recent {
		if !slices.ContainsFunc(r.results, func(x ActionResult) bool { return x.Outcome == "applied" }) {
			continue
		}
		changes++
		involved = append(involved, r.matched...)
	}
	if changes < s.cfg.LoopLimit {
		return nil
	}
	sort.Strings(involved)
	involved = slices.Compact(involved)
	msg := fmt.Sprintf("organizer changed this item %d times in the last %s (loop_limit %d): probably rules, or a rule and another system, undoing each other; rules involved: %s",
		changes, s.cfg.LoopWindow.D(), s.cfg.LoopLimit, strings.Join(involved, ", "))
	d.HeldBy = append(d.HeldBy, loopGuard)
	d.Holds = append(d.Holds, engine.Hold{Guard: loopGuard, Message: msg})
	s.log.Warn("a probable loop: the item's change is held", "event_id", e.ID, "content_id", e.ContentID, "changes", changes, "rules", involved)
	return nil
}

// recentChange is what an earlier event of the same item did.
type recentChange struct {
	results []ActionResult
	matched []string
}

// recentChanges returns what the other events of e's item decided and
// applied since a time.
func (s store) recentChanges(ctx context.Context, e *Event, since time.Time) ([]recentChange, error) {
	r, err := s.b.reader().query(ctx, `SELECT results, decision FROM organizer_events
		WHERE provider = $1 AND content_id = $2 AND id <> $3 AND status = 'applied' AND updated_at >= $4`,
		e.Provider, e.ContentID, e.ID, since.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("reading the recent changes of %s: %w", e.ContentID, err)
	}
	defer r.Close()
	var out []recentChange
	for r.Next() {
		var results, decision string
		if err := r.Scan(&results, &decision); err != nil {
			return nil, err
		}
		var c recentChange
		if results != "" {
			if err := json.Unmarshal([]byte(results), &c.results); err != nil {
				return nil, fmt.Errorf("reading results: %w", err)
			}
		}
		var d struct {
			Matched []string `json:"matched"`
		}
		if decision != "" && json.Unmarshal([]byte(decision), &d) == nil {
			c.matched = d.Matched
		}
		out = append(out, c)
	}
	return out, r.Err()
}
