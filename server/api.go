package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/rules"
	"github.com/organizer-dev/organizer/server/rulewatch"
)

var statuses = []Status{StatusQueued, StatusRetrying, StatusApplied, StatusRecorded, StatusIgnored, StatusDead, StatusHeld, StatusRejected, StatusEcho}

// listEvents is GET /v1/events?content_id=&status=&provider=&limit=&before=,
// newest first. "next" is the before= of the following page.
func (s *Service) listEvents(c *gin.Context) {
	f := eventFilter{ContentID: c.Query("content_id"), Provider: c.Query("provider"), Status: Status(c.Query("status")), Limit: 50}
	if f.Status != "" && !slices.Contains(statuses, f.Status) {
		apiError(c, codeBadQuery, "status must be one of "+joinStatuses())
		return
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			apiError(c, codeBadQuery, "limit must be a number from 1 to 500")
			return
		}
		f.Limit = n
	}
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			apiError(c, codeBadQuery, "before must be the next value of a previous page")
			return
		}
		f.Before = n
	}
	s.respondList(c, f)
}

// listDeadLetters is GET /v1/dead-letters: the events that failed for good,
// with the reason and attempts; POST /v1/events/{id}/replay retries one.
func (s *Service) listDeadLetters(c *gin.Context) {
	s.respondList(c, eventFilter{Status: StatusDead, Provider: c.Query("provider"), ContentID: c.Query("content_id"), Limit: 500})
}

func (s *Service) respondList(c *gin.Context, f eventFilter) {
	items, err := s.store.list(c.Request.Context(), f)
	if err != nil {
		s.internal(c, err)
		return
	}
	body := gin.H{"items": items}
	if len(items) == f.Limit {
		body["next"] = strconv.FormatInt(items[len(items)-1].seq, 10)
	}
	c.JSON(http.StatusOK, body)
}

func joinStatuses() string {
	out := make([]string, len(statuses))
	for i, st := range statuses {
		out[i] = string(st)
	}
	return strings.Join(out, ", ")
}

// getEvent is GET /v1/events/{id}: the stored event, its status, payload,
// decision and per-action results.
func (s *Service) getEvent(c *gin.Context) {
	e, err := s.store.get(c.Request.Context(), c.Param("id"))
	switch {
	case err != nil:
		s.internal(c, err)
	case e == nil:
		apiError(c, codeNotFound, "no event "+c.Param("id"))
	default:
		notes, err := s.store.notificationResults(c.Request.Context(), e)
		if err != nil {
			s.internal(c, err)
			return
		}
		if e.Decisions, err = s.store.decisions(c.Request.Context(), e); err != nil {
			s.internal(c, err)
			return
		}
		if e.Decision, err = s.withEvent(e); err != nil {
			s.internal(c, err)
			return
		}
		e.Results = append(e.Results, notes...)
		c.JSON(http.StatusOK, e)
	}
}

// replayEvent is POST /v1/events/{id}/replay: evaluate the event again with
// the current rules and apply the new decision. Applying is idempotent, so
// replaying an applied event writes only what the new decision changes.
func (s *Service) replayEvent(c *gin.Context) {
	id := c.Param("id")
	if c.Query("dry_run") == "true" {
		s.replayDryRun(c, id)
		return
	}
	gen, found, err := s.store.replay(c.Request.Context(), id, time.Now())
	switch {
	case err != nil:
		s.internal(c, err)
	case !found:
		apiError(c, codeNotFound, "no event "+id)
	default:
		s.log.Info("event replayed", "event_id", id, "replays", gen)
		c.JSON(http.StatusAccepted, gin.H{"event_id": id, "status": StatusQueued, "replays": gen})
	}
}

// replayDeadLetters is POST /v1/dead-letters/replay[?provider=NAME]:
// replay every dead letter (of one provider), as replayEvent does each,
// once the cause is fixed.
func (s *Service) replayDeadLetters(c *gin.Context) {
	provider := c.Query("provider")
	if _, ok := s.registry.Lookup(provider); provider != "" && !ok {
		apiError(c, codeBadQuery, fmt.Sprintf("no provider %q (known: %v)", provider, s.registry.Names()))
		return
	}
	n, err := s.store.replayDead(c.Request.Context(), provider, time.Now())
	if err != nil {
		s.internal(c, err)
		return
	}
	s.log.Info("dead letters replayed", "provider", provider, "events", n)
	c.JSON(http.StatusAccepted, gin.H{"replayed": n})
}

