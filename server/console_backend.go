package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/rules"
	"github.com/organizer-dev/organizer/server/console"
)

// consoleBackend is the service as the web console sees it.
type consoleBackend struct{ s *Service }

var _ console.Backend = consoleBackend{}

// mountConsole serves the console's pages from r, beside the API.
func (s *Service) mountConsole(r *gin.Engine) error {
	h, err := console.New(consoleBackend{s}, console.Options{AdminToken: s.cfg.AdminToken, Log: s.log.With("component", "console")})
	if err != nil {
		return err
	}
	for _, rt := range h.Routes() {
		r.Handle(rt.Method, ginPath(rt.Path), gin.WrapH(h))
		if rt.Method == http.MethodGet {
			r.Handle(http.MethodHead, ginPath(rt.Path), gin.WrapH(h))
		}
	}
	return nil
}

var patternWildcard = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// ginPath turns a net/http pattern's path ("/events/{id}", "/{$}") into
// gin's ("/events/:id", "/").
func ginPath(p string) string {
	p = strings.ReplaceAll(p, "{$}", "")
	return patternWildcard.ReplaceAllStringFunc(p, func(m string) string {
		if strings.HasSuffix(m, "...}") {
			return "*" + m[1:len(m)-4]
		}
		return ":" + m[1:len(m)-1]
	})
}

// consoleWindow bounds how many events one page of a rule or type search
// looks at: no index serves those filters, so a page stops there and its
// next link goes on from where it stopped.
const consoleWindow = 2000

