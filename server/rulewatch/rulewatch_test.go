package rulewatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/rules"
)

const (
	eventually = 5 * time.Second
	tick       = 10 * time.Millisecond
)

// ruleFile is a valid rule file with one rule per name, each filing titles
// containing the name under a folder of that name.
func ruleFile(names ...string) string {
	s := "version: 1\nrules:\n"
	for _, n := range names {
		s += fmt.Sprintf("  - name: %s\n    when: title contains %q\n    actions:\n      folder: %s\n", n, n, n)
	}
	return s
}

// brokenWhen is a rule file whose when (line 4, col 18) does not parse.
const brokenWhen = "version: 1\nrules:\n  - name: r1\n    when: title ==\n    actions:\n      folder: A\n"

// brokenField is a rule file with an unknown field at line 4, col 5.
const brokenField = "version: 1\nrules:\n  - name: r1\n    colour: red\n    actions:\n      folder: A\n"

func write(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}

// saveByRename writes text as editors do: a temporary file renamed over.
func saveByRename(t *testing.T, path, text string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".swp")
	write(t, tmp, text)
	require.NoError(t, os.Rename(tmp, path))
}

// digestOf is the digest of the files as engine.LoadFiles (and so a
// directory load) gives it.
func digestOf(t *testing.T, files map[string]string) string {
	t.Helper()
	in := map[string][]byte{}
	for name, text := range files {
		in[name] = []byte(text)
	}
	l, errs := engine.LoadFiles(in)
	require.Empty(t, errs)
	return l.Ruleset.Digest()
}

func digestNow(s *Source) string {
	if rs := s.Current(); rs != nil {
		return rs.Digest()
	}
	return ""
}

// fixedClock returns a clock that stands still until advanced.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// watch runs s.Watch until the test ends and waits until it is watching.
func watch(t *testing.T, s *Source) {
	t.Helper()
	ready := make(chan struct{})
	s.onWatch = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(eventually):
			t.Error("Watch did not return when its context ended")
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Watch returned early: %v", err)
	case <-time.After(eventually):
		t.Fatal("Watch did not start")
	}
}

// quiet returns a source that logs nowhere.
func quiet(path string, opts ...engine.Option) *Source {
	return New(path, opts...).SetLogger(slog.New(slog.DiscardHandler))
}

func TestFirstLoad(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.yaml"), ruleFile("alpha", "beta"))
	clock := &fixedClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := quiet(dir).SetClock(clock.now)

	require.Nil(t, s.Current())
	st := s.Status()
	require.Equal(t, dir, st.Path)
	require.Empty(t, st.Digest)
	require.False(t, st.OK)
	out, err := json.Marshal(st)
	require.NoError(t, err)
	require.Contains(t, string(out), `"errors":[]`)

	changed, err := s.Load()
	require.NoError(t, err)
	require.True(t, changed)
	rs := s.Current()
	require.NotNil(t, rs)
	require.Equal(t, 2, rs.Len())
	require.Equal(t, digestOf(t, map[string]string{"a.yaml": ruleFile("alpha", "beta")}), rs.Digest())

	st = s.Status()
	require.True(t, st.OK)
	require.Equal(t, rs.Digest(), st.Digest)
	require.Equal(t, 2, st.Rules)
	require.Equal(t, clock.now(), st.LoadedAt)
	require.Equal(t, clock.now(), st.CheckedAt)
	require.Equal(t, 1, st.Reloads)
	require.Equal(t, 0, st.Failures)
	require.NotNil(t, st.Errors)
	require.Empty(t, st.Errors)
	out, err = json.Marshal(st)
	require.NoError(t, err)
	require.Contains(t, string(out), `"errors":[]`)
	require.Contains(t, string(out), `"digest":"sha256:`)

	// Loading the same files again changes nothing.
	loadedAt := clock.now()
	clock.advance(time.Minute)
	changed, err = s.Load()
	require.NoError(t, err)
	require.False(t, changed)
	require.Same(t, rs, s.Current())
	st = s.Status()
	require.Equal(t, 1, st.Reloads)
	require.Equal(t, loadedAt, st.LoadedAt)
	require.Equal(t, clock.now(), st.CheckedAt)

	// Touching a file without changing it is not a change either.
	future := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(dir, "a.yaml"), future, future))
	changed, err = s.Load()
	require.NoError(t, err)
	require.False(t, changed)
	require.Equal(t, 1, s.Status().Reloads)
}

func TestLoadSingleFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "only.yaml")
	write(t, file, ruleFile("alpha"))
	s := quiet(file)
	changed, err := s.Load()
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, 1, s.Current().Len())
}

func TestBrokenEditKeepsLastGood(t *testing.T) {
	for _, c := range []struct {
		name, text, pos, message string
	}{
		{"bad expression", brokenWhen, "a.yaml:4:18", "unexpected token EOF"},
		{"unknown field", brokenField, "a.yaml:4:5", `unknown rule field "colour"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "a.yaml")
			write(t, file, ruleFile("alpha"))
			var logs bytes.Buffer
			var calls []string
			s := New(dir).
				SetLogger(slog.New(slog.NewTextHandler(&logs, nil))).
				OnLoad(func(ok, changed bool) { calls = append(calls, fmt.Sprint(ok, changed)) })
			_, err := s.Load()
			require.NoError(t, err)
			good := s.Current()

			write(t, file, c.text)
			changed, err := s.Load()
			require.Error(t, err)
			require.False(t, changed)
			var list rules.ErrorList
			require.True(t, errors.As(err, &list), "the error is a rules.ErrorList: %T", err)
			require.Equal(t, filepath.Join(dir, c.pos), list[0].Pos.String())
			require.Contains(t, list[0].Message, c.message)
			require.Same(t, good, s.Current(), "the last good ruleset stays in force")

			st := s.Status()
			require.False(t, st.OK)
			require.Equal(t, good.Digest(), st.Digest)
			require.Equal(t, 1, st.Failures)
			require.Equal(t, 1, st.Reloads)
			require.NotEmpty(t, st.Errors)
			require.Equal(t, filepath.Join(dir, c.pos), st.Errors[0].Pos.String())
			out, err := json.Marshal(st)
			require.NoError(t, err)
			require.Contains(t, string(out), `"position":{"file":`)
			require.Contains(t, logs.String(), "level=WARN")
			require.Contains(t, logs.String(), "errors=1")
			require.Contains(t, logs.String(), c.pos)

			// Fixing it swaps the fixed rules in.
			write(t, file, ruleFile("alpha", "gamma"))
			changed, err = s.Load()
			require.NoError(t, err)
			require.True(t, changed)
			require.Equal(t, 2, s.Current().Len())
			st = s.Status()
			require.True(t, st.OK)
			require.Empty(t, st.Errors)
			require.Equal(t, 2, st.Reloads)
			require.Equal(t, 1, st.Failures)
			require.Equal(t, s.Current().Digest(), st.Digest)
			require.Equal(t, []string{"true true", "false false", "true true"}, calls)
		})
	}
}

func TestBrokenThenRestoredIsNotAReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.yaml")
	write(t, file, ruleFile("alpha"))
	s := quiet(dir)
	_, err := s.Load()
	require.NoError(t, err)
	good := s.Current()

	write(t, file, brokenWhen)
	_, err = s.Load()
	require.Error(t, err)
	write(t, file, ruleFile("alpha"))
	changed, err := s.Load()
	require.NoError(t, err)
	require.False(t, changed, "same rules as the ruleset in force")
	require.Same(t, good, s.Current())
	st := s.Status()
	require.True(t, st.OK)
	require.Empty(t, st.Errors)
	require.Equal(t, 1, st.Reloads)
}

func TestNoRuleFilesKeepsLastGood(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.yaml"), ruleFile("alpha"))
	write(t, filepath.Join(dir, "b.yml"), ruleFile("beta"))
	s := quiet(dir).SetDebounce(20 * time.Millisecond).SetPollInterval(time.Hour)
	_, err := s.Load()
	require.NoError(t, err)
	good := s.Current().Digest()
	watch(t, s)

	require.NoError(t, os.Remove(filepath.Join(dir, "a.yaml")))
	require.NoError(t, os.Remove(filepath.Join(dir, "b.yml")))
	require.Eventually(t, func() bool {
		st := s.Status()
		return !st.OK && len(st.Errors) > 0
	}, eventually, tick)
	st := s.Status()
	require.Contains(t, st.Errors[0].Message, "no rule files found")
	require.Equal(t, good, digestNow(s))
	require.Equal(t, good, st.Digest)

	// Putting files back is picked up.
	write(t, filepath.Join(dir, "c.yaml"), ruleFile("gamma"))
	want := digestOf(t, map[string]string{"c.yaml": ruleFile("gamma")})
	require.Eventually(t, func() bool { return digestNow(s) == want && s.Status().OK }, eventually, tick)
}

func TestWatchRenameOnSave(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.yaml")
	write(t, file, ruleFile("alpha"))
	s := quiet(dir).SetDebounce(20 * time.Millisecond).SetPollInterval(time.Hour)
	_, err := s.Load()
	require.NoError(t, err)
	watch(t, s)

	saveByRename(t, file, ruleFile("alpha", "beta"))
	want := digestOf(t, map[string]string{"a.yaml": ruleFile("alpha", "beta")})
	require.Eventually(t, func() bool { return digestNow(s) == want }, eventually, tick)

	// A broken save keeps the ruleset; the next good one replaces it.
	saveByRename(t, file, brokenWhen)
	require.Eventually(t, func() bool { return !s.Status().OK }, eventually, tick)
	require.Equal(t, want, digestNow(s))
	require.Equal(t, filepath.Join(dir, "a.yaml:4:18"), s.Status().Errors[0].Pos.String())
	saveByRename(t, file, ruleFile("gamma"))
	want = digestOf(t, map[string]string{"a.yaml": ruleFile("gamma")})
	require.Eventually(t, func() bool { return digestNow(s) == want && s.Status().OK }, eventually, tick)
}

func TestWatchFilePath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rules.yaml")
	write(t, file, ruleFile("alpha"))
	write(t, filepath.Join(dir, "other.yaml"), brokenWhen) // a sibling, not loaded
	s := quiet(file).SetDebounce(20 * time.Millisecond).SetPollInterval(time.Hour)
	watch(t, s) // loads at the start: there was no Load
	want := digestOf(t, map[string]string{"rules.yaml": ruleFile("alpha")})
	require.Eventually(t, func() bool { return digestNow(s) == want }, eventually, tick)

	saveByRename(t, file, ruleFile("beta"))
	want = digestOf(t, map[string]string{"rules.yaml": ruleFile("beta")})
	require.Eventually(t, func() bool { return digestNow(s) == want }, eventually, tick)

	// Written in place, twice over the watch renewed by the rename.
	write(t, file, ruleFile("gamma"))
	want = digestOf(t, map[string]string{"rules.yaml": ruleFile("gamma")})
	require.Eventually(t, func() bool { return digestNow(s) == want }, eventually, tick)

	// Removed and recreated.
	require.NoError(t, os.Remove(file))
	require.Eventually(t, func() bool { return !s.Status().OK }, eventually, tick)
	require.Equal(t, want, digestNow(s))
	write(t, file, ruleFile("delta"))
	want = digestOf(t, map[string]string{"rules.yaml": ruleFile("delta")})
	require.Eventually(t, func() bool { return digestNow(s) == want && s.Status().OK }, eventually, tick)
	require.True(t, s.Status().OK, "the broken sibling is never loaded")
}

func TestWatchGitPullBurst(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.yaml"), ruleFile("alpha"))
	write(t, filepath.Join(dir, "b.yaml"), ruleFile("beta"))
	write(t, filepath.Join(dir, "c.yaml"), ruleFile("gamma"))
	write(t, filepath.Join(dir, "b_test.yaml"), "tests: []\n")
	var loads atomic.Int32
	s := quiet(dir).SetDebounce(50 * time.Millisecond).SetPollInterval(time.Hour).
		OnLoad(func(bool, bool) { loads.Add(1) })
	_, err := s.Load()
	require.NoError(t, err)
	watch(t, s)

	// As git does it: removals, new files written under temporary names and
	// renamed, rewrites, renames — several at once.
	require.NoError(t, os.Remove(filepath.Join(dir, "a.yaml")))
	require.NoError(t, os.Remove(filepath.Join(dir, "b_test.yaml")))
	saveByRename(t, filepath.Join(dir, "b.yaml"), ruleFile("beta", "beta2"))
	require.NoError(t, os.Rename(filepath.Join(dir, "c.yaml"), filepath.Join(dir, "d.yaml")))
	write(t, filepath.Join(dir, "e.yaml"), ruleFile("alpha"))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	write(t, filepath.Join(dir, "sub", "ignored.yaml"), brokenWhen)
	saveByRename(t, filepath.Join(dir, "f.yml"), ruleFile("zeta"))
	write(t, filepath.Join(dir, "e.yaml"), ruleFile("epsilon"))

	final := map[string]string{
		"b.yaml": ruleFile("beta", "beta2"),
		"d.yaml": ruleFile("gamma"),
		"e.yaml": ruleFile("epsilon"),
		"f.yml":  ruleFile("zeta"),
	}
	want := digestOf(t, final)
	require.Eventually(t, func() bool { return digestNow(s) == want && s.Status().OK }, eventually, tick)
	require.Equal(t, 5, s.Current().Len())
	require.Equal(t, []string{"beta", "beta2", "gamma", "epsilon", "zeta"}, s.Current().RuleNames())
	// Usually one load for the whole burst; not asserted, as a slow machine
	// may pause longer than the debounce time in the middle of it.
	t.Logf("loads after the first: %d", loads.Load()-1)
}

func TestWatchSymlinkSwap(t *testing.T) {
	root := t.TempDir()
	v1 := filepath.Join(root, "releases", "v1")
	v2 := filepath.Join(root, "releases", "v2")
	require.NoError(t, os.MkdirAll(v1, 0o755))
	require.NoError(t, os.MkdirAll(v2, 0o755))
	write(t, filepath.Join(v1, "a.yaml"), ruleFile("alpha"))
	write(t, filepath.Join(v2, "a.yaml"), ruleFile("alpha", "beta"))
	link := filepath.Join(root, "rules")
	require.NoError(t, os.Symlink(v1, link))

	s := quiet(link).SetDebounce(20 * time.Millisecond).SetPollInterval(time.Hour)
	_, err := s.Load()
	require.NoError(t, err)
	watch(t, s)

	// Deploy v2 atomically: a new symlink renamed over the old one.
	tmp := filepath.Join(root, "rules.tmp")
	require.NoError(t, os.Symlink(v2, tmp))
	require.NoError(t, os.Rename(tmp, link))
	want := digestOf(t, map[string]string{"a.yaml": ruleFile("alpha", "beta")})
	require.Eventually(t, func() bool { return digestNow(s) == want }, eventually, tick)

	// The watch followed the swap: edits in v2 are seen, edits in v1 not.
	write(t, filepath.Join(v1, "a.yaml"), brokenWhen)
	saveByRename(t, filepath.Join(v2, "a.yaml"), ruleFile("gamma"))
	want = digestOf(t, map[string]string{"a.yaml": ruleFile("gamma")})
	require.Eventually(t, func() bool { return digestNow(s) == want }, eventually, tick)
	require.True(t, s.Status().OK)

	// A real directory renamed over the link works too.
	v3 := filepath.Join(root, "v3")
	require.NoError(t, os.Mkdir(v3, 0o755))
	write(t, filepath.Join(v3, "a.yaml"), ruleFile("delta"))
	require.NoError(t, os.Remove(link))
	require.NoError(t, os.Rename(v3, link))
	want = digestOf(t, map[string]string{"a.yaml": ruleFile("delta")})
	require.Eventually(t, func() bool { return digestNow(s) == want && s.Status().OK }, eventually, tick)
	write(t, filepath.Join(link, "b.yaml"), ruleFile("epsilon"))
	want = digestOf(t, map[string]string{"a.yaml": ruleFile("delta"), "b.yaml": ruleFile("epsilon")})
	require.Eventually(t, func() bool { return digestNow(s) == want }, eventually, tick)
}

func TestPollFallback(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.yaml")
	write(t, file, ruleFile("alpha"))
	var loads atomic.Int32
	s := quiet(dir).SetPollInterval(20 * time.Millisecond).OnLoad(func(bool, bool) { loads.Add(1) })
	s.notify = false // no fsnotify: only polling can see changes
	_, err := s.Load()
	require.NoError(t, err)
	watch(t, s)

	// Unchanged files are not loaded again, however many polls pass.
	for range 10 {
		s.loadIfChanged() // what each poll does
	}
	require.Equal(t, int32(1), loads.Load(), "polling loads only when the fingerprint changes")

	saveByRename(t, file, ruleFile("alpha", "beta")) // atomic: a poll never sees half a file
	want := digestOf(t, map[string]string{"a.yaml": ruleFile("alpha", "beta")})
	require.Eventually(t, func() bool { return digestNow(s) == want }, eventually, tick)

	saveByRename(t, filepath.Join(dir, "b.yaml"), brokenField) // atomic: no half-written state to poll
	require.Eventually(t, func() bool { return !s.Status().OK }, eventually, tick)
	require.Equal(t, want, digestNow(s))
	n := loads.Load()
	for range 10 {
		s.loadIfChanged()
	}
	require.Equal(t, n, loads.Load(), "a broken state is not retried until it changes")
	require.Equal(t, 1, s.Status().Failures)
}

func TestWatchFailsWithoutParent(t *testing.T) {
	s := quiet(filepath.Join(t.TempDir(), "missing", "rules"))
	err := s.Watch(context.Background())
	require.Error(t, err)
	require.Contains(t, err.Error(), "watch rules")
}

func TestWatchMissingPathThenCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rules")
	s := quiet(dir).SetDebounce(20 * time.Millisecond).SetPollInterval(time.Hour)
	watch(t, s)
	require.Eventually(t, func() bool { return s.Status().Failures == 1 }, eventually, tick)
	require.Nil(t, s.Current())
	require.Contains(t, s.Status().Errors[0].Message, "cannot read rules")

	require.NoError(t, os.Mkdir(dir, 0o755))
	write(t, filepath.Join(dir, "a.yaml"), ruleFile("alpha"))
	want := digestOf(t, map[string]string{"a.yaml": ruleFile("alpha")})
	require.Eventually(t, func() bool { return digestNow(s) == want }, eventually, tick)
}

func TestConcurrentCurrentDuringReloads(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.yaml")
	write(t, file, ruleFile("alpha"))
	s := quiet(dir).SetDebounce(time.Millisecond).SetPollInterval(5 * time.Millisecond)
	_, err := s.Load()
	require.NoError(t, err)
	watch(t, s)

	valid := map[string]bool{}
	texts := []string{ruleFile("alpha"), ruleFile("alpha", "beta"), ruleFile("gamma", "delta", "epsilon")}
	for _, text := range texts {
		valid[digestOf(t, map[string]string{"a.yaml": text})] = true
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Value
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				rs := s.Current()
				if rs == nil || !valid[rs.Digest()] || rs.Len() != len(rs.RuleNames()) {
					bad.Store(fmt.Sprintf("unexpected ruleset %v", rs))
					return
				}
				st := s.Status()
				if st.Errors == nil {
					bad.Store("Status().Errors is nil")
					return
				}
			}
		})
	}
	for i := range 60 {
		text := texts[i%len(texts)]
		if i%7 == 3 {
			text = brokenWhen
		}
		if i%2 == 0 {
			saveByRename(t, file, text)
		} else {
			write(t, file, text)
		}
		_, _ = s.Load() // racing Watch's own loads
	}
	close(stop)
	wg.Wait()
	require.Nil(t, bad.Load())
	require.NotNil(t, s.Current())
}

// InForce gives the files of the ruleset in force, which compile back to
// its digest; a broken edit leaves them as they were.
func TestInForceFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.yaml")
	write(t, file, ruleFile("alpha"))
	s := quiet(dir)
	digest, files := s.InForce()
	require.Empty(t, digest)
	require.Nil(t, files)
	_, err := s.Load()
	require.NoError(t, err)
	digest, files = s.InForce()
	require.Equal(t, s.Current().Digest(), digest)
	require.Equal(t, map[string]string{file: ruleFile("alpha")}, files)
	require.Equal(t, digest, digestOf(t, files))

	write(t, file, brokenWhen)
	_, err = s.Load()
	require.Error(t, err)
	again, files := s.InForce()
	require.Equal(t, digest, again)
	require.Equal(t, map[string]string{file: ruleFile("alpha")}, files)
}
