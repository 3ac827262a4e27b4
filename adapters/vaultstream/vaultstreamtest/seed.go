package vaultstreamtest

import (
	"fmt"
	"slices"
	"time"

	"github.com/organizer-dev/organizer/adapters/internal/seedjson"
)

// Seed is a simulator's starting content, as `organizer simulate
// vaultstream --seed FILE` reads it from JSON:
//
//	{"teams": ["HR", ...], "folders": ["Training", ...],
//	 "content": [{"id", "title", "metadata", "folder", "visibility", "tags",
//	              "created_at", "last_accessed"}, ...]}
//
// A content item names its folder by name, one of folders.
type Seed struct {
	Teams   []string
	Folders []string
	Content []SeedContent
}

// SeedContent is a content item of a Seed.
type SeedContent struct {
	ID           string
	Title        string
	Metadata     map[string]any
	Folder       string // a folder's name; "" for none
	Visibility   string // "" is private
	Tags         []string
	CreatedAt    time.Time // zero is when it is seeded
	LastAccessed time.Time // zero is never watched
}

// ParseSeed reads a Seed from JSON. An error names where the problem is:
// the line and column of a syntax error, or the field and index of a value
// (content[3].created_at). Every content item needs an id (unique) and a
// title; its folder must be one of folders, its visibility one of
// Visibilities, and its times RFC 3339.
func ParseSeed(data []byte) (Seed, error) {
	doc, err := seedjson.Parse(data, "teams", "folders", "content")
	if err != nil {
		return Seed{}, err
	}
	var sd Seed
	if sd.Teams, err = doc.Strings("teams"); err != nil {
		return Seed{}, err
	}
	if sd.Folders, err = doc.Strings("folders"); err != nil {
		return Seed{}, err
	}
	items, err := doc.Objects("content", "id", "title", "metadata", "folder", "visibility", "tags", "created_at", "last_accessed")
	if err != nil {
		return Seed{}, err
	}
	seen := map[string]string{}
	for _, o := range items {
		var c SeedContent
		if c.ID, err = o.Required("id"); err != nil {
			return Seed{}, err
		}
		if first, dup := seen[c.ID]; dup {
			return Seed{}, fmt.Errorf("%s: %q is also the id of %s", o.At("id"), c.ID, first)
		}
		seen[c.ID] = o.Path
		if c.Title, err = o.Required("title"); err != nil {
			return Seed{}, err
		}
		if err = o.Decode("metadata", "an object", &c.Metadata); err != nil {
			return Seed{}, err
		}
		if c.Folder, err = o.String("folder"); err != nil {
			return Seed{}, err
		}
		if c.Folder != "" && !slices.Contains(sd.Folders, c.Folder) {
			return Seed{}, fmt.Errorf("%s: folder %q is not among folders %q", o.At("folder"), c.Folder, sd.Folders)
		}
		if c.Visibility, err = o.String("visibility"); err != nil {
			return Seed{}, err
		}
		if c.Visibility != "" && !slices.Contains(Visibilities, c.Visibility) {
			return Seed{}, fmt.Errorf("%s: want one of %q, not %q", o.At("visibility"), Visibilities, c.Visibility)
		}
		if c.Tags, err = o.Strings("tags"); err != nil {
			return Seed{}, err
		}
		if c.CreatedAt, err = o.Time("created_at"); err != nil {
			return Seed{}, err
		}
		if c.LastAccessed, err = o.Time("last_accessed"); err != nil {
			return Seed{}, err
		}
		sd.Content = append(sd.Content, c)
	}
	return sd, nil
}

// Load adds a Seed's teams, folders and content, in that order; a folder a
// content item names is created when the seed does not list it.
func (s *Server) Load(sd Seed) {
	for _, t := range sd.Teams {
		s.AddTeam(t)
	}
	for _, f := range sd.Folders {
		s.AddFolder(f)
	}
	for _, c := range sd.Content {
		item := Content{ID: c.ID, Title: c.Title, Metadata: c.Metadata, Visibility: c.Visibility,
			Tags: c.Tags, CreatedAt: c.CreatedAt, LastAccessed: c.LastAccessed}
		if c.Folder != "" {
			item.FolderID = s.AddFolder(c.Folder)
		}
		s.AddContent(item)
	}
}
