package vaultstream

import (
	"context"
	"net/url"
	"strconv"
	"time"
)

// Usage is one item of the content-usage report.
type Usage struct {
	ContentID    string    `json:"content_id"`
	Title        string    `json:"title"`
	LastAccessed time.Time `json:"last_accessed"`
}

// ContentUsage lists the items last watched before the given time, oldest
// first, at most limit of them (GET /analytics/content-usage, the query of
// the guide's Pattern 2, scheduled archival): the first page only. Query
// with SourceContentUsage pages through every item.
func (c *Client) ContentUsage(ctx context.Context, lastAccessedBefore time.Time, limit int) ([]Usage, error) {
	query := url.Values{"last_accessed_before": {lastAccessedBefore.UTC().Format(time.RFC3339)}}
	if limit > 0 {
		query.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Items []Usage `json:"items"`
	}
	if _, err := c.call(ctx, &tally{}, "GET", "/analytics/content-usage", query, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}
