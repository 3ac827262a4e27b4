package vaultstreamtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// contentJSON is a content item as GET /content/{id} returns it.
type contentJSON struct {
	ID              string         `json:"id"`
	Title           string         `json:"title"`
	Metadata        map[string]any `json:"metadata"`
	FolderID        *string        `json:"folder_id"`
	Visibility      string         `json:"visibility"`
	Tags            []string       `json:"tags"`
	Permissions     []Permission   `json:"permissions"`
	DurationSeconds int            `json:"duration_seconds"`
	CreatedAt       string         `json:"created_at"`
}

func (c *Content) view() contentJSON {
	v := contentJSON{ID: c.ID, Title: c.Title, Metadata: cloneMap(c.Metadata), Visibility: c.Visibility,
		Tags: slices.Clone(c.Tags), Permissions: slices.Clone(c.Permissions),
		DurationSeconds: c.DurationSeconds, CreatedAt: c.CreatedAt.UTC().Format(time.RFC3339)}
	if c.FolderID != "" {
		id := c.FolderID
		v.FolderID = &id
	}
	if v.Metadata == nil {
		v.Metadata = map[string]any{}
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if v.Permissions == nil {
		v.Permissions = []Permission{}
	}
	return v
}

// content returns the item the path names; s.mu must be held.
func (s *Server) content(r *http.Request) (*Content, error) {
	id := r.PathValue("id")
	c, ok := s.st.content[id]
	if !ok {
		return nil, notFound("content %s does not exist", id)
	}
	return c, nil
}

func (s *Server) getContent(r *http.Request, _ []byte) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.content(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.view(), nil
}

// patchContent sets folder_id (null takes the item out of its folder) and
// visibility, and merges metadata one level deep (a null value removes the
// key); it checks the whole body before it changes anything.
func (s *Server) patchContent(r *http.Request, body []byte) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.content(r)
	if err != nil {
		return 0, nil, err
	}
	obj, err := decodeObject(body, "folder_id", "visibility", "metadata")
	if err != nil {
		return 0, nil, err
	}
	folder, err := obj.str("folder_id")
	if err != nil {
		return 0, nil, err
	}
	switch {
	case !obj.has("folder_id") || obj.isNull("folder_id"):
	case folder == "":
		return 0, nil, invalid("folder_id must be a folder's id or null, not \"\"")
	case !s.st.hasFolder(folder):
		return 0, nil, invalid("folder %s does not exist", folder)
	}
	visibility := c.Visibility
	if obj.has("visibility") {
		if visibility, err = obj.oneOf("visibility", Visibilities); err != nil {
			return 0, nil, err
		}
	}
	var metadata map[string]any
	if obj.has("metadata") {
		if err := json.Unmarshal(obj["metadata"], &metadata); err != nil || metadata == nil {
			return 0, nil, invalid("metadata must be an object")
		}
	}
	if obj.has("folder_id") {
		c.FolderID = folder
	}
	c.Visibility = visibility
	for k, v := range metadata {
		if c.Metadata == nil {
			c.Metadata = map[string]any{}
		}
		if v == nil {
			delete(c.Metadata, k)
		} else {
			c.Metadata[k] = v
		}
	}
	return http.StatusOK, c.view(), nil
}

// grantPermission gives a team a permission; a team that had another
// permission on the item gets the new one instead.
func (s *Server) grantPermission(r *http.Request, body []byte) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.content(r)
	if err != nil {
		return 0, nil, err
	}
	obj, err := decodeObject(body, "team_id", "permission")
	if err != nil {
		return 0, nil, err
	}
	team, err := obj.required("team_id")
	if err != nil {
		return 0, nil, err
	}
	level, err := obj.oneOf("permission", PermissionLevels)
	if err != nil {
		return 0, nil, err
	}
	if !s.st.hasTeam(team) {
		return 0, nil, invalid("team %s does not exist", team)
	}
	p := Permission{TeamID: team, Permission: level}
	switch i := slices.IndexFunc(c.Permissions, func(p Permission) bool { return p.TeamID == team }); {
	case i < 0:
		c.Permissions = append(c.Permissions, p)
	case c.Permissions[i] == p:
		return http.StatusOK, p, nil
	default:
		c.Permissions[i] = p
	}
	return http.StatusCreated, p, nil
}

// tagsJSON is the answer to a tag change: the item's tags.
type tagsJSON struct {
	Tags []string `json:"tags"`
}

func tagsOf(c *Content) tagsJSON {
	return tagsJSON{Tags: append([]string{}, c.Tags...)}
}

func (s *Server) addTag(r *http.Request, body []byte) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.content(r)
	if err != nil {
		return 0, nil, err
	}
	obj, err := decodeObject(body, "tag")
	if err != nil {
		return 0, nil, err
	}
	tag, err := obj.required("tag")
	if err != nil {
		return 0, nil, err
	}
	if slices.Contains(c.Tags, tag) {
		return http.StatusOK, tagsOf(c), nil
	}
	c.Tags = append(c.Tags, tag)
	return http.StatusCreated, tagsOf(c), nil
}

func (s *Server) removeTag(r *http.Request, _ []byte) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.content(r)
	if err != nil {
		return 0, nil, err
	}
	tag := r.PathValue("tag")
	c.Tags = slices.DeleteFunc(c.Tags, func(t string) bool { return t == tag })
	return http.StatusOK, tagsOf(c), nil
}
