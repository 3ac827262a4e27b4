package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// pageSize is the number of events a list shows at once.
const pageSize = 50

// eventsView is the events page: the filters as given, a page of events
// and the link to the next page.
type eventsView struct {
	Query     EventQuery
	Page      EventPage
	NextURL   string
	FirstURL  string // the first page with the same filters
	Statuses  []string
	Providers []string
	Problem   string // a filter that could not be read
}

// events is GET /events?content_id=&status=&rule=&provider=&type=&before=.
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	v := eventsView{Statuses: h.b.Statuses(), Providers: h.b.Providers()}
	v.Query, v.Problem = readEventQuery(r.URL.Query())
	if v.Problem != "" {
		h.pages.render(w, r, http.StatusBadRequest, "events", v)
		return
	}
	page, err := h.b.Events(r.Context(), v.Query)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	v.Page = page
	if page.Next > 0 {
		v.NextURL = pageURL("/events", r.URL.Query(), page.Next)
	}
	if v.Query.Before > 0 {
		v.FirstURL = pageURL("/events", r.URL.Query(), 0)
	}
	h.pages.render(w, r, http.StatusOK, "events", v)
}

func readEventQuery(q url.Values) (EventQuery, string) {
	eq := EventQuery{
		ContentID: strings.TrimSpace(q.Get("content_id")), Status: q.Get("status"), Rule: strings.TrimSpace(q.Get("rule")),
		Provider: q.Get("provider"), Type: strings.TrimSpace(q.Get("type")), Limit: pageSize,
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return eq, "The page link is not valid; start again from the first page."
		}
		eq.Before = n
	}
	return eq, ""
}

// pageURL is the link to another page of the list shown: the same
// filters, events older than before (0: the newest).
func pageURL(path string, q url.Values, before int64) string {
	next := url.Values{}
	for k, vs := range q {
		if k != "before" && k != "done" && len(vs) > 0 && vs[0] != "" {
			next.Set(k, vs[0])
		}
	}
	if before > 0 {
		next.Set("before", strconv.FormatInt(before, 10))
	}
	if len(next) == 0 {
		return path
	}
	return path + "?" + next.Encode()
}

// eventView is one event's page.
type eventView struct {
	Event *EventDetail
	Done  string // what the last action on it did: replayed, approved, rejected, reverted
}

// doneNotice says what an action on an event did, by its ?done= word.
var doneNotice = map[string]string{
	"replayed": "Replayed: the event will be decided again with the rules in force.",
	"approved": "Approved: the held plan will be applied.",
	"rejected": "Rejected: nothing will be applied.",
	"reverted": "Reverted: what the event changed will be put back; a field someone else changed since is left as it is.",
}

// event is GET /events/{id}.
func (h *Handler) event(w http.ResponseWriter, r *http.Request) {
	e, err := h.b.Event(r.Context(), r.PathValue("id"))
	switch {
	case err != nil:
		h.internal(w, r, err)
	case e == nil:
		h.pages.error(w, r, http.StatusNotFound, "There is no event with this id (it may have been deleted by retention).")
	default:
		h.pages.render(w, r, http.StatusOK, "event", eventView{Event: e, Done: doneNotice[r.URL.Query().Get("done")]})
	}
}

// eventAction is POST /events/{id}/{action}. The id may hold slashes, so
// the action is the last segment. (Approve, reject and revert go here
// once the service has them.)
func (h *Handler) eventAction(w http.ResponseWriter, r *http.Request) {
	path := r.PathValue("action")
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		h.pages.error(w, r, http.StatusNotFound, "There is no such page.")
		return
	}
	id, action := path[:i], path[i+1:]
	switch action {
	case "replay":
		h.replay(w, r, id)
	case "approve":
		h.settle(w, r, id, "approved", h.b.Approve)
	case "reject":
		h.settle(w, r, id, "rejected", h.b.Reject)
	case "revert":
		h.settle(w, r, id, "reverted", h.b.Revert)
	default:
		h.pages.error(w, r, http.StatusNotFound, "There is no such action on an event.")
	}
}

