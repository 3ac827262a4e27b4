package shift72test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// filmJSON is a film as show_multiple returns it: the fields SHIFT72's
// public responses were seen to carry.
type filmJSON struct {
	ID          int            `json:"id"`
	FilmID      int            `json:"film_id"`
	Slug        string         `json:"slug"`
	Title       string         `json:"title"`
	Tagline     string         `json:"tagline"`
	Overview    string         `json:"overview"`
	Genres      []string       `json:"genres"`
	Tags        []string       `json:"tags"`
	Custom      map[string]any `json:"custom"`
	SEOKeywords string         `json:"seo_keywords"`
	ImageURLs   map[string]any `json:"image_urls"`
}

func imageURLs(slug string) map[string]any {
	out := map[string]any{}
	for _, kind := range []string{"portrait", "landscape", "header", "carousel", "bg", "classification", "seo"} {
		out[kind] = "https://images.example.invalid" + slug + "/" + kind + ".jpg"
	}
	return out
}

// timeOrNull is an ISO 8601 time, or nil (JSON null) for the zero time.
func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func statusID(published bool) int {
	if published {
		return statusIDPublished
	}
	return statusIDDraft
}

// filmShowMultiple is GET /services/meta/v2/film/{ids}/show_multiple: the
// films among the comma-separated numeric ids, in the order asked; unknown
// or malformed ids are left out, and drafts are shown to admins only.
func (s *Server) filmShowMultiple(w http.ResponseWriter, r *http.Request) {
	isAdmin := s.role(r) == admin
	out := []filmJSON{}
	st := s.state
	st.mu.Lock()
	for _, raw := range strings.Split(r.PathValue("ids"), ",") {
		id, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			continue
		}
		f, ok := st.films[id]
		if !ok || (!f.Published && !isAdmin) {
			continue
		}
		custom := f.Custom
		if custom == nil {
			custom = map[string]any{}
		}
		out = append(out, filmJSON{
			ID: f.ID, FilmID: f.ID, Slug: f.Slug(), Title: f.Title, Tagline: f.Tagline, Overview: f.Overview,
			Genres: nonNil(f.Genres), Tags: nonNil(f.Tags), Custom: custom, SEOKeywords: f.SEOKeywords,
			ImageURLs: imageURLs(f.Slug()),
		})
	}
	body, err := json.Marshal(out) // under the lock: Custom is shared with the state
	st.mu.Unlock()
	writeRaw(w, body, err)
}

// writeRaw answers 200 with body, already JSON, or 500 for err.
func writeRaw(w http.ResponseWriter, body []byte, err error) {
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// filmIndex is GET /services/meta/v2/film/index: published films, and drafts
// too for an admin, by id.
func (s *Server) filmIndex(w http.ResponseWriter, r *http.Request) {
	isAdmin := s.role(r) == admin
	out := []map[string]any{}
	st := s.state
	st.mu.Lock()
	for _, f := range st.films {
		if !f.Published && !isAdmin {
			continue
		}
		out = append(out, map[string]any{
			"id": f.ID, "slug": f.Slug(), "title": f.Title, "imdb_id": nil,
			"status_id": statusID(f.Published), "published_date": timeOrNull(f.PublishedDate),
			"portrait_image": imageURLs(f.Slug())["portrait"], "landscape_image": imageURLs(f.Slug())["landscape"],
		})
	}
	st.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i]["id"].(int) < out[j]["id"].(int) })
	writeJSON(w, http.StatusOK, out)
}

// csvQuery returns the comma-separated values of the query parameter.
func csvQuery(r *http.Request, name string) []string {
	var out []string
	for _, v := range strings.Split(r.URL.Query().Get(name), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// seasonShowMultiple is GET /services/meta/v2/tv/season/show_multiple?items=
// : {"seasons":[...]} for the known slugs among items, in the order asked;
// drafts are shown to admins only.
func (s *Server) seasonShowMultiple(w http.ResponseWriter, r *http.Request) {
	isAdmin := s.role(r) == admin
	seasons := []map[string]any{}
	st := s.state
	st.mu.Lock()
	for _, slug := range csvQuery(r, "items") {
		se, ok := st.seasons[slug]
		if !ok || (!se.Published && !isAdmin) {
			continue
		}
		episodes := []map[string]any{}
		for _, e := range se.Episodes {
			episodes = append(episodes, map[string]any{
				"episode_number": e.Number, "title": e.Title, "displayTitle": fmt.Sprintf("Episode %d: %s", e.Number, e.Title),
				"overview": e.Overview, "runtime": e.Runtime, "slug": fmt.Sprintf("%s/episode/%d", slug, e.Number),
			})
		}
		var state any
		if se.PublishingState != "" {
			state = se.PublishingState
		}
		seasons = append(seasons, map[string]any{
			"slug": slug, "item": slug, "season_num": se.Number, "title": nil,
			"tagline": se.Tagline, "overview": se.Overview, "publishing_state": state,
			"show_info":  map[string]any{"title": se.ShowTitle, "genres": nonNil(slices.Clone(se.Genres))},
			"image_urls": imageURLs(slug), "episodes": episodes,
		})
	}
	st.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"seasons": seasons})
}

