package vaultstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// maxAnswer is the largest answer body the client decodes.
const maxAnswer = 8 << 20

// Client is VaultStream's API as organizer uses it (see API.md): Fetch for
// enrichment, Apply for a plan's actions. It caches folder and team ids by
// name, for every call it makes; it is safe for concurrent use.
//
// Apply reads the item once (GET /content/{id}), then performs each action
// in order, writing only what differs from what it read. Calls and Writes
// of each Result count the requests made for that action, with two shared
// reads attributed to the first action that needs them: the item's GET to
// the first action, and GET /content/{id}/jobs to the first Derive action
// (it is made once per Apply, and only when a Derive action needs it).
// Folder and team look-ups, and the creation of a folder, count for the
// action that needed them; a POST /folders is a write.
type Client struct {
	base     string // with no trailing slash
	token    string
	hc       *http.Client
	now      func() time.Time
	pageSize int // items per page of Query

	// lookups shares a folder or team lookup between the events that need
	// it at once: a burst of events for a new folder makes one GET and one
	// POST /folders, not one each (and a 409 for all but one).
	lookups singleflight.Group

	mu      sync.Mutex        // guards what follows
	folders map[string]string // folder name → id
	names   map[string]string // folder id → name
	teams   map[string]string // team name → id
}

var _ adapters.Client = (*Client)(nil)

// NewClient returns a client of the API at baseURL, the URL every path of
// API.md is relative to (https://api.cyfr.technology/v1), calling it with
// the bearer token.
func NewClient(baseURL, token string, opts ...adapters.ClientOption) *Client {
	hc := adapters.HTTPClient(opts...)
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: hc, now: time.Now,
		pageSize: min(adapters.PageSize(defaultPageSize, opts...), maxPageSize),
		folders:  map[string]string{}, names: map[string]string{}, teams: map[string]string{}}
}

// tally counts the calls made for one action.
type tally struct{ calls, writes int }

// contentJSON is a content item as GET /content/{id} returns it.
type contentJSON struct {
	ID          string           `json:"id"`
	Title       string           `json:"title"`
	Metadata    map[string]any   `json:"metadata"`
	FolderID    *string          `json:"folder_id"`
	Visibility  string           `json:"visibility"`
	Tags        []string         `json:"tags"`
	Permissions []permissionJSON `json:"permissions"`
}

type permissionJSON struct {
	TeamID     string `json:"team_id"`
	Permission string `json:"permission"`
}

func (c *contentJSON) folderID() string {
	if c.FolderID == nil {
		return ""
	}
	return *c.FolderID
}

// Fetch implements adapters.Client: GET /content/{id}, with the folder's
// name looked up by its id (GET /folders when the id is not cached).
func (c *Client) Fetch(ctx context.Context, contentID string) (engine.Content, error) {
	content, _, err := c.ReadState(ctx, contentID)
	return content, err
}

// ReadState implements adapters.StateReader: Fetch, and the item as read,
// for ApplyState.
func (c *Client) ReadState(ctx context.Context, contentID string) (engine.Content, adapters.State, error) {
	var t tally
	cur, err := c.getContent(ctx, contentID, &t)
	if err != nil {
		return engine.Content{}, nil, err
	}
	out, err := c.content(ctx, cur, contentID, &t)
	if err != nil {
		return engine.Content{}, nil, err
	}
	return out, &applying{id: contentID, cur: cur}, nil
}

// content is the item as the rules see it, with its folder's name looked up
// by id; contentID stands in for an item that names no id. It shares nothing
// with cur, which ApplyState updates as it writes.
func (c *Client) content(ctx context.Context, cur *contentJSON, contentID string, t *tally) (engine.Content, error) {
	out := engine.Content{ID: cur.ID, Title: cur.Title, Metadata: maps.Clone(cur.Metadata), Tags: slices.Clone(cur.Tags),
		Visibility: cur.Visibility}
	if out.ID == "" {
		out.ID = contentID
	}
	if out.Metadata == nil {
		out.Metadata = map[string]any{}
	}
	if id := cur.folderID(); id != "" {
		var err error
		if out.Folder, err = c.folderName(ctx, id, t); err != nil {
			return engine.Content{}, err
		}
	}
	return out, nil
}

func (c *Client) getContent(ctx context.Context, contentID string, t *tally) (*contentJSON, error) {
	var cur contentJSON
	if _, err := c.call(ctx, t, http.MethodGet, contentPath(contentID), nil, nil, &cur); err != nil {
		return nil, err
	}
	return &cur, nil
}

func contentPath(contentID string, rest ...string) string {
	p := "/content/" + url.PathEscape(contentID)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// call sends one request, counts it, and decodes a 2xx answer into out
// (when out is not nil). A failure is a *adapters.CallError, as Classify
// makes it, and never carries the token. It returns the answer's status.
func (c *Client) call(ctx context.Context, t *tally, method, path string, query url.Values, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("vaultstream: encoding the body of %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, adapters.Redact(&adapters.CallError{Kind: adapters.Permanent, Message: "building the request: " + err.Error(), Err: err}, c.token)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	t.calls++
	if method != http.MethodGet && method != http.MethodHead {
		t.writes++
	}
	resp, err := c.hc.Do(req)
	if err := adapters.Classify(resp, err, c.now()); err != nil {
		if resp != nil {
			adapters.DrainClose(resp.Body)
		}
		return statusOf(resp), adapters.Redact(err, c.token)
	}
	defer adapters.DrainClose(resp.Body)
	if out != nil {
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(out); err != nil {
			return resp.StatusCode, adapters.Redact(&adapters.CallError{Kind: adapters.Permanent, Status: resp.StatusCode,
				Message: fmt.Sprintf("%s %s: the answer is not the expected JSON: %v", method, path, err)}, c.token)
		}
	}
	return resp.StatusCode, nil
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// apiErrorBody is the error body of API.md.
type apiErrorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// errorBody decodes the error body a CallError keeps (its Message).
func errorBody(err error) (status int, body apiErrorBody, ok bool) {
	var ce *adapters.CallError
	if !errors.As(err, &ce) || ce.Status == 0 {
		return 0, body, false
	}
	if json.Unmarshal([]byte(ce.Message), &body) != nil {
		return ce.Status, body, false
	}
	return ce.Status, body, true
}
