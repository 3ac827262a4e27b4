package server

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/organizer-dev/organizer/adapters"
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
//
// Both read what this replica wrote recently, kept in memory (recentWrites):
// asking the store on every decision cost two thirds of the apply rate.
// With replicas, each sees its own writes: an echo another replica caused is
// decided again (it writes nothing, the item already holds it), and a loop
// spread over n replicas is held after up to n × loop_limit changes.

// loopGuard is the name a hold of the loop check carries in held_by.
const loopGuard = "loop"

// isEcho reports whether e is a content.updated whose changed_fields are
// all fields organizer itself wrote to the item within echo_window.
func (s *Service) isEcho(e *Event, ev engine.Event) bool {
	if e.Type != "content.updated" || e.ContentID == "" || s.cfg.EchoWindow <= 0 {
		return false
	}
	changed := changedFields(ev.Data)
	if len(changed) == 0 {
		return false // says nothing of what changed: decide it
	}
	written := map[string]bool{}
	for _, w := range s.writes.since(e.Provider, e.ContentID, time.Now().Add(-s.cfg.EchoWindow.D())) {
		for _, f := range w.fields {
			written[f] = true
		}
	}
	for _, f := range changed {
		if !written[f] {
			return false
		}
	}
	s.log.Info("an echo of organizer's own change: not decided", "event_id", e.ID, "content_id", e.ContentID, "changed_fields", changed)
	return true
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
func fieldsOf(a adapters.Action) []string {
	switch a.Kind {
	case adapters.SetFolder:
		return []string{"folder", "folder_id"}
	case adapters.SetVisibility:
		return []string{"visibility"}
	case adapters.AddTag, adapters.RemoveTag:
		return []string{"tags"}
	case adapters.Grant:
		return []string{"permissions"}
	case adapters.SetMetadata:
		return []string{"metadata", "metadata." + a.Key}
	}
	return nil
}

// checkLoop holds d when organizer changed the item loop_limit times
// within loop_window already, naming the rules involved.
func (s *Service) checkLoop(e *Event, d *engine.Decision) {
	if s.cfg.LoopLimit <= 0 || s.cfg.LoopWindow <= 0 || e.ContentID == "" {
		return
	}
	recent := s.writes.since(e.Provider, e.ContentID, time.Now().Add(-s.cfg.LoopWindow.D()))
	if len(recent) < s.cfg.LoopLimit || len(adapters.Actions(d.Plan)) == 0 {
		return // a decision that changes nothing cannot feed a loop
	}
	involved := slices.Clone(d.Matched)
	for _, w := range recent {
		involved = append(involved, w.rules...)
	}
	sort.Strings(involved)
	involved = slices.Compact(involved)
	msg := fmt.Sprintf("organizer changed this item %d times in the last %s (loop_limit %d): probably rules, or a rule and another system, undoing each other; rules involved: %s",
		len(recent), s.cfg.LoopWindow.D(), s.cfg.LoopLimit, strings.Join(involved, ", "))
	d.HeldBy = append(d.HeldBy, loopGuard)
	d.Holds = append(d.Holds, engine.Hold{Guard: loopGuard, Message: msg})
	s.log.Warn("a probable loop: the item's change is held", "event_id", e.ID, "content_id", e.ContentID, "changes", len(recent), "rules", involved)
}

// noteWrites remembers what an attempt changed on its item, if anything:
// the fields and the rules of the decision.
func (s *Service) noteWrites(e *Event, results []adapters.Result, matched []string) {
	var fields []string
	for _, r := range results {
		if r.Outcome == adapters.Applied {
			fields = append(fields, fieldsOf(r.Action)...)
		}
	}
	if len(fields) > 0 && e.ContentID != "" {
		s.writes.add(e.Provider, e.ContentID, recentWrite{at: time.Now(), fields: fields, rules: matched})
	}
}

// recentWrite is one attempt's changes to an item.
type recentWrite struct {
	at     time.Time
	fields []string // as changed_fields names them
	rules  []string // the decision's matched rules
}

// recentWrites keeps, per item, the changes this replica made within a
// window, oldest first. Items with nothing in the window are dropped as
// writes come in, so it holds what the window holds.
type recentWrites struct {
	mu     sync.Mutex
	window time.Duration
	items  map[string][]recentWrite
	adds   int
}

func newRecentWrites(window time.Duration) *recentWrites {
	return &recentWrites{window: window, items: map[string][]recentWrite{}}
}

func itemKey(provider, contentID string) string { return provider + "\x00" + contentID }

// add records a write, and every so often forgets items whose writes all
// left the window.
func (r *recentWrites) add(provider, contentID string, w recentWrite) {
	if r.window <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := itemKey(provider, contentID)
	r.items[k] = append(r.keep(r.items[k], w.at), w)
	if r.adds++; r.adds%1024 == 0 {
		for k, ws := range r.items {
			if ws = r.keep(ws, w.at); len(ws) == 0 {
				delete(r.items, k)
			} else {
				r.items[k] = ws
			}
		}
	}
}

// keep drops the writes that left the window before now.
func (r *recentWrites) keep(ws []recentWrite, now time.Time) []recentWrite {
	i := 0
	for i < len(ws) && now.Sub(ws[i].at) > r.window {
		i++
	}
	return ws[i:]
}

// since returns the item's writes at or after a time.
func (r *recentWrites) since(provider, contentID string, at time.Time) []recentWrite {
	r.mu.Lock()
	defer r.mu.Unlock()
	ws := r.items[itemKey(provider, contentID)]
	i := sort.Search(len(ws), func(i int) bool { return !ws[i].at.Before(at) })
	return slices.Clone(ws[i:])
}