// tvIndex is GET /services/meta/v3/tv/index: the shows made of the seasons,
// each with its seasons' slugs and status_id. A show is published when one
// of its seasons is; the public sees published shows and seasons only.
func (s *Server) tvIndex(w http.ResponseWriter, r *http.Request) {
	isAdmin := s.role(r) == admin
	type show struct {
		title     string
		published bool
		date      time.Time
		seasons   []Season
	}
	shows := map[int]*show{}
	st := s.state
	st.mu.Lock()
	for _, se := range st.seasons {
		sh := shows[se.ShowID]
		if sh == nil {
			sh = &show{}
			shows[se.ShowID] = sh
		}
		sh.title = cmp.Or(sh.title, se.ShowTitle)
		sh.published = sh.published || se.Published
		if !se.PublishedDate.IsZero() && (sh.date.IsZero() || se.PublishedDate.Before(sh.date)) {
			sh.date = se.PublishedDate
		}
		sh.seasons = append(sh.seasons, se)
	}
	st.mu.Unlock()
	ids := make([]int, 0, len(shows))
	for id := range shows {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	out := []map[string]any{}
	for _, id := range ids {
		sh := shows[id]
		if !sh.published && !isAdmin {
			continue
		}
		sort.Slice(sh.seasons, func(i, j int) bool { return sh.seasons[i].Number < sh.seasons[j].Number })
		seasons := []map[string]any{}
		for _, se := range sh.seasons {
			if se.Published || isAdmin {
				seasons = append(seasons, map[string]any{"slug": se.Slug(), "status_id": statusID(se.Published)})
			}
		}
		slug := fmt.Sprintf("/tv/%d", id)
		out = append(out, map[string]any{
			"id": id, "slug": slug, "title": sh.title, "status_id": statusID(sh.published),
			"published_date": timeOrNull(sh.date), "seasons": seasons,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// bundleJSON is a bundle; Status, CreatedAt and UpdatedAt are for admins.
func bundleJSON(b Bundle, isAdmin bool) map[string]any {
	out := map[string]any{
		"id": b.ID, "title": b.Title, "tagline": b.Tagline, "description": b.Description,
		"items": nonNil(slices.Clone(b.Items)),
	}
	if isAdmin {
		out["status"] = b.Status
		out["created_at"] = timeOrNull(b.CreatedAt)
		out["updated_at"] = timeOrNull(b.UpdatedAt)
	}
	return out
}

// bundleList is GET /services/meta/v1/bundles: published bundles for the
// public; every bundle, with its status, for an admin.
func (s *Server) bundleList(w http.ResponseWriter, r *http.Request) {
	isAdmin := s.role(r) == admin
	out := []map[string]any{}
	for _, b := range s.Bundles() {
		if b.Status == StatusPublished || isAdmin {
			out = append(out, bundleJSON(b, isAdmin))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// pathID returns the numeric {id} of the path, or false.
func pathID(r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	return id, err == nil
}

// bundleGet is GET /services/meta/v1/bundles/{id} (admin).
func (s *Server) bundleGet(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	id, ok := pathID(r)
	if !ok {
		notFound(w)
		return
	}
	b, ok := s.Bundle(id)
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, bundleJSON(b, true))
}

// bundlePutItems is PUT /services/meta/v1/bundles/{id}/items (admin): the
// body, a bare JSON array of slugs, replaces the bundle's items, order and
// duplicates kept, and is echoed back.
func (s *Server) bundlePutItems(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	id, ok := pathID(r)
	if !ok {
		notFound(w)
		return
	}
	if _, ok := s.Bundle(id); !ok {
		notFound(w)
		return
	}
	body, _ := io.ReadAll(r.Body) // already read into memory by logRequests
	items, err := decodeSlugs(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	st := s.state
	st.mu.Lock()
	b, ok := st.bundles[id]
	if ok {
		b.Items, b.UpdatedAt = items, s.now()
		st.bundles[id] = b
	}
	st.mu.Unlock()
	if !ok { // removed meanwhile
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, items)
}

// decodeSlugs decodes a body that must be exactly one JSON array of strings.
func decodeSlugs(body []byte) ([]string, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, fmt.Errorf("the body must be a JSON array of slugs")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("the body must be a JSON array of slugs: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("the body must be a single JSON array of slugs")
	}
	items := make([]string, len(raw))
	for i, v := range raw {
		slug, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("item %d is not a string: the body must be a JSON array of slugs", i)
		}
		items[i] = slug
	}
	return items, nil
}

// collectionJSON is a featured collection.
func collectionJSON(c Collection) map[string]any {
	return map[string]any{
		"id": c.ID, "title": c.Title, "title_slug": c.TitleSlug, "display_name": c.DisplayName,
		"description": c.Description, "items": nonNil(slices.Clone(c.Items)),
		"created_at": timeOrNull(c.CreatedAt), "updated_at": timeOrNull(c.UpdatedAt),
	}
}

// featuredList is GET /services/meta/v4/featured, by id.
func (s *Server) featuredList(w http.ResponseWriter, _ *http.Request) {
	out := []map[string]any{}
	st := s.state
	st.mu.Lock()
	for _, c := range st.collections {
		out = append(out, collectionJSON(c))
	}
	st.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i]["id"].(int) < out[j]["id"].(int) })
	writeJSON(w, http.StatusOK, out)
}

// featuredGet is GET /services/meta/v4/featured/{id}.
func (s *Server) featuredGet(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		notFound(w)
		return
	}
	st := s.state
	st.mu.Lock()
	c, ok := st.collections[id]
	var out map[string]any
	if ok {
		out = collectionJSON(c)
	}
	st.mu.Unlock()
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
