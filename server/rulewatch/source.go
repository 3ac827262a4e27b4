package rulewatch

import (
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/rules"
)

// Defaults for the watch timings.
const (
	// DefaultDebounce is how long Watch waits after the last event of a
	// burst before it reloads.
	DefaultDebounce = 200 * time.Millisecond
	// DefaultPollInterval is how often Watch compares the files'
	// fingerprint, in case the file system lost an event.
	DefaultPollInterval = 5 * time.Second
)

// maxLoggedErrors is how many problems a failed reload logs.
const maxLoggedErrors = 3

// Source is the source of the current rule set: the rule files at a path,
// compiled. Its methods are safe for concurrent use; loads are serialized.
type Source struct {
	path    string // as given, for engine.Load and Status
	absPath string // cleaned and absolute, for matching watch events
	opts    []engine.Option
	notify  bool   // use fsnotify in Watch; tests turn it off to poll only
	onWatch func() // test hook: called once Watch is watching

	current atomic.Pointer[engine.Ruleset]

	loadMu sync.Mutex // serializes loads

	// mu guards the configuration and the status.
	mu       sync.Mutex
	now      func() time.Time
	logger   *slog.Logger
	onLoad   func(ok, changed bool)
	debounce time.Duration
	poll     time.Duration
	status   Status
	files    map[string]string // the rule files of the ruleset in force, path → text
	lastFP   string            // fingerprint taken at the last load attempt
}

// Status describes the ruleset in force and the last load attempt.
type Status struct {
	// Path is the rules path, as given to New.
	Path string `json:"path"`
	// Digest identifies the ruleset in force; "" if there is none.
	Digest string `json:"digest"`
	// Rules is the number of rules of the ruleset in force.
	Rules int `json:"rules"`
	// LoadedAt is when the ruleset in force was swapped in.
	LoadedAt time.Time `json:"loaded_at"`
	// CheckedAt is when the files were last loaded, successfully or not.
	CheckedAt time.Time `json:"checked_at"`
	// OK reports whether the last load attempt succeeded.
	OK bool `json:"ok"`
	// Errors is every problem of the last load attempt, sorted; empty (never
	// nil, so JSON shows []) when it succeeded.
	Errors rules.ErrorList `json:"errors"`
	// Reloads counts the successful loads that changed the ruleset in force,
	// the first load included.
	Reloads int `json:"reloads"`
	// Failures counts the failed load attempts.
	Failures int `json:"failures"`
}

// New returns a source for the rule files at path, a rule file or a
// directory of them, compiled with opts (e.g. registry.CompileOptions()).
// Nothing is read until Load or Watch.
func New(path string, opts ...engine.Option) *Source {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	return &Source{
		path:     path,
		absPath:  abs,
		opts:     slices.Clone(opts),
		notify:   true,
		now:      time.Now,
		logger:   slog.Default(),
		debounce: DefaultDebounce,
		poll:     DefaultPollInterval,
		status:   Status{Path: path, Errors: rules.ErrorList{}},
	}
}

// SetClock sets the clock Status times come from; nil means time.Now. It
// returns s, for chaining.
func (s *Source) SetClock(now func() time.Time) *Source {
	if now == nil {
		now = time.Now
	}
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
	return s
}

// SetLogger sets the logger reloads are reported to; nil means
// slog.Default(). Each reload that changes the ruleset is logged at Info,
// each failed one at Warn. It returns s, for chaining.
func (s *Source) SetLogger(l *slog.Logger) *Source {
	if l == nil {
		l = slog.Default()
	}
	s.mu.Lock()
	s.logger = l
	s.mu.Unlock()
	return s
}

// OnLoad sets a function called after every load attempt, from Load or
// Watch, with whether it succeeded and whether it changed the ruleset in
// force; the service counts reloads with it. It runs on the loading
// goroutine, outside any lock, and must not block for long. It returns s,
// for chaining.
func (s *Source) OnLoad(fn func(ok, changed bool)) *Source {
	s.mu.Lock()
	s.onLoad = fn
	s.mu.Unlock()
	return s
}

