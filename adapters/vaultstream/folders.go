package vaultstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/organizer-dev/organizer/adapters"
)

// namedJSON is a folder or a team as the API lists them.
type namedJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type itemsJSON struct {
	Items []namedJSON `json:"items"`
}

// folderID returns the id of the folder with that name: from the cache, or
// found with GET /folders?name=, or created with POST /folders (a 409 gives
// the id of the folder someone else created meanwhile).
func (c *Client) folderID(ctx context.Context, name string, t *tally) (string, error) {
	c.mu.Lock()
	id, ok := c.folders[name]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	return c.lookup("folder name\x00"+name, func() (string, error) { return c.findOrCreateFolder(ctx, name, t) })
}

// lookup runs find once for all who ask for key at the same time. The
// calls it makes are counted in the tally of the one that ran it.
func (c *Client) lookup(key string, find func() (string, error)) (string, error) {
	v, err, _ := c.lookups.Do(key, func() (any, error) { return find() })
	id, _ := v.(string)
	return id, err
}

func (c *Client) findOrCreateFolder(ctx context.Context, name string, t *tally) (string, error) {
	var list itemsJSON
	if _, err := c.call(ctx, t, http.MethodGet, "/folders", url.Values{"name": {name}}, nil, &list); err != nil {
		return "", err
	}
	for _, f := range list.Items {
		if f.Name == name && f.ID != "" {
			c.cacheFolder(f.ID, name)
			return f.ID, nil
		}
	}
	var created namedJSON
	_, err := c.call(ctx, t, http.MethodPost, "/folders", nil, map[string]string{"name": name}, &created)
	if err != nil {
		status, body, ok := errorBody(err)
		existing, _ := body.Error.Details["id"].(string)
		if !ok || status != http.StatusConflict || existing == "" {
			return "", err
		}
		created.ID = existing
	}
	if created.ID == "" {
		return "", &adapters.CallError{Kind: adapters.Permanent, Status: http.StatusCreated,
			Message: fmt.Sprintf("POST /folders: the answer gives no id for folder %q", name)}
	}
	c.cacheFolder(created.ID, name)
	return created.ID, nil
}

// folderName returns the name of the folder with that id: from the cache,
// or by listing every folder with GET /folders (which refreshes the cache).
func (c *Client) folderName(ctx context.Context, id string, t *tally) (string, error) {
	c.mu.Lock()
	name, ok := c.names[id]
	c.mu.Unlock()
	if ok {
		return name, nil
	}
	return c.lookup("folder id\x00"+id, func() (string, error) { return c.listFolders(ctx, id, t) })
}

func (c *Client) listFolders(ctx context.Context, id string, t *tally) (string, error) {
	var name string
	var ok bool
	var list itemsJSON
	if _, err := c.call(ctx, t, http.MethodGet, "/folders", nil, nil, &list); err != nil {
		return "", err
	}
	for _, f := range list.Items {
		if f.ID != "" {
			c.cacheFolder(f.ID, f.Name)
		}
		if f.ID == id {
			name, ok = f.Name, true
		}
	}
	if !ok {
		// The item names a folder the list lacks: it was deleted or created
		// just now. Another attempt will tell.
		return "", &adapters.CallError{Kind: adapters.Transient, Status: http.StatusOK,
			Message: fmt.Sprintf("GET /folders does not list folder %s", id)}
	}
	return name, nil
}

func (c *Client) cacheFolder(id, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.folders[name]; ok && old != id {
		delete(c.names, old)
	}
	if old, ok := c.names[id]; ok && old != name {
		delete(c.folders, old)
	}
	c.folders[name], c.names[id] = id, name
}

// forgetFolder drops a folder the platform says no longer exists.
func (c *Client) forgetFolder(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.names[id]; ok && c.folders[name] == id {
		delete(c.folders, name)
	}
	delete(c.names, id)
}

// isMissingFolder reports whether a PATCH failed because the folder id no
// longer exists: 400 invalid_request "folder <id> does not exist".
func isMissingFolder(err error, id string) bool {
	var ce *adapters.CallError
	if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest {
		return false
	}
	want := "folder " + id + " does not exist"
	if _, body, ok := errorBody(err); ok && body.Error.Message != "" {
		return strings.Contains(body.Error.Message, want)
	}
	return strings.Contains(ce.Message, want)
}

// teamID returns the id of the team with that name: from the cache, or
// found with GET /teams?name=. Teams are never created: an unknown team is
// a permanent failure.
func (c *Client) teamID(ctx context.Context, name string, t *tally) (string, error) {
	c.mu.Lock()
	id, ok := c.teams[name]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	return c.lookup("team name\x00"+name, func() (string, error) { return c.findTeam(ctx, name, t) })
}

func (c *Client) findTeam(ctx context.Context, name string, t *tally) (string, error) {
	var list itemsJSON
	if _, err := c.call(ctx, t, http.MethodGet, "/teams", url.Values{"name": {name}}, nil, &list); err != nil {
		return "", err
	}
	for _, team := range list.Items {
		if team.Name == name && team.ID != "" {
			c.mu.Lock()
			c.teams[name] = team.ID
			c.mu.Unlock()
			return team.ID, nil
		}
	}
	return "", &adapters.CallError{Kind: adapters.Permanent,
		Message: fmt.Sprintf("team %q does not exist in VaultStream", name)}
}
