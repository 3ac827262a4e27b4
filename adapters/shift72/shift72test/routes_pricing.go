package shift72test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

// defaultPlatforms are the platform types geo_block accepts by default:
// tvod is documented, svod assumed.
var defaultPlatforms = []string{"tvod", "svod"}

// geoItem is the item of a geo_block path, its slug without the leading
// slash: film/{id}, tv/{id} or tv/{id}/season/{n}.
var geoItem = regexp.MustCompile(`^(?:film/([0-9]+)|tv/([0-9]+)(?:/season/([0-9]+))?)$`)

// geoRegion is an ISO 3166-1 alpha-2 code in lower case.
var geoRegion = regexp.MustCompile(`^[a-z]{2}$`)

// geoTarget returns the platform and slug of a geo_block request, or false
// when the platform is unknown or the item unknown or malformed.
func (s *Server) geoTarget(r *http.Request) (platform, slug string, ok bool) {
	platform = r.PathValue("platform")
	known := slices.Contains(s.platforms, platform)
	m := geoItem.FindStringSubmatch(r.PathValue("item"))
	if !known || m == nil {
		return "", "", false
	}
	slug = "/" + r.PathValue("item")
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case m[1] != "":
		id, _ := strconv.Atoi(m[1])
		_, ok = st.films[id]
	case m[3] != "":
		_, ok = st.seasons[slug]
	default:
		show, _ := strconv.Atoi(m[2])
		for _, se := range st.seasons {
			ok = ok || se.ShowID == show
		}
	}
	return platform, slug, ok
}

// geoBlockGet is GET /services/pricing/v2/geo_block/{platform}/{item}
// (admin): {"rules":[...]}, empty for an item without rules.
func (s *Server) geoBlockGet(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	platform, slug, ok := s.geoTarget(r)
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": s.GeoRules(platform, slug)})
}

// geoBlockPut is PUT /services/pricing/v2/geo_block/{platform}/{item}
// (admin): the body {"rules":[...]} replaces the item's rules and is
// answered with the stored geo block.
func (s *Server) geoBlockPut(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	platform, slug, ok := s.geoTarget(r)
	if !ok {
		notFound(w)
		return
	}
	body, _ := io.ReadAll(r.Body) // already read into memory by logRequests
	rules, err := decodeRules(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.SetGeoRules(platform, slug, rules...)
	writeJSON(w, http.StatusOK, map[string]any{"rules": s.GeoRules(platform, slug)})
}

// errBadRules says what a geo block body must be.
var errBadRules = errors.New(`the body must be {"rules":[{"rule":"allow"|"block","geo_region":"<two lower-case letters>"}]}`)

// decodeRules decodes and validates a geo block body.
func decodeRules(body []byte) ([]GeoRule, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var v struct {
		Rules *[]GeoRule `json:"rules"`
	}
	if err := dec.Decode(&v); err != nil || dec.More() || v.Rules == nil {
		return nil, errBadRules
	}
	for i, rule := range *v.Rules {
		if rule.Rule != "allow" && rule.Rule != "block" {
			return nil, fmt.Errorf("rules[%d]: rule %q is neither allow nor block: %w", i, rule.Rule, errBadRules)
		}
		if !geoRegion.MatchString(rule.GeoRegion) {
			return nil, fmt.Errorf("rules[%d]: geo_region %q is not a lower-case ISO 3166-1 alpha-2 code: %w", i, rule.GeoRegion, errBadRules)
		}
	}
	return *v.Rules, nil
}

// availabilities is GET /services/content/v1/availabilities?items=: the
// windows of the known slugs among items, in the order asked.
func (s *Server) availabilities(w http.ResponseWriter, r *http.Request) {
	out := []map[string]any{}
	st := s.state
	st.mu.Lock()
	for _, slug := range csvQuery(r, "items") {
		if a, ok := st.availability[slug]; ok {
			out = append(out, map[string]any{"slug": a.Slug, "from": timeOrNull(a.From), "to": timeOrNull(a.To)})
		}
	}
	st.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
