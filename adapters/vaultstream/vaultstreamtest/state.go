package vaultstreamtest

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Visibilities are the values Content.Visibility may take.
var Visibilities = []string{"private", "team", "org", "public"}

// PermissionLevels are the values Permission.Permission may take.
var PermissionLevels = []string{"view", "edit", "admin"}

// Permission is a team's access to a content item.
type Permission struct {
	TeamID     string `json:"team_id"`
	Permission string `json:"permission"`
}

// Content is a content item as the simulator stores it.
type Content struct {
	ID              string
	Title           string
	Metadata        map[string]any
	FolderID        string // "" when the item is in no folder (null in JSON)
	Visibility      string // private, team, org or public; AddContent makes "" private
	Tags            []string
	Permissions     []Permission
	DurationSeconds int
	CreatedAt       time.Time // AddContent makes a zero time the current time
	LastAccessed    time.Time // zero when never watched: analytics then uses CreatedAt
}

// Folder is a VaultStream folder.
type Folder struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Team is a VaultStream team.
type Team struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Job is a recorded transcode or export request.
type Job struct {
	ID        string
	Kind      string // "transcode" or "export"
	ContentID string
	Request   map[string]any // the request's body, decoded
}

// state is the simulator's platform; Server.mu guards it.
type state struct {
	content map[string]*Content
	folders []Folder
	teams   []Team
	jobs    []Job
	seq     map[string]int // the last number handed out, by id prefix
}

func newState() *state {
	return &state{content: map[string]*Content{}, seq: map[string]int{}}
}

// newID returns the next unused id with the prefix: c_1, f_2, t_3, j_4.
func (st *state) newID(prefix string, used func(string) bool) string {
	for {
		st.seq[prefix]++
		id := fmt.Sprintf("%s_%d", prefix, st.seq[prefix])
		if used == nil || !used(id) {
			return id
		}
	}
}

func (st *state) folderByName(name string) (Folder, bool) {
	i := slices.IndexFunc(st.folders, func(f Folder) bool { return f.Name == name })
	if i < 0 {
		return Folder{}, false
	}
	return st.folders[i], true
}

func (st *state) hasFolder(id string) bool {
	return slices.ContainsFunc(st.folders, func(f Folder) bool { return f.ID == id })
}

func (st *state) hasTeam(id string) bool {
	return slices.ContainsFunc(st.teams, func(t Team) bool { return t.ID == id })
}

// AddContent stores a content item, replacing one with the same id, and
// returns its id: c.ID, or a new one (c_1, c_2, ...) when c.ID is empty.
// The item is copied; its folder and teams are not checked, so a test can
// seed states the API would refuse.
func (s *Server) AddContent(c Content) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c = c.clone()
	if c.ID == "" {
		c.ID = s.st.newID("c", func(id string) bool { return s.st.content[id] != nil })
	}
	if c.Visibility == "" {
		c.Visibility = "private"
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now().UTC().Truncate(time.Second)
	}
	s.st.content[c.ID] = &c
	return c.ID
}

// AddFolder creates a folder and returns its id, or returns the id of the
// folder that already has that name.
func (s *Server) AddFolder(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.st.folderByName(name); ok {
		return f.ID
	}
	f := Folder{ID: s.st.newID("f", nil), Name: name}
	s.st.folders = append(s.st.folders, f)
	return f.ID
}

// AddTeam creates a team and returns its id, or returns the id of the team
// that already has that name. Teams are managed in VaultStream: the API
// only looks them up.
func (s *Server) AddTeam(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.IndexFunc(s.st.teams, func(t Team) bool { return t.Name == name }); i >= 0 {
		return s.st.teams[i].ID
	}
	t := Team{ID: s.st.newID("t", nil), Name: name}
	s.st.teams = append(s.st.teams, t)
	return t.ID
}

// Content returns a copy of a content item.
func (s *Server) Content(id string) (Content, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.content[id]
	if !ok {
		return Content{}, false
	}
	return c.clone(), true
}

// Contents returns a copy of every content item, ordered by id.
func (s *Server) Contents() []Content {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Content, 0, len(s.st.content))
	for _, id := range slices.Sorted(maps.Keys(s.st.content)) {
		out = append(out, s.st.content[id].clone())
	}
	return out
}

// Folders returns the folders in the order they were created.
func (s *Server) Folders() []Folder {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.folders)
}

// Teams returns the teams in the order they were added.
func (s *Server) Teams() []Team {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.teams)
}

// Jobs returns the recorded transcode and export requests, oldest first.
func (s *Server) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Job, len(s.st.jobs))
	for i, j := range s.st.jobs {
		j.Request = cloneMap(j.Request)
		out[i] = j
	}
	return out
}

// clone returns a deep copy of c.
func (c Content) clone() Content {
	c.Metadata = cloneMap(c.Metadata)
	c.Tags = slices.Clone(c.Tags)
	c.Permissions = slices.Clone(c.Permissions)
	return c
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}
