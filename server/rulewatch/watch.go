package rulewatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/organizer-dev/organizer/rules"
)

// Watch reloads the rules when they change, until ctx ends. It watches the
// path (the directory, or the file) and its parent directory, so that a file
// renamed over, a directory or symlink swapped in, or files removed and
// recreated are seen; a burst of events gives one reload once the events
// have been quiet for the debounce time. Every poll interval it also compares
// the files' fingerprint with the one taken at the last load and reloads if
// it differs, in case an event was lost. It loads once at the start if the
// files differ from the last Load (or if there was none).
//
// Watch blocks. It returns nil when ctx ends, and an error only if watching
// cannot start: no fsnotify watcher, or the parent directory cannot be
// watched. Call it once per Source.
func (s *Source) Watch(ctx context.Context) error {
	s.mu.Lock()
	debounce, poll, logger := s.debounce, s.poll, s.logger
	s.mu.Unlock()
	maxWait := 10 * debounce // a burst that never pauses still reloads

	var (
		ws     *watchSet
		events <-chan fsnotify.Event
		errs   <-chan error
	)
	if s.notify {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			return fmt.Errorf("watch rules %s: %w", s.path, err)
		}
		defer w.Close()
		ws = &watchSet{w: w, infos: map[string]os.FileInfo{}}
		parent := filepath.Dir(s.absPath)
		if _, err := os.Stat(parent); err != nil {
			return fmt.Errorf("watch rules %s: %w", s.path, err)
		}
		if err := ws.arm(parent); err != nil {
			return fmt.Errorf("watch rules %s: directory %s: %w", s.path, parent, err)
		}
		if err := ws.arm(s.absPath); err != nil {
			return fmt.Errorf("watch rules %s: %w", s.path, err)
		}
		events, errs = w.Events, w.Errors
	}
	rearm := func() {
		if ws == nil {
			return
		}
		for _, p := range []string{filepath.Dir(s.absPath), s.absPath} {
			if err := ws.arm(p); err != nil {
				logger.Warn("rules: cannot watch; polling still runs", "path", p, "err", err)
			}
		}
	}

	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var (
		pending    <-chan time.Time // timer.C while a reload is due
		burstStart time.Time
	)
	schedule := func() {
		now := time.Now()
		if pending == nil {
			burstStart = now
		}
		wait := min(debounce, max(0, burstStart.Add(maxWait).Sub(now)))
		timer.Reset(wait)
		pending = timer.C
	}

	s.loadIfChanged()
	logger.Debug("rules: watching", "path", s.path, "fsnotify", ws != nil, "debounce", debounce, "poll", poll)
	if s.onWatch != nil {
		s.onWatch()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil // the watcher is gone; polling carries on
				continue
			}
			if !s.relevant(ev.Name) {
				continue
			}
			if ev.Name == s.absPath {
				rearm() // the path itself was replaced, removed or created
			}
			schedule()
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// Most likely an overflow: events were lost, so look again.
			logger.Warn("rules: file watcher error; reloading", "path", s.path, "err", err)
			schedule()
		case <-pending:
			pending = nil
			rearm()
			_, _ = s.Load() // reported through Status, the log and OnLoad
		case <-ticker.C:
			rearm()
			if pending == nil {
				s.loadIfChanged()
			}
		}
	}
}

// relevant reports whether an event name concerns the rules: the path
// itself, or an entry of it when it is a directory.
func (s *Source) relevant(name string) bool {
	name = filepath.Clean(name)
	return name == s.absPath || filepath.Dir(name) == s.absPath
}

// loadIfChanged loads the rules if their fingerprint differs from the one
// taken at the last load attempt.
func (s *Source) loadIfChanged() {
	fp := fingerprint(s.path)
	s.mu.Lock()
	same := fp == s.lastFP
	s.mu.Unlock()
	if !same {
		_, _ = s.Load() // reported through Status, the log and OnLoad
	}
}

// watchSet keeps fsnotify watches on paths that may be replaced: a path is
// watched again when it now names another file or directory than the one
// watched, or when the watch was dropped.
type watchSet struct {
	w     *fsnotify.Watcher
	infos map[string]os.FileInfo // what each watched path named when added
}

// arm makes sure p is watched, following symlinks. A path that does not
// exist is not an error: its parent's events say when it appears.
func (ws *watchSet) arm(p string) error {
	info, err := os.Stat(p)
	old, had := ws.infos[p]
	if err != nil {
		if had {
			delete(ws.infos, p)
			_ = ws.w.Remove(p) // may already be gone with what it watched
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("cannot watch: %w", err)
	}
	if had && os.SameFile(old, info) && slices.Contains(ws.w.WatchList(), p) {
		return nil
	}
	if had {
		_ = ws.w.Remove(p) // stop watching what p named before
	}
	delete(ws.infos, p)
	if err := ws.w.Add(p); err != nil {
		return fmt.Errorf("cannot watch: %w", err)
	}
	ws.infos[p] = info
	return nil
}

// fingerprint summarizes the rule files at path as engine.Load finds them —
// names, sizes, modification times and modes, from stat alone — so that a
// change of any of them changes it.
func fingerprint(path string) string {
	h := sha256.New()
	info, err := os.Stat(path)
	switch {
	case err != nil:
		fmt.Fprintf(h, "error %v", err)
	case !info.IsDir():
		writeInfo(h, path, info)
	default:
		entries, err := os.ReadDir(path)
		if err != nil {
			fmt.Fprintf(h, "error %v", err)
			break
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !rules.IsRuleFile(name) {
				continue
			}
			fi, err := os.Stat(filepath.Join(path, name))
			if err != nil {
				fmt.Fprintf(h, "%s\x00error %v\n", name, err)
				continue
			}
			writeInfo(h, name, fi)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeInfo(w io.Writer, name string, fi os.FileInfo) {
	fmt.Fprintf(w, "%s\x00%d\x00%d\x00%v\n", name, fi.Size(), fi.ModTime().UnixNano(), fi.Mode())
}
