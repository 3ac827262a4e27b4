package vaultstreamtest

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The page sizes of the listings (API.md, Paging).
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// usageJSON is an item of GET /analytics/content-usage; Content is there
// with expand=content.
type usageJSON struct {
	ContentID    string       `json:"content_id"`
	Title        string       `json:"title"`
	LastAccessed string       `json:"last_accessed"`
	Content      *contentJSON `json:"content,omitempty"`
}

// pageJSON is a page of a listing: {"items": [...], "next_cursor": "..."},
// next_cursor absent on the last page.
type pageJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// keyed is a content item with the time a listing orders it by.
type keyed struct {
	c   *Content
	key time.Time
}

// listing is the parsed query of a listing: its filters are the caller's.
type listing struct {
	name   string // content-usage or catalog: a cursor is only good for its own
	limit  int
	after  *keyed // the cursor's position: the last item of the previous page
	values url.Values
}

// parseListing checks a listing's query: only the allowed params, a limit
// from 1 to maxLimit, and a cursor this listing gave.
func parseListing(r *http.Request, name string, allowed ...string) (*listing, error) {
	q := r.URL.Query()
	allowed = append(allowed, "limit", "cursor")
	for _, k := range sortedKeys(q) {
		if !slices.Contains(allowed, k) {
			return nil, invalid("unknown parameter %q (want %s)", k, strings.Join(allowed, ", "))
		}
	}
	l := &listing{name: name, limit: defaultLimit, values: q}
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > maxLimit {
			return nil, invalid("limit must be an integer from 1 to %d, not %q", maxLimit, q.Get("limit"))
		}
		l.limit = n
	}
	if q.Has("cursor") {
		pos, ok := decodeCursor(name, q.Get("cursor"))
		if !ok {
			return nil, invalid("cursor %q is not one this listing gave", q.Get("cursor"))
		}
		l.after = &pos
	}
	return l, nil
}

// time returns an optional RFC 3339 param, or the zero time.
func (l *listing) time(name string) (time.Time, error) {
	if !l.values.Has(name) {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, l.values.Get(name))
	if err != nil {
		return time.Time{}, invalid("%s must be an RFC 3339 time, not %q", name, l.values.Get(name))
	}
	return t, nil
}

// page orders the items by key then id, skips those up to the cursor, and
// returns a page of them and the cursor of the next page ("" when this is
// the last).
func (l *listing) page(found []keyed) ([]keyed, string) {
	order := func(a, b keyed) int { return cmp.Or(a.key.Compare(b.key), cmp.Compare(a.c.ID, b.c.ID)) }
	slices.SortFunc(found, order)
	if l.after != nil {
		i := 0
		for i < len(found) && order(found[i], *l.after) <= 0 {
			i++
		}
		found = found[i:]
	}
	if len(found) <= l.limit {
		return found, ""
	}
	return found[:l.limit], encodeCursor(l.name, found[l.limit-1])
}

// A cursor is opaque to clients: here, the listing's name and the position
// of the last item given, so that items added or removed meanwhile shift no
// page.
func encodeCursor(name string, last keyed) string {
	raw := fmt.Sprintf("%s\x00%d\x00%s", name, last.key.UnixNano(), last.c.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(name, cursor string) (keyed, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return keyed{}, false
	}
	parts := strings.SplitN(string(raw), "\x00", 3)
	if len(parts) != 3 || parts[0] != name || parts[2] == "" {
		return keyed{}, false
	}
	nanos, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return keyed{}, false
	}
	return keyed{c: &Content{ID: parts[2]}, key: time.Unix(0, nanos)}, true
}

// lastAccessed is when an item was last watched: CreatedAt when never.
func (c *Content) lastAccessed() time.Time {
	if c.LastAccessed.IsZero() {
		return c.CreatedAt
	}
	return c.LastAccessed
}

// contentUsage lists the items last accessed before a time (every item
// without last_accessed_before), least recently first, a page at a time;
// with expand=content each row carries its item as GET /content/{id} has it,
// unless the simulator was made WithoutExpand.
func (s *Server) contentUsage(r *http.Request, _ []byte) (int, any, error) {
	l, err := parseListing(r, "content-usage", "last_accessed_before", "expand")
	if err != nil {
		return 0, nil, err
	}
	before, err := l.time("last_accessed_before")
	if err != nil {
		return 0, nil, err
	}
	expand := l.values.Get("expand")
	if l.values.Has("expand") && expand != "content" {
		return 0, nil, invalid("expand must be \"content\", not %q", expand)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []keyed
	for _, c := range s.st.content {
		if last := c.lastAccessed(); before.IsZero() || last.Before(before) {
			found = append(found, keyed{c, last})
		}
	}
	items, next := l.page(found)
	out := pageJSON[usageJSON]{Items: []usageJSON{}, NextCursor: next}
	for _, u := range items {
		row := usageJSON{ContentID: u.c.ID, Title: u.c.Title, LastAccessed: u.key.UTC().Format(time.RFC3339)}
		if expand == "content" && !s.noExpand {
			v := u.c.view()
			row.Content = &v
		}
		out.Items = append(out.Items, row)
	}
	return http.StatusOK, out, nil
}

// listContent is GET /content: the catalog, oldest first, filtered by
// created_before and created_after (both exclusive), a page at a time.
func (s *Server) listContent(r *http.Request, _ []byte) (int, any, error) {
	l, err := parseListing(r, "catalog", "created_before", "created_after")
	if err != nil {
		return 0, nil, err
	}
	before, err := l.time("created_before")
	if err != nil {
		return 0, nil, err
	}
	after, err := l.time("created_after")
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []keyed
	for _, c := range s.st.content {
		if (before.IsZero() || c.CreatedAt.Before(before)) && (after.IsZero() || c.CreatedAt.After(after)) {
			found = append(found, keyed{c, c.CreatedAt})
		}
	}
	items, next := l.page(found)
	out := pageJSON[contentJSON]{Items: []contentJSON{}, NextCursor: next}
	for _, k := range items {
		out.Items = append(out.Items, k.c.view())
	}
	return http.StatusOK, out, nil
}
