package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/organizer-dev/organizer/rules"
)

// impactRequest is POST /v1/impact: the proposed rule files, name → text
// (or one file's text), and the window.
type impactRequest struct {
	Rules json.RawMessage `json:"rules"`
	Since string          `json:"since"`
	Limit int             `json:"limit"`
}

// files reads "rules": {"name.yaml": "text", …}, or "text" as one file.
func (r impactRequest) files() (rulesText, bool) {
	var t rulesText
	if json.Unmarshal(r.Rules, &t.Files) == nil && len(t.Files) > 0 {
		return t, true
	}
	if json.Unmarshal(r.Rules, &t.Rules) == nil && t.Rules != "" {
		return t, true
	}
	return t, false
}

// window reads since and limit; absent, they take their defaults.
func (r impactRequest) window() (ImpactWindow, error) {
	w := ImpactWindow{Limit: r.Limit, Until: time.Now()}
	if r.Since != "" {
		d, err := ParseSince(r.Since)
		if err != nil {
			return w, err
		}
		w.Since = d
	}
	if r.Limit < 0 {
		w.Limit = -1 // refused by resolve, not taken as the default
	}
	return w.resolve()
}

// impact is POST /v1/impact: what the proposed rules would change, against
// the ruleset in force, over the logged events of the window, each decided
// again from the store with both. Nothing is applied, written or fetched.
func (s *Service) impact(c *gin.Context) {
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	var req impactRequest
	if err := json.Unmarshal(body, &req); err != nil {
		apiError(c, codeMalformedBody, `the body must be {"rules": {"name.yaml": "…"}, "since": "24h", "limit": N}: `+err.Error())
		return
	}
	t, ok := req.files()
	if !ok {
		apiError(c, codeMalformedBody, `send the proposed rules as "rules": {"name.yaml": "…"}`)
		return
	}
	w, err := req.window()
	if err != nil {
		apiError(c, codeBadWindow, err.Error())
		return
	}
	report, errs, err := s.previewProposed(c.Request.Context(), t, w)
	switch {
	case len(errs) > 0:
		rulesError(c, codeInvalidProposal, problemCount(errs), problems(errs))
		return
	case errors.Is(err, errNoRulesInForce):
		apiError(c, codeNoRuleset, err.Error())
		return
	case err != nil:
		s.internal(c, err)
		return
	}
	c.JSON(http.StatusOK, report)
}

var errNoRulesInForce = errors.New("no valid ruleset is loaded (see GET /v1/rules): there is nothing to compare with")

// previewProposed is the impact of the proposed rules against the rules in
// force over the window: the positioned problems of the proposed rules, or
// errNoRulesInForce.
func (s *Service) previewProposed(ctx context.Context, t rulesText, w ImpactWindow) (*ImpactReport, rules.ErrorList, error) {
	proposed, errs := t.compile(s)
	if len(errs) > 0 {
		return nil, errs, nil
	}
	current := s.rules.Current()
	if current == nil {
		return nil, nil, errNoRulesInForce
	}
	report, err := previewImpact(ctx, s.backend.reader(), s.registry, current, proposed, w)
	return report, nil, err
}