// rulesStatus is GET /v1/rules and the answer of a reload: the source's
// status, with each error's position as "file:line:col".
type rulesStatus struct {
	rulewatch.Status
	Errors []problem `json:"errors"`
}

// problem is one rule-file error as the API reports it.
type problem struct {
	Position string `json:"position"` // file:line:col
	Message  string `json:"message"`
}

func problems(errs rules.ErrorList) []problem {
	out := make([]problem, len(errs))
	for i, e := range errs {
		out[i] = problem{Position: e.Pos.String(), Message: e.Message}
	}
	return out
}

func toRulesStatus(st rulewatch.Status) rulesStatus {
	return rulesStatus{Status: st, Errors: problems(st.Errors)}
}

// getRules is GET /v1/rules: the ruleset in force and, if the last edit
// was broken, its errors with positions.
func (s *Service) getRules(c *gin.Context) { c.JSON(http.StatusOK, toRulesStatus(s.rules.Status())) }

// reloadRules is POST /v1/rules/reload: load the rules path now. A broken
// edit answers 422 with its errors and leaves the ruleset in force.
func (s *Service) reloadRules(c *gin.Context) {
	_, err := s.rules.Load()
	st := toRulesStatus(s.rules.Status())
	if err != nil {
		invalidRules(c, "the rules on disk have errors; the ruleset in force is unchanged ("+st.Digest+")", st.Errors)
		return
	}
	c.JSON(http.StatusOK, st)
}

// rulesText is rule files sent in a request: {"files": {"name.yaml": "…"}},
// or one file as "rules": "…".
type rulesText struct {
	Files map[string]string `json:"files"`
	Rules string            `json:"rules"`
}

func (t rulesText) empty() bool { return len(t.Files) == 0 && t.Rules == "" }

// compile loads the rules sent, as engine.LoadFiles does: the ruleset, or
// every problem with its position.
func (t rulesText) compile(s *Service) (*engine.Ruleset, rules.ErrorList) {
	files := make(map[string][]byte, len(t.Files)+1)
	for name, text := range t.Files {
		files[name] = []byte(text)
	}
	if t.Rules != "" {
		files["inline.yaml"] = []byte(t.Rules)
	}
	l, errs := engine.LoadFiles(files, s.registry.CompileOptions()...)
	return l.Ruleset, errs
}

// validateRules is POST /v1/rules/validate: check rule files sent as JSON
// ({"files": {...}} or {"rules": "…"}) or as a YAML body, without touching
// the rules in force. 200 with the rule count, or 422 with every error.
func (s *Service) validateRules(c *gin.Context) {
	t, ok := s.readRulesText(c)
	if !ok {
		return
	}
	rs, errs := t.compile(s)
	if len(errs) > 0 {
		invalidRules(c, problemCount(errs), problems(errs))
		return
	}
	c.JSON(http.StatusOK, gin.H{"ok": true, "rules": rs.Len(), "digest": rs.Digest(), "errors": []problem{}})
}

// invalidRules answers 422 with every problem as a detail.
func invalidRules(c *gin.Context, message string, ps []problem) {
	rulesError(c, codeInvalidRules, message, ps)
}

// rulesError answers code with every problem as a detail.
func rulesError(c *gin.Context, code apiCode, message string, ps []problem) {
	details := make([]any, len(ps))
	for i, p := range ps {
		details[i] = p
	}
	apiError(c, code, message, details...)
}

func problemCount(errs rules.ErrorList) string {
	return strconv.Itoa(len(errs)) + " problem(s) in the rules"
}

func (s *Service) readRulesText(c *gin.Context) (rulesText, bool) {
	body, ok := s.readBody(c)
	if !ok {
		return rulesText{}, false
	}
	var t rulesText
	if strings.HasPrefix(c.ContentType(), "application/json") {
		if err := json.Unmarshal(body, &t); err != nil {
			apiError(c, codeMalformedBody, "the body must be {\"files\": {name: text}} or {\"rules\": text}: "+err.Error())
			return t, false
		}
	} else {
		t.Rules = string(body)
	}
	if t.empty() {
		apiError(c, codeMalformedBody, "no rules were sent")
		return t, false
	}
	return t, true
}

