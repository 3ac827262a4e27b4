package console

import (
	"net/http"
	"time"
)

// homeView is the home page: the last 24 hours, the rules in force, and
// what needs attention.
type homeView struct {
	Chart     chart
	Rules     RulesStatus
	Attention Attention
}

// home is GET /.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UTC()
	since := now.Truncate(time.Hour).Add(-23 * time.Hour)
	hours, err := h.b.Activity(r.Context(), since)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	att, err := h.b.Attention(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.pages.render(w, r, http.StatusOK, "home", homeView{
		Chart: newChart(since, 24, hours, h.b.Statuses()), Rules: h.b.Rules(), Attention: att,
	})
}

// internal answers 500 for a failure of the service; the details go to
// the log, not to the page.
func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.opts.Log.Error("console page failed", "path", r.URL.Path, "error", err)
	h.pages.error(w, r, http.StatusInternalServerError, "The service failed to answer; see its log.")
}
