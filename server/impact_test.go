package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
	"github.com/organizer-dev/organizer/engine"
)

// impactRules are the rules in force of the impact tests: town halls go
// to Leadership, marketing reels to Marketing.
const impactRules = `version: 1
rules:
  - name: leadership
    on: [content.uploaded]
    when: lower(title) contains "town hall"
    actions: {folder: Leadership}
  - name: marketing
    on: [content.uploaded]
    when: lower(title) contains "marketing"
    actions: {folder: Marketing, tags: [promo]}
`

// impactEdit is the proposed edit: town halls go to Executive instead,
// under a renamed rule.
var impactEdit = strings.NewReplacer("name: leadership", "name: executive", "folder: Leadership", "folder: Executive").Replace(impactRules)

// withImpactRules runs the service with impactRules in force.
func withImpactRules(t *testing.T) harnessOption {
	dir := filepath.Join(t.TempDir(), "rules")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "media.yaml"), []byte(impactRules), 0o644))
	return func(c *Config) { c.Rules = dir }
}

// impactReport is an impact preview's answer, decoded.
type impactReport struct {
	Events   int                       `json:"events"`
	Changed  int                       `json:"changed"`
	Limited  bool                      `json:"limited"`
	Current  string                    `json:"current"`
	Proposed string                    `json:"proposed"`
	Fields   map[string]map[string]int `json:"fields"`
	Rules    map[string]BeforeAfter    `json:"rules"`
	Examples []ImpactExample           `json:"examples"`
}

func (h *harness) impact(req map[string]any) (int, impactReport, map[string]any) {
	h.t.Helper()
	body, err := json.Marshal(req)
	require.NoError(h.t, err)
	raw, err := http.Post(h.url+"/v1/impact", "application/json", strings.NewReader(string(body)))
	require.NoError(h.t, err)
	defer raw.Body.Close()
	var all map[string]any
	var r impactReport
	dec := json.NewDecoder(raw.Body)
	var msg json.RawMessage
	require.NoError(h.t, dec.Decode(&msg))
	require.NoError(h.t, json.Unmarshal(msg, &all))
	require.NoError(h.t, json.Unmarshal(msg, &r))
	return raw.StatusCode, r, all
}

// tableRows counts the rows of every table a preview could write to.
func (h *harness) tableRows() map[string]int {
	out := map[string]int{}
	for _, table := range []string{"organizer_events", "organizer_notifications", "organizer_sweeps", "organizer_rulesets", "river_job"} {
		out[table] = h.rows(table)
	}
	return out
}

// Twenty events were applied, ten of them town halls: the edit moves
// exactly those ten from Leadership to Executive, says which rules match
// how often before and after, and neither writes to the store nor calls
// the platform.
// logTownHalls applies twenty webhooks, ten of them town halls (which the
// impact rules file under Leadership), the others marketing reels.
func (h *harness) logTownHalls() {
	h.t.Helper()
	var ids []string
	for i := range 20 {
		id, title := fmt.Sprintf("c_%d", i), fmt.Sprintf("Marketing reel %d", i)
		if i%2 == 0 {
			title = fmt.Sprintf("Town hall %d", i)
		}
		h.sim.AddContent(vaultstreamtest.Content{ID: id, Title: title})
		_, resp := h.send(webhook(h.t, "content.uploaded", map[string]any{"content_id": id, "title": title}))
		ids = append(ids, resp["event_id"].(string))
	}
	for _, id := range ids {
		h.waitFor(id, 10*time.Second, StatusApplied)
	}
}

