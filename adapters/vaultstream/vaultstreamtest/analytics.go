package vaultstreamtest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// usageJSON is an item of GET /analytics/content-usage.
type usageJSON struct {
	ContentID    string `json:"content_id"`
	Title        string `json:"title"`
	LastAccessed string `json:"last_accessed"`
}

// contentUsage lists the items last accessed before a time, oldest first.
// Without last_accessed_before it lists every item.
func (s *Server) contentUsage(r *http.Request, _ []byte) (int, any, error) {
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, invalid("limit must be a positive integer, not %q", v)
		}
		limit = n
	}
	var before time.Time
	if v := q.Get("last_accessed_before"); q.Has("last_accessed_before") {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return 0, nil, invalid("last_accessed_before must be an RFC 3339 time, not %q", v)
		}
		before = t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type usage struct {
		c    *Content
		last time.Time
	}
	var found []usage
	for _, c := range s.st.content {
		last := c.LastAccessed
		if last.IsZero() {
			last = c.CreatedAt
		}
		if before.IsZero() || last.Before(before) {
			found = append(found, usage{c, last})
		}
	}
	slices.SortFunc(found, func(a, b usage) int {
		return cmp.Or(a.last.Compare(b.last), cmp.Compare(a.c.ID, b.c.ID))
	})
	out := itemsJSON[usageJSON]{Items: []usageJSON{}}
	for _, u := range found[:min(limit, len(found))] {
		out.Items = append(out.Items, usageJSON{ContentID: u.c.ID, Title: u.c.Title,
			LastAccessed: u.last.UTC().Format(time.RFC3339)})
	}
	return http.StatusOK, out, nil
}
