package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// RecordedRuleset is a ruleset the service loaded, as organizer_rulesets
// keeps it: enough to compile it again with engine.LoadFiles.
type RecordedRuleset struct {
	Digest   string            `json:"digest"`
	Files    map[string]string `json:"files"` // path as loaded → text
	LoadedAt time.Time         `json:"loaded_at"`
}

// ErrNoRecordedRuleset is returned when the store holds no ruleset: no
// service with this version has started on it yet.
var ErrNoRecordedRuleset = errors.New("the store holds no ruleset: start organizer serve on it once, or compare with --current PATH")

// recordRulesetWrite records a loaded ruleset; loading one again (a
// restart, or a revert to earlier files) moves its loaded_at.
func recordRulesetWrite(r RecordedRuleset) writeFunc {
	return func(ctx context.Context, q querier, _ enqueueFunc) error {
		files, err := json.Marshal(r.Files)
		if err != nil {
			return err
		}
		_, err = q.exec(ctx, `INSERT INTO organizer_rulesets (digest, files, loaded_at) VALUES ($1, $2, $3)
			ON CONFLICT (digest) DO UPDATE SET loaded_at = excluded.loaded_at`,
			r.Digest, string(files), r.LoadedAt.UnixMicro())
		return err
	}
}

// latestRuleset returns the ruleset loaded last.
func latestRuleset(ctx context.Context, q querier) (RecordedRuleset, error) {
	var r RecordedRuleset
	var files string
	var at int64
	found, err := queryOne(ctx, q, `SELECT digest, files, loaded_at FROM organizer_rulesets ORDER BY loaded_at DESC, digest LIMIT 1`, nil,
		&r.Digest, &files, &at)
	switch {
	case err != nil:
		return r, fmt.Errorf("reading the recorded rulesets: %w", err)
	case !found:
		return r, ErrNoRecordedRuleset
	}
	if err := json.Unmarshal([]byte(files), &r.Files); err != nil {
		return r, fmt.Errorf("reading the files of ruleset %s: %w", r.Digest, err)
	}
	r.LoadedAt = time.UnixMicro(at).UTC()
	return r, nil
}

// recordRuleset records the ruleset in force after a load that changed
// it, the first load included. A failure is logged, not fatal: the
// service decides with the ruleset all the same; only organizer impact
// without --current misses it.
func (s *Service) recordRuleset(ok, changed bool) {
	if !ok || !changed {
		return
	}
	digest, files := s.rules.InForce()
	if digest == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := RecordedRuleset{Digest: digest, Files: files, LoadedAt: time.Now().UTC()}
	if err := s.store.writes.do(ctx, recordRulesetWrite(r)); err != nil {
		s.log.Warn("cannot record the ruleset loaded; organizer impact will not compare against it", "ruleset", digest, "error", err)
	}
}