// replay decides the event again with the rules in force, then shows it.
func (h *Handler) replay(w http.ResponseWriter, r *http.Request, id string) {
	found, err := h.b.Replay(r.Context(), id)
	switch {
	case err != nil:
		h.internal(w, r, err)
	case !found:
		h.pages.error(w, r, http.StatusNotFound, "There is no event with this id.")
	default:
		h.opts.Log.Info("event replayed from the console", "event_id", id)
		http.Redirect(w, r, eventURL(id)+"?done=replayed", http.StatusSeeOther)
	}
}

// settle approves, rejects or reverts an event, then shows it, or says
// why its state does not allow that.
func (h *Handler) settle(w http.ResponseWriter, r *http.Request, id, done string, act func(context.Context, string) error) {
	err := act(r.Context(), id)
	switch {
	case errors.Is(err, ErrNotFound):
		h.pages.error(w, r, http.StatusNotFound, "There is no event with this id.")
	case errors.Is(err, ErrConflict):
		h.pages.error(w, r, http.StatusConflict, "Not done: "+strings.TrimPrefix(err.Error(), ErrConflict.Error()+": "))
	case err != nil:
		h.internal(w, r, err)
	default:
		h.opts.Log.Info("event "+done+" from the console", "event_id", id)
		http.Redirect(w, r, eventURL(id)+"?done="+done, http.StatusSeeOther)
	}
}

// deadLettersView is the dead letters page.
type deadLettersView struct {
	Page      EventPage
	NextURL   string
	Providers []string
	Replayed  string // how many the last "replay all" replayed, as sent back
}

// deadLetters is GET /dead-letters: the events that failed for good.
func (h *Handler) deadLetters(w http.ResponseWriter, r *http.Request) {
	q, problem := readEventQuery(r.URL.Query())
	if problem != "" {
		h.pages.error(w, r, http.StatusBadRequest, problem)
		return
	}
	q.Status, q.Rule, q.Type, q.ContentID = "dead", "", "", ""
	page, err := h.b.Events(r.Context(), q)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	v := deadLettersView{Page: page, Providers: h.b.Providers()}
	if page.Next > 0 {
		v.NextURL = pageURL("/dead-letters", r.URL.Query(), page.Next)
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("replayed")); err == nil {
		v.Replayed = strconv.Itoa(n)
	}
	h.pages.render(w, r, http.StatusOK, "dead-letters", v)
}

// replayDead is POST /dead-letters/replay with provider= (empty: all).
func (h *Handler) replayDead(w http.ResponseWriter, r *http.Request) {
	provider := r.PostFormValue("provider")
	if provider != "" && !contains(h.b.Providers(), provider) {
		h.pages.error(w, r, http.StatusBadRequest, "There is no such provider.")
		return
	}
	n, err := h.b.ReplayDead(r.Context(), provider)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.opts.Log.Info("dead letters replayed from the console", "provider", provider, "events", n)
	http.Redirect(w, r, "/dead-letters?replayed="+strconv.Itoa(n), http.StatusSeeOther)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// rulesPage is GET /rules.
func (h *Handler) rulesPage(w http.ResponseWriter, r *http.Request) {
	h.pages.render(w, r, http.StatusOK, "rules", h.b.Rules())
}

// schedulesView is the schedules page.
type schedulesView struct {
	Items []Schedule
	RunID string // the run just asked for
}

// schedules is GET /schedules.
func (h *Handler) schedules(w http.ResponseWriter, r *http.Request) {
	items, err := h.b.Schedules(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.pages.render(w, r, http.StatusOK, "schedules", schedulesView{Items: items, RunID: r.URL.Query().Get("run")})
}

// runSchedule is POST /schedules/{name}/run.
func (h *Handler) runSchedule(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	id, err := h.b.RunSchedule(r.Context(), name)
	var bad *BadInputError
	switch {
	case errors.As(err, &bad):
		h.pages.error(w, r, http.StatusServiceUnavailable, bad.Message)
	case errors.Is(err, ErrNotFound):
		h.pages.error(w, r, http.StatusNotFound, "The rules in force have no such schedule.")
	case err != nil:
		h.internal(w, r, err)
	default:
		http.Redirect(w, r, "/schedules?run="+url.QueryEscape(id), http.StatusSeeOther)
	}
}
