package shift72test

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"
)

// Bundle statuses, as documented for GET /services/meta/v1/bundles/{id}.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
)

// status_id values of the film and TV indexes: 2 is published (observed),
// 1 is taken to be draft (assumed).
const (
	statusIDDraft     = 1
	statusIDPublished = 2
)

// Film is a film of the simulated site. Its slug is "/film/{ID}".
type Film struct {
	ID            int            // assigned by AddFilm when 0
	Title         string         //
	Tagline       string         //
	Overview      string         //
	Genres        []string       //
	Tags          []string       //
	Custom        map[string]any // admin custom fields
	SEOKeywords   string         //
	Published     bool           // status_id 2 when true, 1 (draft) when false
	PublishedDate time.Time      // zero is null
}

// Slug returns the film's slug, "/film/{ID}".
func (f Film) Slug() string { return fmt.Sprintf("/film/%d", f.ID) }

// Episode is an episode of a Season.
type Episode struct {
	Number   int
	Title    string
	Overview string
	Runtime  int // minutes
}

// Season is a TV season of the simulated site. Its slug is
// "/tv/{ShowID}/season/{Number}"; seasons with the same ShowID make a show
// in the TV index.
type Season struct {
	ShowID          int       //
	Number          int       //
	ShowTitle       string    // show_info.title, and the show's title in the TV index
	Genres          []string  // show_info.genres
	Tagline         string    //
	Overview        string    //
	PublishingState string    // an ingestion state such as "complete"; "" is null
	Episodes        []Episode //
	Published       bool      // status_id in the TV index; drafts are shown to admins only
	PublishedDate   time.Time //
}

// Slug returns the season's slug, "/tv/{ShowID}/season/{Number}".
func (s Season) Slug() string { return fmt.Sprintf("/tv/%d/season/%d", s.ShowID, s.Number) }

// Bundle is a bundle of the simulated site: an ordered list of slugs.
type Bundle struct {
	ID          int
	Title       string
	Tagline     string
	Description string
	Status      string   // StatusDraft or StatusPublished
	Items       []string // ordered; duplicates are kept
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Collection is a featured collection (GET /services/meta/v4/featured): read
// only through the API.
type Collection struct {
	ID          int // assigned by AddCollection when 0
	Title       string
	TitleSlug   string
	DisplayName string
	Description string
	Items       []string // ordered, may hold duplicates and mixed kinds
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// GeoRule is one geo-block rule: Rule is "allow" or "block", GeoRegion an
// ISO 3166-1 alpha-2 code in lower case.
type GeoRule struct {
	Rule      string `json:"rule"`
	GeoRegion string `json:"geo_region"`
}

// Availability is the window in which an item can be watched.
type Availability struct {
	Slug string
	From time.Time // zero is null
	To   time.Time // zero is null
}

// state is the simulated site's content, guarded by mu.
type state struct {
	mu           sync.Mutex
	films        map[int]Film
	seasons      map[string]Season
	bundles      map[int]Bundle
	collections  map[int]Collection
	geo          map[geoKey][]GeoRule
	availability map[string]Availability
	nextID       int
}

type geoKey struct{ platform, slug string }

func newState() *state {
	return &state{
		films:        map[int]Film{},
		seasons:      map[string]Season{},
		bundles:      map[int]Bundle{},
		collections:  map[int]Collection{},
		geo:          map[geoKey][]GeoRule{},
		availability: map[string]Availability{},
		nextID:       1,
	}
}

// id returns id, or a fresh one when id is 0; it keeps fresh ids above every
// id in use. The caller holds mu.
func (st *state) id(id int) int {
	if id == 0 {
		id = st.nextID
	}
	st.nextID = max(st.nextID, id+1)
	return id
}

// AddFilm adds or replaces a film and returns its id (assigned when f.ID is
// 0).
func (s *Server) AddFilm(f Film) int {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	f.ID = st.id(f.ID)
	f.Genres, f.Tags, f.Custom = slices.Clone(f.Genres), slices.Clone(f.Tags), maps.Clone(f.Custom)
	st.films[f.ID] = f
	return f.ID
}

// Film returns a copy of the film with the id.
func (s *Server) Film(id int) (Film, bool) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.films[id]
	f.Genres, f.Tags, f.Custom = slices.Clone(f.Genres), slices.Clone(f.Tags), maps.Clone(f.Custom)
	return f, ok
}

// AddSeason adds or replaces a TV season and returns its slug.
func (s *Server) AddSeason(season Season) string {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	season.Genres, season.Episodes = slices.Clone(season.Genres), slices.Clone(season.Episodes)
	st.seasons[season.Slug()] = season
	return season.Slug()
}

// AddBundle adds a bundle with the title, status (StatusDraft or
// StatusPublished) and items, and returns its id.
func (s *Server) AddBundle(title, status string, items ...string) int {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	now := s.now()
	b := Bundle{ID: st.id(0), Title: title, Status: status, Items: nonNil(slices.Clone(items)), CreatedAt: now, UpdatedAt: now}
	st.bundles[b.ID] = b
	return b.ID
}

// Bundle returns a copy of the bundle with the id.
func (s *Server) Bundle(id int) (Bundle, bool) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.bundles[id]
	b.Items = slices.Clone(b.Items)
	return b, ok
}

// Bundles returns copies of all bundles, by id.
func (s *Server) Bundles() []Bundle {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]Bundle, 0, len(st.bundles))
	for _, b := range st.bundles {
		b.Items = slices.Clone(b.Items)
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AddCollection adds or replaces a featured collection and returns its id
// (assigned when c.ID is 0).
func (s *Server) AddCollection(c Collection) int {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	c.ID = st.id(c.ID)
	c.Items = nonNil(slices.Clone(c.Items))
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	st.collections[c.ID] = c
	return c.ID
}

// SetGeoRules sets the geo-block rules of an item on a platform ("tvod",
// "svod"); slug is the item's slug, such as "/film/92". No rules clears them.
func (s *Server) SetGeoRules(platform, slug string, rules ...GeoRule) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	st.geo[geoKey{platform, slug}] = slices.Clone(rules)
}

// GeoRules returns the geo-block rules of an item on a platform.
func (s *Server) GeoRules(platform, slug string) []GeoRule {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	return nonNil(slices.Clone(st.geo[geoKey{platform, slug}]))
}

// SetAvailability sets the availability window of an item.
func (s *Server) SetAvailability(a Availability) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	st.availability[a.Slug] = a
}

// nonNil returns s, or an empty slice for nil, so that JSON shows [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