func TestImpactPreviewOfAnEdit(t *testing.T) {
	h := startHarness(t, withImpactRules(t))
	h.logTownHalls()
	rows, calls := h.tableRows(), len(h.sim.Requests())

	status, r, _ := h.impact(map[string]any{"rules": map[string]string{"media.yaml": impactEdit}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 20, r.Events)
	require.Equal(t, 10, r.Changed)
	require.False(t, r.Limited)
	require.Equal(t, map[string]map[string]int{"folder": {"Leadership → Executive": 10}}, r.Fields)
	require.Equal(t, map[string]BeforeAfter{
		"leadership": {Before: 10, After: 0},
		"executive":  {Before: 0, After: 10},
		"marketing":  {Before: 10, After: 10},
	}, r.Rules)
	require.Equal(t, h.svc.rules.Current().Digest(), r.Current)
	require.NotEqual(t, r.Current, r.Proposed)
	require.Len(t, r.Examples, 10)
	for _, ex := range r.Examples {
		require.True(t, strings.HasPrefix(ex.Title, "Town hall"), ex.Title)
		require.Equal(t, []FieldChange{{Field: "folder", Before: "Leadership", After: "Executive"}}, ex.Changes)
	}

	require.Equal(t, rows, h.tableRows(), "a preview writes nothing to the store")
	require.Equal(t, calls, len(h.sim.Requests()), "a preview calls no provider")

	// The rules in force against themselves change nothing.
	status, r, _ = h.impact(map[string]any{"rules": map[string]string{"media.yaml": impactRules}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 20, r.Events)
	require.Zero(t, r.Changed)
	require.Empty(t, r.Fields)
	require.Empty(t, r.Examples)
}

// Proposed rules with errors answer 400 with every error at its position,
// across files.
func TestImpactInvalidRules(t *testing.T) {
	h := startHarness(t, recordOnly, withImpactRules(t))
	status, _, body := h.impact(map[string]any{"rules": map[string]string{
		"a.yaml": "version: 1\nrules:\n  - name: r1\n    when: title ==\n    actions:\n      folder: A\n",
		"b.yaml": "version: 1\nrules:\n  - name: r2\n    colour: red\n    actions:\n      folder: A\n",
	}})
	require.Equal(t, http.StatusBadRequest, status)
	e := body["error"].(map[string]any)
	require.Equal(t, "invalid_proposed_rules", e["code"])
	var positions []string
	for _, d := range e["details"].([]any) {
		positions = append(positions, d.(map[string]any)["position"].(string))
	}
	require.Contains(t, positions, "a.yaml:4:18")
	require.Contains(t, positions, "b.yaml:4:5")

	for _, bad := range []map[string]any{
		{"rules": map[string]string{"a.yaml": impactEdit}, "since": "100d"},
		{"rules": map[string]string{"a.yaml": impactEdit}, "since": "yesterday"},
		{"rules": map[string]string{"a.yaml": impactEdit}, "limit": MaxImpactLimit + 1},
		{"rules": map[string]string{"a.yaml": impactEdit}, "limit": -1},
	} {
		status, _, body := h.impact(bad)
		require.Equal(t, http.StatusBadRequest, status, "%v", bad)
		require.Equal(t, "bad_window", body["error"].(map[string]any)["code"], "%v", bad)
	}
	status, _, body = h.impact(map[string]any{"since": "24h"})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "malformed_body", body["error"].(map[string]any)["code"])
}

// logEvents stores town-hall webhooks as received at the given times,
// undecided: a preview decodes their payloads.
func logEvents(t *testing.T, h *harness, prefix string, at ...time.Time) []string {
	t.Helper()
	var evs []*newEvent
	var ids []string
	for i, when := range at {
		id := fmt.Sprintf("%s_%d", prefix, i)
		body := webhook(t, "content.uploaded", map[string]any{"content_id": id, "title": "Town hall " + id})
		evs = append(evs, &newEvent{id: id, provider: vaultstream.Name, typ: "content.uploaded", contentID: id,
			payload: body, receivedAt: when, status: StatusRecorded})
		ids = append(ids, id)
	}
	err := h.svc.store.writes.do(context.Background(), func(ctx context.Context, q querier, _ enqueueFunc) error {
		_, err := insertEvents(ctx, q, evs)
		return err
	})
	require.NoError(t, err)
	return ids
}

// The window counts back from now; the limit keeps the newest events.
func TestImpactWindowAndLimit(t *testing.T) {
	h := startHarness(t, recordOnly, withImpactRules(t))
	now := time.Now()
	var recent []time.Time
	for i := range 6 {
		recent = append(recent, now.Add(-time.Hour-time.Duration(i)*time.Minute)) // newest first
	}
	newest := logEvents(t, h, "recent", recent...)
	logEvents(t, h, "old", now.Add(-48*time.Hour), now.Add(-49*time.Hour), now.Add(-50*time.Hour), now.Add(-51*time.Hour))
	edit := map[string]string{"media.yaml": impactEdit}

	_, r, _ := h.impact(map[string]any{"rules": edit})
	require.Equal(t, 6, r.Events, "24h by default")
	require.Equal(t, 6, r.Changed)
	require.Equal(t, map[string]int{"Leadership → Executive": 6}, r.Fields["folder"])

	_, r, _ = h.impact(map[string]any{"rules": edit, "since": "3d"})
	require.Equal(t, 10, r.Events)
	require.False(t, r.Limited)

	_, r, _ = h.impact(map[string]any{"rules": edit, "since": "90m"})
	require.Equal(t, 6, r.Events)

	_, r, _ = h.impact(map[string]any{"rules": edit, "since": "3d", "limit": 3})
	require.Equal(t, 3, r.Events)
	require.True(t, r.Limited)
	var got []string
	for _, ex := range r.Examples {
		got = append(got, ex.EventID)
	}
	require.Equal(t, newest[:3], got, "the newest events, newest first")
}

// The service records each ruleset it loads, with its files, and the
// read-only event log finds the latest while the service runs; compiled
// again, the files give the same digest.
func TestRulesetsRecordedOnLoad(t *testing.T) {
	h := startHarness(t, recordOnly)
	first := h.svc.rules.Current().Digest()
	file := filepath.Join(h.rules, "media.yaml")
	text, err := os.ReadFile(file)
	require.NoError(t, err)
	writeRenamed(t, file, strings.Replace(string(text), "folder: Marketing", "folder: Promotion", 1))
	status, _ := h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(t, http.StatusOK, status)
	second := h.svc.rules.Current().Digest()
	require.NotEqual(t, first, second)
	require.Equal(t, 2, h.rows("organizer_rulesets"))

	log, err := OpenEventLog(context.Background(), h.svc.cfg.Data, "", testRegistry(h.svc.cfg))
	require.NoError(t, err, "the log opens beside the running service")
	defer log.Close()
	rec, err := log.LatestRuleset(context.Background())
	require.NoError(t, err)
	require.Equal(t, second, rec.Digest)
	require.Contains(t, rec.Files[file], "folder: Promotion")
	files := map[string][]byte{}
	for name, text := range rec.Files {
		files[name] = []byte(text)
	}
	l, errs := engine.LoadFiles(files)
	require.Empty(t, errs)
	require.Equal(t, second, l.Ruleset.Digest())
}
