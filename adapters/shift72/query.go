package shift72

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/internal/ratelimit"
)

// The page sizes of Query: how many items one show_multiple call reads.
// SHIFT72's own tools read at most 300 films a call; 100 keeps a page of
// TV season slugs well inside a URL's usual limits.
const (
	defaultPageSize = 100
	maxPageSize     = 300
)

// SourceCatalog is the one query source: every film and TV season.
const SourceCatalog = "catalog"

// Sources are the query sources and the params each takes: the catalog
// takes none.
var Sources = map[string][]string{SourceCatalog: {}}

// Sources implements adapters.QuerySources.
func (p *Provider) Sources() map[string][]string {
	return map[string][]string{SourceCatalog: {}}
}

var _ adapters.Querier = (*Client)(nil)

// listed is an item of an index: its slug and its index row.
type listed struct {
	slug string
	row  map[string]any
}

// Query implements adapters.Querier for the catalog. It first checks that
// the token is an admin's (GET /services/users/auth/bouncer, a 401
// otherwise), since the indexes answer anyone but show drafts to admins
// only. Then it lists every film of the film
// index (GET /services/meta/v2/film/index) and every TV season of the TV
// index (GET /services/meta/v3/tv/index), drafts included, as the admin
// token sees them. SHIFT72 documents no paging: each index is one answer, so
// Query reads both, then reads the items a page at a time with
// show_multiple, films first (by the film index's order), then seasons.
// Each Item's Content is what Fetch returns for its slug, its Row the
// item's index row (id, slug, title, status_id, published_date, ... for a
// film; slug and status_id for a season). An item that show_multiple no
// longer returns (deleted since the index was read) is left out.
//
// A 429 is waited out where it happens (bounded: a few tries, never more
// than two minutes at once) so that the query keeps its place; any other
// failure is returned as a *adapters.CallError, wrapped with the page.
func (c *Client) Query(ctx context.Context, source string, params map[string]string, each func(page []adapters.Item) error) error {
	if err := adapters.CheckQuery(Name, Sources, source, params); err != nil {
		return fmt.Errorf("shift72: %w", err)
	}
	// The indexes and show_multiple answer anyone, leaving drafts out for
	// all but an admin: a token that is not an admin's would make a
	// catalog that silently lacks every draft. The admin check says so
	// first.
	if err := ratelimit.Do(ctx, func() error {
		return c.call(ctx, http.MethodGet, "/services/users/auth/bouncer", nil, nil)
	}); err != nil {
		return fmt.Errorf("shift72: query %s: checking that the token is an admin's: %w", source, err)
	}
	films, seasons, err := c.indexes(ctx)
	if err != nil {
		return fmt.Errorf("shift72: query %s: %w", source, err)
	}
	n := 0
	for _, part := range []struct {
		items []listed
		read  func(context.Context, []listed) ([]adapters.Item, error)
	}{{films, c.filmPage}, {seasons, c.seasonPage}} {
		for start := 0; start < len(part.items); start += c.pageSize {
			n++
			page, err := part.read(ctx, part.items[start:min(start+c.pageSize, len(part.items))])
			if err != nil {
				return fmt.Errorf("shift72: query %s, page %d: %w", source, n, err)
			}
			if len(page) == 0 {
				continue
			}
			if err := each(page); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexes reads the film and TV indexes: the films' and seasons' slugs, in
// the indexes' order, with their rows.
func (c *Client) indexes(ctx context.Context) (films, seasons []listed, err error) {
	var filmRows []map[string]any
	if err := ratelimit.Do(ctx, func() error {
		filmRows = nil
		return c.call(ctx, http.MethodGet, "/services/meta/v2/film/index", nil, &filmRows)
	}); err != nil {
		return nil, nil, err
	}
	for _, row := range filmRows {
		slug, _ := row["slug"].(string)
		if !filmSlug.MatchString(slug) {
			if id, ok := row["id"].(float64); ok {
				slug = fmt.Sprintf("/film/%d", int64(id))
			}
		}
		if filmSlug.MatchString(slug) {
			films = append(films, listed{slug, row})
		}
	}
	var shows []struct {
		Seasons []map[string]any `json:"seasons"`
	}
	if err := ratelimit.Do(ctx, func() error {
		shows = nil
		return c.call(ctx, http.MethodGet, "/services/meta/v3/tv/index", nil, &shows)
	}); err != nil {
		return nil, nil, err
	}
	for _, show := range shows {
		for _, row := range show.Seasons {
			if slug, _ := row["slug"].(string); seasonSlug.MatchString(slug) {
				seasons = append(seasons, listed{slug, row})
			}
		}
	}
	return films, seasons, nil
}

// filmPage reads a page of films with one show_multiple.
func (c *Client) filmPage(ctx context.Context, chunk []listed) ([]adapters.Item, error) {
	ids := make([]string, len(chunk))
	for i, l := range chunk {
		ids[i] = filmSlug.FindStringSubmatch(l.slug)[1]
	}
	var films []map[string]any
	if err := ratelimit.Do(ctx, func() error {
		films = nil
		return c.call(ctx, http.MethodGet, "/services/meta/v2/film/"+strings.Join(ids, ",")+"/show_multiple", nil, &films)
	}); err != nil {
		return nil, err
	}
	bySlug := make(map[string]map[string]any, len(films))
	for _, f := range films {
		if f == nil {
			continue
		}
		if id, ok := f["id"].(float64); ok {
			bySlug[fmt.Sprintf("/film/%d", int64(id))] = f
		} else if slug, ok := f["slug"].(string); ok {
			bySlug[slug] = f
		}
	}
	page := make([]adapters.Item, 0, len(chunk))
	for _, l := range chunk {
		if f, ok := bySlug[l.slug]; ok {
			page = append(page, adapters.Item{Content: filmContent(l.slug, f), Row: l.row})
		}
	}
	return page, nil
}

// seasonPage reads a page of TV seasons with one show_multiple.
func (c *Client) seasonPage(ctx context.Context, chunk []listed) ([]adapters.Item, error) {
	slugs := make([]string, len(chunk))
	for i, l := range chunk {
		slugs[i] = l.slug
	}
	var answer struct {
		Seasons []map[string]any `json:"seasons"`
	}
	// Slugs are digits and slashes only: they go into the query as is, as
	// SHIFT72's own clients send them.
	if err := ratelimit.Do(ctx, func() error {
		answer.Seasons = nil
		return c.call(ctx, http.MethodGet, "/services/meta/v2/tv/season/show_multiple?items="+strings.Join(slugs, ","), nil, &answer)
	}); err != nil {
		return nil, err
	}
	bySlug := make(map[string]map[string]any, len(answer.Seasons))
	for _, s := range answer.Seasons {
		if s == nil {
			continue
		}
		if slug, ok := s["slug"].(string); ok {
			bySlug[slug] = s
		} else if item, ok := s["item"].(string); ok {
			bySlug[item] = s
		}
	}
	page := make([]adapters.Item, 0, len(chunk))
	for _, l := range chunk {
		if s, ok := bySlug[l.slug]; ok {
			page = append(page, adapters.Item{Content: seasonContent(l.slug, s), Row: l.row})
		}
	}
	return page, nil
}
