package console

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/organizer-dev/organizer/rules"
)

// ImpactInput is what the impact page sends: proposed rule files (name →
// text) and how far back to look ("24h", "7d").
type ImpactInput struct {
	Files map[string]string
	Since string
}

// ImpactReport is what the proposed rules would change over the logged
// events, against the rules in force.
type ImpactReport struct {
	From, Until       time.Time
	Current, Proposed string // ruleset digests
	Events, Changed   int
	Limited           bool // more events than the limit: the oldest were left out
	Fields            []FieldCount
	Rules             []RuleCount
	Examples          []ImpactExample
}

// FieldCount is how many events a change of one field concerns, such as
// folder "Leadership → Executive".
type FieldCount struct {
	Field, Change string
	Events        int
}

// RuleCount is how many events a rule matches, before and after.
type RuleCount struct {
	Rule          string
	Before, After int
}

// ImpactExample is one event the proposed rules change, and how.
type ImpactExample struct {
	EventID, ContentID, Title string
	Changes                   []string // "folder: Leadership → Executive"
}

// impactView is the impact page: the form as sent and the report.
type impactView struct {
	Rules, Since string
	Problems     rules.ErrorList
	Error        string
	Report       *ImpactReport
}

// impactPage is GET /impact: the form, empty.
func (h *Handler) impactPage(w http.ResponseWriter, r *http.Request) {
	h.pages.render(w, r, http.StatusOK, "impact", impactView{Since: "24h"})
}

// impact is POST /impact: what the pasted rules would change over the
// logged events, as POST /v1/impact reports it.
func (h *Handler) impact(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	if err := r.ParseForm(); err != nil {
		h.pages.error(w, r, http.StatusRequestEntityTooLarge, "The form is over 1 MiB or could not be read.")
		return
	}
	v := impactView{Rules: r.PostFormValue("rules"), Since: strings.TrimSpace(r.PostFormValue("since"))}
	code := http.StatusOK
	report, problems, err := h.b.Impact(r.Context(), ImpactInput{Files: map[string]string{rulesFileName: v.Rules}, Since: v.Since})
	var bad *BadInputError
	switch {
	case errors.As(err, &bad):
		v.Error, code = bad.Message, http.StatusUnprocessableEntity
	case err != nil:
		h.internal(w, r, err)
		return
	case len(problems) > 0:
		v.Problems, code = problems, http.StatusUnprocessableEntity
	default:
		sortFields(report.Fields)
		v.Report = report
	}
	h.pages.render(w, r, code, "impact", v)
}

// sortFields orders field counts by field, then most events first.
func sortFields(fs []FieldCount) {
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].Field != fs[j].Field {
			return fs[i].Field < fs[j].Field
		}
		if fs[i].Events != fs[j].Events {
			return fs[i].Events > fs[j].Events
		}
		return fs[i].Change < fs[j].Change
	})
}
