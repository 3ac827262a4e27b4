package shift72

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// maxResponse is the most of a successful response body a Client reads.
const maxResponse = 16 << 20

// Client is SHIFT72's API as organizer uses it: films and TV seasons are
// read by show_multiple (the meta API's v2 film and TV season endpoints),
// and a folder is a bundle, whose items are read and replaced whole (the
// meta API's v1 bundles). Every other action is Unsupported: the public
// API has no write for it.
//
// A Client is safe for concurrent use. Its Apply calls serialise the
// read-modify-write of one bundle's items, so concurrent folder actions on
// the same bundle lose no item.
type Client struct {
	base     string
	token    string
	http     *http.Client
	now      func() time.Time
	pageSize int // items per page of Query

	bundles *bundleCache
}

var _ adapters.Client = (*Client)(nil)

// NewClient returns a Client of the SHIFT72 site at baseURL (such as
// "https://store.shift72.com"; the API's /services/... paths go after it)
// that authenticates with token, an admin user's token or the system API
// key, sent as X-Auth-Token.
func NewClient(baseURL, token string, opts ...adapters.ClientOption) *Client {
	hc := adapters.HTTPClient(opts...)
	return &Client{
		base:     strings.TrimRight(baseURL, "/"),
		token:    token,
		http:     hc,
		now:      time.Now,
		pageSize: min(adapters.PageSize(defaultPageSize, opts...), maxPageSize),
		bundles:  newBundleCache(),
	}
}

// The slugs a Client reads and files: films ("/film/N") and TV seasons
// ("/tv/X/season/N"), as SHIFT72's webhooks and APIs name items.
var (
	filmSlug   = regexp.MustCompile(`^/film/(0|[1-9][0-9]*)$`)
	seasonSlug = regexp.MustCompile(`^/tv/(0|[1-9][0-9]*)/season/(0|[1-9][0-9]*)$`)
)

// Fetch implements adapters.Client: a film ("/film/N") or a TV season
// ("/tv/X/season/N"), with the item's fields as Metadata and its tags as
// Tags. Folder and Visibility are left empty: an item may sit in any number
// of bundles, and publish state is in a separate index.
func (c *Client) Fetch(ctx context.Context, contentID string) (engine.Content, error) {
	if m := filmSlug.FindStringSubmatch(contentID); m != nil {
		return c.fetchFilm(ctx, contentID, m[1])
	}
	if seasonSlug.MatchString(contentID) {
		return c.fetchSeason(ctx, contentID)
	}
	return engine.Content{}, permanent("%q is not a SHIFT72 film (/film/N) or TV season (/tv/X/season/N) slug", contentID)
}

func (c *Client) fetchFilm(ctx context.Context, slug, id string) (engine.Content, error) {
	var films []map[string]any
	if err := c.call(ctx, http.MethodGet, "/services/meta/v2/film/"+id+"/show_multiple", nil, &films); err != nil {
		return engine.Content{}, err
	}
	for _, f := range films {
		if f == nil || !sameID(f["id"], id) && f["slug"] != slug {
			continue
		}
		return filmContent(slug, f), nil
	}
	// show_multiple leaves unknown (and, for the public, unpublished) ids
	// out rather than answering 404.
	return engine.Content{}, permanent("no film %s", slug)
}

func (c *Client) fetchSeason(ctx context.Context, slug string) (engine.Content, error) {
	var answer struct {
		Seasons []map[string]any `json:"seasons"`
	}
	// The slug is digits and slashes only: it goes into the query as is, as
	// SHIFT72's own clients send it.
	if err := c.call(ctx, http.MethodGet, "/services/meta/v2/tv/season/show_multiple?items="+slug, nil, &answer); err != nil {
		return engine.Content{}, err
	}
	for _, s := range answer.Seasons {
		if s == nil || s["slug"] != slug && s["item"] != slug {
			continue
		}
		return seasonContent(slug, s), nil
	}
	return engine.Content{}, permanent("no TV season %s", slug)
}

// filmContent is a film of show_multiple as the rules see it.
func filmContent(slug string, f map[string]any) engine.Content {
	title, _ := f["title"].(string)
	return engine.Content{ID: slug, Title: title, Metadata: f, Tags: stringList(f["tags"])}
}

// seasonContent is a TV season of show_multiple as the rules see it: titled
// after its show ("Show Season N"), with the show's genres as its own.
func seasonContent(slug string, s map[string]any) engine.Content {
	info, _ := s["show_info"].(map[string]any)
	show, _ := info["title"].(string)
	title := "Season " + seasonSlug.FindStringSubmatch(slug)[2]
	if show != "" {
		title = show + " " + title
	}
	// Genres live on show_info; lift them up so rules read
	// metadata.genres for films and seasons alike.
	if _, ok := s["genres"]; !ok && info != nil {
		if g, ok := info["genres"]; ok {
			s["genres"] = g
		}
	}
	return engine.Content{ID: slug, Title: title, Metadata: s, Tags: stringList(s["tags"])}
}

