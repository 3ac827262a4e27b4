package vaultstream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/internal/ratelimit"
	"github.com/organizer-dev/organizer/engine"
)

// The page sizes of Query: the API's default limit, and the most it gives
// (API.md, Paging).
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// The query sources (API.md): the content-usage report of the guide's
// scheduled archival, and the whole catalog.
const (
	SourceContentUsage = "content-usage"
	SourceCatalog      = "catalog"
)

// Sources are the query sources and the params each takes, all RFC 3339
// times.
var Sources = map[string][]string{
	SourceContentUsage: {"last_accessed_before"},
	SourceCatalog:      {"created_before", "created_after"},
}

// Sources implements adapters.QuerySources.
func (p *Provider) Sources() map[string][]string { return cloneSources() }

func cloneSources() map[string][]string {
	out := make(map[string][]string, len(Sources))
	for k, v := range Sources {
		out[k] = append([]string(nil), v...)
	}
	return out
}

var _ adapters.Querier = (*Client)(nil)

// Query implements adapters.Querier, following next_cursor page after page
// (API.md, Paging):
//
//   - content-usage is GET /analytics/content-usage, the items last watched
//     before last_accessed_before (every item without it), least recently
//     watched first. It asks for each row's item with expand=content; a row
//     that comes without it (a platform that does not expand) is completed
//     with GET /content/{id}, and an item deleted since is left out. The Row
//     is the usage row as documented: content_id, title, last_accessed.
//   - catalog is GET /content, the items created after created_after and
//     before created_before (either may be left out), oldest first. The Row
//     is the item as the API returns it.
//
// Every param is an RFC 3339 time. A 429 is waited out where it happens
// (bounded: a few tries, never more than two minutes at once) so that the
// query keeps its place; any other failure is returned as a
// *adapters.CallError, wrapped with the source and page.
func (c *Client) Query(ctx context.Context, source string, params map[string]string, each func(page []adapters.Item) error) error {
	if err := adapters.CheckQuery(Name, Sources, source, params); err != nil {
		return fmt.Errorf("vaultstream: %w", err)
	}
	query := url.Values{}
	for k, v := range params {
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return fmt.Errorf("vaultstream: query %s: %s must be an RFC 3339 time such as 2026-01-31T00:00:00Z, not %q: %w",
				source, k, v, adapters.ErrBadQuery)
		}
		query.Set(k, v)
	}
	path := "/content"
	if source == SourceContentUsage {
		path = "/analytics/content-usage"
		query.Set("expand", "content")
	}
	query.Set("limit", strconv.Itoa(c.pageSize))
	cursor := ""
	for n := 1; ; n++ {
		if cursor != "" {
			query.Set("cursor", cursor)
		}
		var answer struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		err := ratelimit.Do(ctx, func() error {
			answer.Items, answer.NextCursor = nil, ""
			_, err := c.call(ctx, &tally{}, http.MethodGet, path, query, nil, &answer)
			return err
		})
		if err != nil {
			return fmt.Errorf("vaultstream: query %s, page %d: %w", source, n, err)
		}
		page, err := c.page(ctx, source, answer.Items)
		if err != nil {
			return fmt.Errorf("vaultstream: query %s, page %d: %w", source, n, err)
		}
		if len(page) > 0 {
			if err := each(page); err != nil {
				return err
			}
		}
		if answer.NextCursor == "" {
			return nil
		}
		if answer.NextCursor == cursor {
			return &adapters.CallError{Kind: adapters.Permanent, Status: http.StatusOK,
				Message: fmt.Sprintf("vaultstream: query %s, page %d: GET %s gave the same next_cursor again", source, n, path)}
		}
		cursor = answer.NextCursor
	}
}

// page turns one page's rows into items.
func (c *Client) page(ctx context.Context, source string, rows []json.RawMessage) ([]adapters.Item, error) {
	items := make([]adapters.Item, 0, len(rows))
	for i, raw := range rows {
		var row map[string]any
		if err := json.Unmarshal(raw, &row); err != nil || row == nil {
			return nil, malformedRow(i, "not a JSON object")
		}
		var cur *contentJSON
		switch source {
		case SourceContentUsage:
			var usage struct {
				ContentID string       `json:"content_id"`
				Content   *contentJSON `json:"content"`
			}
			if err := json.Unmarshal(raw, &usage); err != nil || usage.ContentID == "" {
				return nil, malformedRow(i, "no content_id")
			}
			delete(row, "content") // the row is the usage row; the item is the Content
			cur = usage.Content
			if cur == nil || cur.ID == "" {
				var err error
				if cur, err = c.readItem(ctx, usage.ContentID); err != nil {
					return nil, fmt.Errorf("reading item %s of the usage report: %w", usage.ContentID, err)
				}
				if cur == nil {
					continue // deleted since the report was made
				}
			}
		default:
			cur = new(contentJSON)
			if err := json.Unmarshal(raw, cur); err != nil || cur.ID == "" {
				return nil, malformedRow(i, "not an item with an id")
			}
		}
		content, err := c.contentWaiting(ctx, cur)
		if err != nil {
			return nil, fmt.Errorf("item %s: %w", cur.ID, err)
		}
		items = append(items, adapters.Item{Content: content, Row: row})
	}
	return items, nil
}

// readItem is GET /content/{id}, waiting out 429s; a 404 is nil.
func (c *Client) readItem(ctx context.Context, id string) (*contentJSON, error) {
	var cur *contentJSON
	err := ratelimit.Do(ctx, func() error {
		var err error
		cur, err = c.getContent(ctx, id, &tally{})
		return err
	})
	if status, _, _ := errorBody(err); status == http.StatusNotFound {
		return nil, nil
	}
	return cur, err
}

// contentWaiting is content, waiting out 429s of the folder look-up.
func (c *Client) contentWaiting(ctx context.Context, cur *contentJSON) (engine.Content, error) {
	var content engine.Content
	err := ratelimit.Do(ctx, func() error {
		var err error
		content, err = c.content(ctx, cur, cur.ID, &tally{})
		return err
	})
	return content, err
}

func malformedRow(i int, what string) error {
	return &adapters.CallError{Kind: adapters.Permanent, Status: http.StatusOK,
		Message: fmt.Sprintf("row %d is %s", i, what)}
}
