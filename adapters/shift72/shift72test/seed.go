package shift72test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/organizer-dev/organizer/adapters/internal/seedjson"
)

// Seed is a simulated site's starting content, as `organizer simulate
// shift72 --seed FILE` reads it from JSON:
//
//	{"films": [{"id", "title", "tagline", "overview", "genres", "tags",
//	            "custom", "seo_keywords", "published", "published_date"}, ...],
//	 "bundles": [{"title", "status", "items"}, ...]}
type Seed struct {
	Films   []Film
	Bundles []SeedBundle
}

// SeedBundle is a bundle of a Seed. Its id is assigned when it is loaded,
// after the films' ids.
type SeedBundle struct {
	Title  string
	Status string   // StatusDraft (the default) or StatusPublished
	Items  []string // slugs, in order: /film/N for a film of the seed, or any other slug
}

var (
	seedFilmSlug = regexp.MustCompile(`^/film/([1-9][0-9]*)$`)
	seedSlug     = regexp.MustCompile(`^/(film|tv|bundle|page|collection)/[0-9a-z/]+$`)
)

// ParseSeed reads a Seed from JSON. An error names where the problem is:
// the line and column of a syntax error, or the field and index of a value
// (films[2].published_date). Every film needs a positive id (unique) and a
// title; every bundle a title and a status of draft or published; a bundle's
// /film/N items must be films of the seed.
func ParseSeed(data []byte) (Seed, error) {
	doc, err := seedjson.Parse(data, "films", "bundles")
	if err != nil {
		return Seed{}, err
	}
	films, err := doc.Objects("films", "id", "title", "tagline", "overview", "genres", "tags", "custom", "seo_keywords", "published", "published_date")
	if err != nil {
		return Seed{}, err
	}
	var sd Seed
	seen := map[int]string{}
	for _, o := range films {
		var f Film
		if !o.Has("id") {
			return Seed{}, fmt.Errorf("%s: required (a positive integer)", o.At("id"))
		}
		if err := o.Decode("id", "a positive integer", &f.ID); err != nil || f.ID < 1 {
			return Seed{}, fmt.Errorf("%s: want a positive integer", o.At("id"))
		}
		if first, dup := seen[f.ID]; dup {
			return Seed{}, fmt.Errorf("%s: %d is also the id of %s", o.At("id"), f.ID, first)
		}
		seen[f.ID] = o.Path
		if f.Title, err = o.Required("title"); err != nil {
			return Seed{}, err
		}
		if f.Tagline, err = o.String("tagline"); err != nil {
			return Seed{}, err
		}
		if f.Overview, err = o.String("overview"); err != nil {
			return Seed{}, err
		}
		if f.Genres, err = o.Strings("genres"); err != nil {
			return Seed{}, err
		}
		if f.Tags, err = o.Strings("tags"); err != nil {
			return Seed{}, err
		}
		if err = o.Decode("custom", "an object", &f.Custom); err != nil {
			return Seed{}, err
		}
		if f.SEOKeywords, err = o.String("seo_keywords"); err != nil {
			return Seed{}, err
		}
		if err = o.Decode("published", "true or false", &f.Published); err != nil {
			return Seed{}, err
		}
		if f.PublishedDate, err = o.Time("published_date"); err != nil {
			return Seed{}, err
		}
		sd.Films = append(sd.Films, f)
	}
	bundles, err := doc.Objects("bundles", "title", "status", "items")
	if err != nil {
		return Seed{}, err
	}
	for _, o := range bundles {
		var b SeedBundle
		if b.Title, err = o.Required("title"); err != nil {
			return Seed{}, err
		}
		if b.Status, err = o.String("status"); err != nil {
			return Seed{}, err
		}
		switch b.Status {
		case "":
			b.Status = StatusDraft
		case StatusDraft, StatusPublished:
		default:
			return Seed{}, fmt.Errorf("%s: want %q or %q, not %q", o.At("status"), StatusDraft, StatusPublished, b.Status)
		}
		if b.Items, err = o.Strings("items"); err != nil {
			return Seed{}, err
		}
		for i, slug := range b.Items {
			at := fmt.Sprintf("%s[%d]", o.At("items"), i)
			if !seedSlug.MatchString(slug) {
				return Seed{}, fmt.Errorf("%s: %q is not a slug such as /film/176", at, slug)
			}
			if m := seedFilmSlug.FindStringSubmatch(slug); m != nil {
				id, _ := strconv.Atoi(m[1])
				if _, ok := seen[id]; !ok {
					return Seed{}, fmt.Errorf("%s: film %d is not among films", at, id)
				}
			}
		}
		sd.Bundles = append(sd.Bundles, b)
	}
	return sd, nil
}

// Load adds a Seed's films, then its bundles.
func (s *Server) Load(sd Seed) {
	for _, f := range sd.Films {
		s.AddFilm(f)
	}
	for _, b := range sd.Bundles {
		s.AddBundle(b.Title, b.Status, slices.Clone(b.Items)...)
	}
}