// readBody reads the request's body within the body limit, or answers 413
// (over the limit) or 400 (unreadable) itself.
//
// A declared length over the limit is refused before the first read: the
// server sends "100 Continue" only then, so a client that waits for it
// (Expect: 100-continue) gets the 413 instead of a broken pipe. A chunked
// body is cut at the limit as it is read.
func (s *Service) readBody(c *gin.Context) ([]byte, bool) {
	if c.Request.ContentLength > s.cfg.BodyLimit {
		apiError(c, codeBodyTooLarge, fmt.Sprintf("the body is over the limit of %d bytes", s.cfg.BodyLimit))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.BodyLimit))
	switch {
	case errors.As(err, new(*http.MaxBytesError)):
		apiError(c, codeBodyTooLarge, fmt.Sprintf("the body is over the limit of %d bytes", s.cfg.BodyLimit))
		return nil, false
	case err != nil:
		apiError(c, codeUnreadableBody, "the body could not be read")
		return nil, false
	}
	return body, true
}

// dryRunRequest is POST /v1/dry-run: an event, or a provider's raw payload,
// evaluated with the rules in force or with rules sent inline.
type dryRunRequest struct {
	Event    *engine.Event     `json:"event"`
	Provider string            `json:"provider"`
	Payload  json.RawMessage   `json:"payload"`
	Now      string            `json:"now"`
	Files    map[string]string `json:"files"`
	Rules    string            `json:"rules"`
}

// dryRun evaluates without side effects: nothing stored, nothing applied.
// The answer is the decision with the full trace, as organizer dry-run
// --format json prints it.
func (s *Service) dryRun(c *gin.Context) {
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	var req dryRunRequest
	if err := json.Unmarshal(body, &req); err != nil {
		apiError(c, codeMalformedBody, "the body must be a JSON object: "+err.Error())
		return
	}
	d, fail := s.decideDry(c.Request.Context(), req)
	switch {
	case fail == nil:
		c.JSON(http.StatusOK, d)
	case len(fail.problems) > 0:
		invalidRules(c, problemCount(fail.problems), problems(fail.problems))
	default:
		apiError(c, fail.code, fail.message)
	}
}

// dryRunFailure is why a dry run has no decision: problems in the rules
// sent, or an error code and message about the request.
type dryRunFailure struct {
	code     apiCode
	message  string
	problems rules.ErrorList
}

// decideDry is the dry run of POST /v1/dry-run and of the console's
// playground: decide req's event, or its provider's payload, with the
// rules sent or the rules in force, storing nothing.
func (s *Service) decideDry(ctx context.Context, req dryRunRequest) (engine.Decision, *dryRunFailure) {
	var ev engine.Event
	switch {
	case req.Event != nil && req.Payload == nil:
		ev = *req.Event
	case req.Payload != nil && req.Provider != "":
		var err error
		if ev, err = s.registry.DecodePayload(req.Provider, req.Payload); err != nil {
			return engine.Decision{}, &dryRunFailure{code: codeMalformedPayload, message: err.Error()}
		}
	default:
		return engine.Decision{}, &dryRunFailure{code: codeMalformedBody, message: `send "event", or "provider" with "payload"`}
	}
	at := time.Now().UTC()
	if req.Now != "" {
		t, err := time.Parse(time.RFC3339, req.Now)
		if err != nil {
			return engine.Decision{}, &dryRunFailure{code: codeMalformedBody, message: "now must be an RFC 3339 time like 2026-01-02T15:04:05Z"}
		}
		at = t
	}
	rs := s.rules.Current()
	if t := (rulesText{Files: req.Files, Rules: req.Rules}); !t.empty() {
		var errs rules.ErrorList
		if rs, errs = t.compile(s); len(errs) > 0 {
			return engine.Decision{}, &dryRunFailure{problems: errs}
		}
	}
	if rs == nil {
		return engine.Decision{}, &dryRunFailure{code: codeNoRuleset, message: "no valid ruleset is loaded (see GET /v1/rules); send rules inline"}
	}
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	return rs.Evaluate(ctx, ev, engine.Now(at), engine.FullTrace()), nil
}

// internal answers 500 for a failure of the service itself; the details go
// to the log, not to the client.
func (s *Service) internal(c *gin.Context, err error) {
	s.log.Error("admin API failure", "path", c.FullPath(), "error", err)
	apiError(c, codeInternal, "internal error; see the service's log")
}