// Events lists events newest first: content id, provider and status are
// served by the indexes; rule and type are looked for within a window.
func (b consoleBackend) Events(ctx context.Context, q console.EventQuery) (console.EventPage, error) {
	var where []string
	var args []any
	add := func(cond string, vs ...any) {
		for _, v := range vs {
			args = append(args, v)
			cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1)
		}
		where = append(where, cond)
	}
	switch {
	case q.ContentID != "" && q.Provider == "":
		// The index leads with the provider: name every provider so it
		// serves a search by content id alone.
		names := b.s.registry.Names()
		ps := make([]any, len(names))
		for i, n := range names {
			ps[i] = n
		}
		add("provider IN ("+strings.TrimSuffix(strings.Repeat("?,", len(ps)), ",")+")", ps...)
		add("content_id = ?", q.ContentID)
	case q.ContentID != "":
		add("provider = ?", q.Provider)
		add("content_id = ?", q.ContentID)
	case q.Provider != "":
		add("provider = ?", q.Provider)
	}
	if q.Status != "" {
		add("status = ?", q.Status)
	}
	if q.Before > 0 {
		add("seq < ?", q.Before)
	}
	windowed := q.Rule != "" || q.Type != ""
	limit := q.Limit + 1
	if windowed {
		limit = consoleWindow
	}
	query := `SELECT ` + eventColumns
	if q.Rule != "" {
		query += `, decision`
	}
	query += ` FROM organizer_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	query += " ORDER BY seq DESC LIMIT $" + strconv.Itoa(len(args))
	r, err := b.s.backend.reader().query(ctx, query, args...)
	if err != nil {
		return console.EventPage{}, fmt.Errorf("listing events for the console: %w", err)
	}
	defer r.Close()
	var page console.EventPage
	scanned, last := 0, int64(0)
	for r.Next() {
		var decision string
		var e *Event
		if q.Rule != "" {
			e, err = scanEvent(r, &decision)
		} else {
			e, err = scanEvent(r)
		}
		if err != nil {
			return console.EventPage{}, err
		}
		scanned, last = scanned+1, e.seq
		if len(page.Items) == q.Limit {
			page.Next = page.Items[len(page.Items)-1].Seq
			return page, nil
		}
		if (q.Type == "" || e.Type == q.Type) && (q.Rule == "" || matched(decision, q.Rule)) {
			page.Items = append(page.Items, summary(e))
		}
	}
	if err := r.Err(); err != nil {
		return console.EventPage{}, err
	}
	if windowed && scanned == consoleWindow {
		page.Next, page.Searched = last, scanned
	}
	return page, nil
}

// matched reports whether a stored decision matched rule.
func matched(decision, rule string) bool {
	if decision == "" || !strings.Contains(decision, strconv.Quote(rule)) {
		return false
	}
	var d struct {
		Matched []string `json:"matched"`
	}
	if json.Unmarshal([]byte(decision), &d) != nil {
		return false
	}
	for _, m := range d.Matched {
		if m == rule {
			return true
		}
	}
	return false
}

func summary(e *Event) console.EventSummary {
	return console.EventSummary{Seq: e.seq, ID: e.ID, Provider: e.Provider, Type: e.Type, ContentID: e.ContentID,
		Status: string(e.Status), Attempts: e.Attempts, Error: e.Error, ReceivedAt: e.ReceivedAt, UpdatedAt: e.UpdatedAt}
}

// Event returns one event as GET /v1/events/{id} does.
func (b consoleBackend) Event(ctx context.Context, id string) (*console.EventDetail, error) {
	e, err := b.s.store.get(ctx, id)
	if err != nil || e == nil {
		return nil, err
	}
	notes, err := b.s.store.notificationResults(ctx, e)
	if err != nil {
		return nil, err
	}
	d := &console.EventDetail{EventSummary: summary(e), Replays: e.Replays, Payload: e.Payload}
	for _, r := range append(e.Results, notes...) {
		d.Results = append(d.Results, console.ActionResult{Action: r.Action, Kind: r.Kind, Outcome: r.Outcome,
			Attempts: r.Attempts, Calls: r.Calls, Error: r.Error})
	}
	if len(e.Decision) > 0 {
		var dec engine.Decision
		if err := json.Unmarshal(e.Decision, &dec); err != nil {
			return nil, fmt.Errorf("reading the decision of %s: %w", id, err)
		}
		if dec.Event, err = decidedEvent(b.s.registry, e); err != nil {
			return nil, err
		}
		d.Decision = &dec
		if rs := b.s.rules.Current(); rs != nil {
			ctx, cancel := context.WithTimeout(ctx, evalTimeout)
			defer cancel()
			d.Trace, d.SameRules = rs.Evaluate(ctx, dec.Event, engine.FullTrace()).Trace, rs.Digest() == dec.Ruleset
		}
	}
	log, err := b.s.store.decisions(ctx, e)
	if err != nil {
		return nil, err
	}
	for _, h := range log {
		entry := console.HistoryEntry{Generation: h.Generation, Ruleset: h.Ruleset, Reason: string(h.Reason), Status: string(h.Status)}
		if h.DecidedAt != nil {
			entry.DecidedAt = *h.DecidedAt
		}
		_ = json.Unmarshal(h.Matched, &entry.Matched)
		_ = json.Unmarshal(h.HeldBy, &entry.HeldBy)
		d.History = append(d.History, entry)
	}
	return d, nil
}

// Replay is POST /v1/events/{id}/replay.
func (b consoleBackend) Replay(ctx context.Context, id string) (bool, error) {
	gen, found, err := b.s.store.replay(ctx, id, time.Now())
	if found {
		b.s.log.Info("event replayed", "event_id", id, "replays", gen)
	}
	return found, err
}

// Approve is POST /v1/events/{id}/approve.
func (b consoleBackend) Approve(ctx context.Context, id string) error {
	_, _, err := b.s.settleHeld(ctx, id, ReasonApprove)
	return consoleError(err)
}

// Reject is POST /v1/events/{id}/reject.
func (b consoleBackend) Reject(ctx context.Context, id string) error {
	_, _, err := b.s.settleHeld(ctx, id, ReasonReject)
	return consoleError(err)
}

// Revert is POST /v1/events/{id}/revert.
func (b consoleBackend) Revert(ctx context.Context, id string) error {
	_, err := b.s.revert(ctx, id, time.Now())
	return consoleError(err)
}

// consoleError tells the console's sentinel errors apart.
func consoleError(err error) error {
	switch {
	case errors.Is(err, errNoEvent):
		return console.ErrNotFound
	case errors.Is(err, errNotHeld), errors.Is(err, errNothingToRevert), errors.Is(err, errChangedMeanwhile):
		return fmt.Errorf("%w: %w", console.ErrConflict, err)
	}
	return err
}

// Impact is POST /v1/impact.
func (b consoleBackend) Impact(ctx context.Context, in console.ImpactInput) (*console.ImpactReport, rules.ErrorList, error) {
	w := ImpactWindow{Until: time.Now()}
	if in.Since != "" {
		d, err := ParseSince(in.Since)
		if err != nil {
			return nil, nil, &console.BadInputError{Message: err.Error()}
		}
		w.Since = d
	}
	w, err := w.resolve()
	if err != nil {
		return nil, nil, &console.BadInputError{Message: err.Error()}
	}
	r, errs, err := b.s.previewProposed(ctx, rulesText{Files: in.Files}, w)
	switch {
	case len(errs) > 0:
		return nil, errs, nil
	case errors.Is(err, errNoRulesInForce):
		return nil, nil, &console.BadInputError{Message: err.Error()}
	case err != nil:
		return nil, nil, err
	}
	out := &console.ImpactReport{From: r.From, Until: r.Until, Current: r.Current, Proposed: r.Proposed,
		Events: r.Events, Changed: r.Changed, Limited: r.Limited}
	for field, changes := range r.Fields {
		for change, n := range changes {
			out.Fields = append(out.Fields, console.FieldCount{Field: field, Change: change, Events: n})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Rules)) {
		if c := r.Rules[name]; c.Before != c.After {
			out.Rules = append(out.Rules, console.RuleCount{Rule: name, Before: c.Before, After: c.After})
		}
	}
	for _, ex := range r.Examples {
		e := console.ImpactExample{EventID: ex.EventID, ContentID: ex.ContentID, Title: ex.Title}
		for _, c := range ex.Changes {
			e.Changes = append(e.Changes, fmt.Sprintf("%s: %v → %v", c.Field, c.Before, c.After))
		}
		out.Examples = append(out.Examples, e)
	}
	return out, nil, nil
}

// ReplayDead is POST /v1/dead-letters/replay.
func (b consoleBackend) ReplayDead(ctx context.Context, provider string) (int, error) {
	return b.s.store.replayDead(ctx, provider, time.Now())
}

// Rules is GET /v1/rules, with the rules of the ruleset in force.
func (b consoleBackend) Rules() console.RulesStatus {
	st := b.s.rules.Status()
	out := console.RulesStatus{Path: st.Path, Digest: st.Digest, LoadedAt: st.LoadedAt, CheckedAt: st.CheckedAt,
		OK: st.OK, Errors: st.Errors, Reloads: st.Reloads, Failures: st.Failures}
	if rs := b.s.rules.Current(); rs != nil {
		out.Rules = rs.Rules()
	}
	return out
}

// DryRun is POST /v1/dry-run: the same code decides.
func (b consoleBackend) DryRun(ctx context.Context, in console.DryRunInput) (engine.Decision, rules.ErrorList, error) {
	req := dryRunRequest{Event: in.Event, Provider: in.Provider, Files: in.Files}
	if in.Payload != nil {
		req.Payload = json.RawMessage(in.Payload)
	}
	d, fail := b.s.decideDry(ctx, req)
	switch {
	case fail == nil:
		return d, nil, nil
	case len(fail.problems) > 0:
		return engine.Decision{}, fail.problems, nil
	default:
		return engine.Decision{}, nil, &console.BadInputError{Message: fail.message}
	}
}

// Schedules is GET /v1/schedules.
func (b consoleBackend) Schedules(ctx context.Context) ([]console.Schedule, error) {
	items, err := b.s.scheduleStatuses(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]console.Schedule, len(items))
	for i, it := range items {
		out[i] = console.Schedule{Name: it.Name, Cron: it.Cron, Timezone: it.Timezone, Provider: it.Provider,
			Source: it.Source, NextRun: it.NextRun}
		if l := it.LastRun; l != nil {
			out[i].LastRun = &console.ScheduleRun{RunID: l.RunID, Status: l.Status, StartedAt: l.StartedAt,
				Items: l.Items, Changed: l.Changed, Failed: l.Failed, Message: l.Message}
		}
	}
	return out, nil
}

// RunSchedule is POST /v1/schedules/{name}/run.
func (b consoleBackend) RunSchedule(ctx context.Context, name string) (string, error) {
	id, code, err := b.s.runScheduleNow(ctx, name)
	switch code {
	case http.StatusNotFound:
		return "", console.ErrNotFound
	case http.StatusServiceUnavailable:
		return "", &console.BadInputError{Message: "No valid ruleset is loaded: see the rules page."}
	}
	return id, err
}

// Activity counts the events received since since, per hour and status.
//
// No index serves received_at, and reading 24 hours of rows would read
// their payloads too. Arrival order (seq) follows received_at, so each
// hour starts at the first seq received in it, found by a binary search
// over the key; the counts then come from the (status, seq) index alone.
func (b consoleBackend) Activity(ctx context.Context, since time.Time) ([]console.HourCount, error) {
	bounds, err := b.hourBounds(ctx, since, 24)
	if err != nil || bounds == nil {
		return nil, err
	}
	byHour := map[int64]map[string]int{}
	for _, st := range countedStatuses() {
		if err := b.countHours(ctx, st, bounds, byHour); err != nil {
			return nil, fmt.Errorf("counting the events of the last hours: %w", err)
		}
	}
	out := make([]console.HourCount, 0, len(byHour))
	for h, counts := range byHour {
		out = append(out, console.HourCount{Start: since.Add(time.Duration(h) * time.Hour), Counts: counts})
	}
	return out, nil
}

// countHours adds the events of one status to byHour: a count of a range
// of the (status, seq) index per hour, which reads the index alone. (One
// query with a CASE over seq costs ten times as much on SQLite.)
func (b consoleBackend) countHours(ctx context.Context, status string, bounds []int64, byHour map[int64]map[string]int) error {
	for h, from := range bounds {
		to := int64(math.MaxInt64)
		if h+1 < len(bounds) {
			to = bounds[h+1]
		}
		if from >= to {
			continue
		}
		var n int64
		if _, err := queryOne(ctx, b.s.backend.reader(), `SELECT COUNT(*) FROM organizer_events WHERE status = $1 AND seq >= $2 AND seq < $3`,
			[]any{status, from, to}, &n); err != nil {
			return err
		}
		if n > 0 {
			if byHour[int64(h)] == nil {
				byHour[int64(h)] = map[string]int{}
			}
			byHour[int64(h)][status] += int(n)
		}
	}
	return nil
}

// countedStatuses are the statuses the activity chart counts: every one
// the service sets, and held, which guards may set.
func countedStatuses() []string {
	out := []string{"held"}
	for _, st := range statuses {
		if st != "held" {
			out = append(out, string(st))
		}
	}
	return out
}

// hourBounds returns, for each of the hours from since, the first seq
// received in it, or nil when no event was received since since.
func (b consoleBackend) hourBounds(ctx context.Context, since time.Time, hours int) ([]int64, error) {
	var lo, hi int64
	found, err := queryOne(ctx, b.s.backend.reader(), `SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM organizer_events`, nil, &lo, &hi)
	if err != nil || !found || hi == 0 {
		return nil, err
	}
	bounds := make([]int64, hours)
	for h := range hours {
		at := since.Add(time.Duration(h) * time.Hour).UnixMicro()
		seq, err := b.firstSeqAt(ctx, lo, hi+1, at)
		if err != nil {
			return nil, fmt.Errorf("finding the events of the last hours: %w", err)
		}
		bounds[h], lo = seq, seq
	}
	if bounds[0] > hi {
		return nil, nil
	}
	return bounds, nil
}

// firstSeqAt is the first seq in [lo, hi) received at or after at (hi if
// none), by binary search over the key; seq may have gaps.
func (b consoleBackend) firstSeqAt(ctx context.Context, lo, hi, at int64) (int64, error) {
	for lo < hi {
		mid := lo + (hi-lo)/2
		var seq, received int64
		found, err := queryOne(ctx, b.s.backend.reader(),
			`SELECT seq, received_at FROM organizer_events WHERE seq >= $1 ORDER BY seq LIMIT 1`, []any{mid}, &seq, &received)
		switch {
		case err != nil:
			return 0, err
		case !found || seq >= hi:
			hi = mid
		case received >= at:
			hi = mid
		default:
			lo = seq + 1
		}
	}
	return lo, nil
}

// Attention counts the dead letters and the held events.
func (b consoleBackend) Attention(ctx context.Context) (console.Attention, error) {
	var dead, held int64
	_, err := queryOne(ctx, b.s.backend.reader(),
		`SELECT (SELECT COUNT(*) FROM organizer_events WHERE status = 'dead'), (SELECT COUNT(*) FROM organizer_events WHERE status = 'held')`,
		nil, &dead, &held)
	if err != nil {
		return console.Attention{}, fmt.Errorf("counting what needs attention: %w", err)
	}
	return console.Attention{Dead: int(dead), Held: int(held)}, nil
}

// Providers names the providers.
func (b consoleBackend) Providers() []string { return b.s.registry.Names() }

// Statuses names the statuses.
func (b consoleBackend) Statuses() []string {
	out := make([]string, len(statuses))
	for i, st := range statuses {
		out[i] = string(st)
	}
	return out
}