// SetDebounce sets how long Watch waits after the last event of a burst
// before it reloads; d <= 0 means DefaultDebounce. It applies to the next
// Watch. It returns s, for chaining.
func (s *Source) SetDebounce(d time.Duration) *Source {
	return s.setDuration(&s.debounce, d, DefaultDebounce)
}

// SetPollInterval sets how often Watch compares the files' fingerprint, in
// case the file system lost an event; d <= 0 means DefaultPollInterval. It
// applies to the next Watch. It returns s, for chaining.
func (s *Source) SetPollInterval(d time.Duration) *Source {
	return s.setDuration(&s.poll, d, DefaultPollInterval)
}

// setDuration sets *dst, under mu, to d, or to def if d <= 0.
func (s *Source) setDuration(dst *time.Duration, d, def time.Duration) *Source {
	if d <= 0 {
		d = def
	}
	s.mu.Lock()
	*dst = d
	s.mu.Unlock()
	return s
}

// Current returns the ruleset in force, nil before the first successful
// load. It does not lock.
func (s *Source) Current() *engine.Ruleset {
	return s.current.Load()
}

// Status describes the ruleset in force and the last load attempt.
func (s *Source) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Errors = slices.Clone(st.Errors)
	return st
}

// Load loads and compiles the rules now. On success the new ruleset is in
// force. On failure the previous one, if any, stays in force, the problems
// are kept for Status, and the error returned is the rules.ErrorList of
// every problem, sorted. changed reports whether the ruleset in force
// changed, that is whether its digest differs from the previous one's.
func (s *Source) Load() (changed bool, err error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()

	s.mu.Lock()
	now, onLoad, logger := s.now, s.onLoad, s.logger
	s.mu.Unlock()

	// The fingerprint is taken before the files are read: a change made
	// while they are read changes the next fingerprint and is loaded then.
	fp := fingerprint(s.path)
	rs, files, errs := s.build()
	at := now()
	prev := s.current.Load()

	s.mu.Lock()
	st := &s.status
	lastFailed := st.Failures > 0 && !st.OK
	st.CheckedAt = at
	s.lastFP = fp
	if len(errs) > 0 {
		st.OK = false
		st.Errors = errs
		st.Failures++
	} else {
		st.OK = true
		st.Errors = rules.ErrorList{}
		if prev == nil || prev.Digest() != rs.Digest() {
			changed = true
			s.current.Store(rs)
			s.files = files
			st.Digest = rs.Digest()
			st.Rules = rs.Len()
			st.LoadedAt = at
			st.Reloads++
		}
	}
	s.mu.Unlock()

	switch {
	case len(errs) > 0:
		first := make([]string, 0, maxLoggedErrors)
		for _, e := range errs[:min(len(errs), maxLoggedErrors)] {
			first = append(first, e.Error())
		}
		kept := ""
		if prev != nil {
			kept = prev.Digest()
		}
		logger.Warn("rules: load failed; keeping the ruleset in force",
			"path", s.path, "errors", len(errs), "first", first, "kept", kept)
	case changed:
		logger.Info("rules: loaded", "path", s.path, "digest", rs.Digest(), "rules", rs.Len())
	case lastFailed:
		logger.Info("rules: valid again; ruleset unchanged", "path", s.path, "digest", rs.Digest(), "rules", rs.Len())
	default:
		logger.Debug("rules: unchanged", "path", s.path, "digest", rs.Digest())
	}
	if onLoad != nil {
		onLoad(len(errs) == 0, changed)
	}
	return changed, errs.Err()
}

// InForce returns the digest of the ruleset in force and its rule files,
// path (as loaded) → text: what engine.LoadFiles compiles back into the
// same ruleset. The digest is "" and files nil before the first
// successful load.
func (s *Source) InForce() (digest string, files map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status.Digest, maps.Clone(s.files)
}

// build loads the rules at the path, through engine.Load. The caller holds
// loadMu. It returns the ruleset and its rule files, or every problem,
// never both.
func (s *Source) build() (*engine.Ruleset, map[string]string, rules.ErrorList) {
	l, errs := engine.Load([]string{s.path}, s.opts...)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	files := make(map[string]string, len(l.Set.Files))
	for _, f := range l.Set.Files {
		files[f.Path] = string(f.Source)
	}
	return l.Ruleset, files, nil
}