// sameID reports whether a JSON id (a number) is the decimal id.
func sameID(v any, id string) bool {
	n, ok := v.(float64)
	return ok && strconv.FormatFloat(n, 'f', -1, 64) == id
}

// stringList returns the strings of a JSON array, or nil.
func stringList(v any) []string {
	arr, _ := v.([]any)
	var out []string
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Apply implements adapters.Client. A folder is a bundle (SHIFT72 has no
// folders): the item is appended to the items of the bundle of that title,
// unless already there. Before its first folder action, Apply reads the item
// once (show_multiple) so that a missing item is never filed; that call
// counts towards that action. Every other action is Unsupported and makes no
// call.
func (c *Client) Apply(ctx context.Context, contentID string, actions []adapters.Action) []adapters.Result {
	return c.apply(ctx, contentID, false, actions)
}

// ReadState implements adapters.StateReader: Fetch, and the item as read,
// which ApplyState takes as the check Apply makes before filing it.
func (c *Client) ReadState(ctx context.Context, contentID string) (engine.Content, adapters.State, error) {
	content, err := c.Fetch(ctx, contentID)
	if err != nil {
		return engine.Content{}, nil, err
	}
	return content, readItem{slug: contentID}, nil
}

// ApplyState implements adapters.StateReader: Apply to the item ReadState
// has just read, without reading it again.
func (c *Client) ApplyState(ctx context.Context, state adapters.State, actions []adapters.Action) []adapters.Result {
	item, ok := state.(readItem)
	if !ok {
		return adapters.FailedResults(actions, fmt.Errorf("shift72: ApplyState needs the state of ReadState, not %T", state))
	}
	return c.apply(ctx, item.slug, true, actions)
}

// readItem is the state ReadState returns: the item exists.
type readItem struct{ slug string }

// apply performs the actions; checked says the item is known to exist.
func (c *Client) apply(ctx context.Context, contentID string, checked bool, actions []adapters.Action) []adapters.Result {
	results := make([]adapters.Result, 0, len(actions))
	var itemErr error
	for _, a := range actions {
		r := adapters.Result{Action: a}
		switch a.Kind {
		case adapters.SetFolder:
			if !checked {
				checked = true
				if filmSlug.MatchString(contentID) || seasonSlug.MatchString(contentID) {
					r.Calls++
				}
				_, itemErr = c.Fetch(ctx, contentID)
			}
			if itemErr != nil {
				r.Outcome, r.Err = adapters.Failed, itemErr
				break
			}
			c.applyFolder(ctx, contentID, &r)
		default:
			r.Outcome, r.Err = adapters.Unsupported, unsupported(a)
		}
		results = append(results, r)
	}
	return results
}

// unsupported says why SHIFT72 cannot perform the action.
func unsupported(a adapters.Action) error {
	var why string
	switch a.Kind {
	case adapters.AddTag, adapters.RemoveTag:
		why = "SHIFT72's public API cannot write tags (they are read only, in show_multiple)"
	case adapters.SetVisibility:
		why = "SHIFT72's public API cannot publish or unpublish items (publish state is read only, in the film and TV indexes)"
	case adapters.Grant:
		why = "SHIFT72's public API has no per-user or per-team permissions"
	case adapters.SetMetadata:
		why = "SHIFT72's public API cannot write an item's metadata"
	case adapters.Derive:
		why = "SHIFT72's public API cannot create derivatives"
	default:
		why = fmt.Sprintf("SHIFT72's public API has no %q action", a.Kind)
	}
	return fmt.Errorf("shift72: %s: %s: %w", a, why, adapters.ErrUnsupported)
}

// applyFolder adds the item to the bundle titled r.Action.Value.
func (c *Client) applyFolder(ctx context.Context, slug string, r *adapters.Result) {
	fail := func(err error) { r.Outcome, r.Err = adapters.Failed, err }
	name := r.Action.Value
	if normalizeTitle(name) == "" {
		fail(permanent("the folder name is empty"))
		return
	}
	for attempt := 0; ; attempt++ {
		id, err := c.resolveBundle(ctx, name, r)
		if err != nil {
			fail(err)
			return
		}
		outcome, err := c.addToBundle(ctx, id, slug, r)
		if isNotFound(err) && attempt == 0 {
			// The bundle went away since its id was cached: resolve the
			// title again, once.
			c.bundles.forget(id)
			continue
		}
		if err != nil {
			fail(err)
			return
		}
		r.Outcome = outcome
		return
	}
}

// addToBundle reads the bundle's items and, unless slug is among them,
// replaces them with the items and slug, all under the bundle's lock.
func (c *Client) addToBundle(ctx context.Context, id int, slug string, r *adapters.Result) (adapters.Outcome, error) {
	unlock, err := c.bundles.lock(ctx, id)
	if err != nil {
		return "", err
	}
	defer unlock()

	path := "/services/meta/v1/bundles/" + strconv.Itoa(id)
	var b struct {
		Items []string `json:"items"`
	}
	r.Calls++
	if err := c.call(ctx, http.MethodGet, path, nil, &b); err != nil {
		return "", err
	}
	if slices.Contains(b.Items, slug) {
		return adapters.Unchanged, nil
	}
	items := append(b.Items, slug)
	r.Calls++
	r.Writes++
	if err := c.call(ctx, http.MethodPut, path+"/items", items, nil); err != nil {
		return "", err
	}
	return adapters.Applied, nil
}

// resolveBundle returns the id of the bundle titled name: from the cache,
// or else from the bundle list, read once for all the calls that need it
// at the same moment (counted with the one that read it).
func (c *Client) resolveBundle(ctx context.Context, name string, r *adapters.Result) (int, error) {
	key := normalizeTitle(name)
	if ids, ok := c.bundles.lookup(key); ok {
		return pickBundle(name, ids)
	}
	v, err, _ := c.bundles.reads.Do("list", func() (any, error) {
		var list []struct {
			ID    int    `json:"id"`
			Title string `json:"title"`
		}
		r.Calls++
		if err := c.call(ctx, http.MethodGet, "/services/meta/v1/bundles", nil, &list); err != nil {
			return nil, err
		}
		titles := make(map[string][]int, len(list))
		for _, b := range list {
			k := normalizeTitle(b.Title)
			titles[k] = append(titles[k], b.ID)
		}
		c.bundles.replace(titles)
		return titles, nil
	})
	if err != nil {
		return 0, err
	}
	if ids := v.(map[string][]int)[key]; len(ids) > 0 {
		return pickBundle(name, ids)
	}
	return 0, permanent("SHIFT72 has no bundle titled %q, and its API has no way to create one: create it in the admin app", name)
}

// pickBundle returns the one id, or a Permanent error when several bundles
// share the title.
func pickBundle(name string, ids []int) (int, error) {
	if len(ids) == 1 {
		return ids[0], nil
	}
	return 0, permanent("%d SHIFT72 bundles are titled %q (ids %v): rename all but one", len(ids), name, ids)
}

// normalizeTitle is how folder names match bundle titles: trimmed and case
// insensitive.
func normalizeTitle(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// call sends a request with the token and X-Bypass-Cache, and decodes a 2xx
// answer's JSON into out (unless nil). A failure is a *adapters.CallError.
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return permanent("%s %s: encoding the request: %v", method, stripQuery(path), err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return adapters.Redact(permanent("%s %s: %v", method, stripQuery(path), err), c.token)
	}
	req.Header.Set("X-Auth-Token", c.token)
	req.Header.Set("X-Bypass-Cache", "1")
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	resp, err := c.http.Do(req)
	if cerr := adapters.Classify(resp, err, c.now()); cerr != nil {
		if resp != nil {
			adapters.DrainClose(resp.Body)
		}
		return c.annotate(cerr, method, path)
	}
	defer adapters.DrainClose(resp.Body)
	if out == nil {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err == nil && len(data) > maxResponse {
		err = fmt.Errorf("the answer is larger than %d bytes", maxResponse)
	}
	if err == nil {
		err = json.Unmarshal(data, out)
	}
	if err != nil {
		// A cut or garbled answer: worth another try later.
		return adapters.Redact(&adapters.CallError{
			Kind:    adapters.Transient,
			Status:  resp.StatusCode,
			Message: fmt.Sprintf("%s %s: unreadable answer: %v", method, stripQuery(path), err),
		}, c.token)
	}
	return nil
}

// annotate prefixes a CallError's message with the call and redacts the
// token from it.
func (c *Client) annotate(err error, method, path string) error {
	ce, ok := err.(*adapters.CallError)
	if !ok {
		return err
	}
	ce.Message = method + " " + stripQuery(path) + ": " + ce.Message
	return adapters.Redact(ce, c.token)
}

func stripQuery(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return path[:i]
	}
	return path
}

// permanent is a Permanent *adapters.CallError that no HTTP status caused.
func permanent(format string, args ...any) error {
	return &adapters.CallError{Kind: adapters.Permanent, Message: "shift72: " + fmt.Sprintf(format, args...)}
}

// isNotFound reports whether err is the platform's 404.
func isNotFound(err error) bool {
	ce, ok := err.(*adapters.CallError)
	return ok && ce.Status == http.StatusNotFound
}
