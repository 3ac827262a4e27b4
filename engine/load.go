package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/organizer-dev/organizer/rules"
)

// The loader is the one place where the engine reads files. Reading is
// kept apart from the steps after it: Load reads the files, then Load and
// LoadFiles alike parse them (package rules), validate what spans files,
// and compile (compileSet). Every entry point — organizer check, test and
// dry-run, the service's watched rules and its validate and dry-run
// requests — loads through here, so they all accept the same files and
// report the same problems at the same positions.

// Loaded is a rule set as the loader found it: the rule files and rule-test
// files, parsed, and the ruleset compiled from the rule files.
type Loaded struct {
	// Set holds every rule file and rule-test file, in evaluation order
	// (paths in the order given, a directory's files in lexical order). A
	// file with problems is in it as far as it could be parsed.
	Set *rules.Set
	// Ruleset is the compiled rule set, nil when there is any problem.
	Ruleset *Ruleset
	// Warnings are findings that do not stop the rules from loading, such
	// as a rule reading a payload field its event types do not have
	// (PayloadFields), sorted.
	Warnings rules.ErrorList
}

// Tests returns how many rule tests the rule-test files hold.
func (l *Loaded) Tests() int {
	n := 0
	for _, tf := range l.Set.Tests {
		n += len(tf.Cases)
	}
	return n
}

// Load reads, parses, validates and compiles the rule files at paths. A path
// is a file or a directory; a directory gives its *.yaml and *.yml files
// (not those of its subdirectories, nor names starting with a dot) in
// lexical order. Files named *_test.yaml or *_test.yml are rule tests: they
// are parsed and checked, and kept in the set, but not compiled.
//
// It returns what it loaded and every problem, sorted, each positioned as
// file:line:col. The expressions of files with other problems are still
// compiled, so that their errors are reported with the rest; the ruleset is
// nil when there is any problem.
func Load(paths []string, opts ...Option) (l *Loaded, errs rules.ErrorList) {
	where := strings.Join(paths, ",")
	defer survive(&l, &errs, where)
	files, errs := read(paths)
	set, more := parse(files)
	errs = append(errs, more...)
	if len(set.Files) == 0 && len(errs) == 0 {
		errs.Add(rules.Pos{File: where, Line: 1, Col: 1}, "no rule files found (looked for *.yaml and *.yml)")
	}
	return build(set, errs, opts)
}

// LoadFiles is Load for rule files given as text, name → content, as the
// service's validate and dry-run requests send them: nothing is read from
// disk. Files are taken in lexical order of name, as a directory's are, and
// problems are positioned with the names given. No rule file at all, or
// only rule-test files, is a problem.
func LoadFiles(files map[string][]byte, opts ...Option) (l *Loaded, errs rules.ErrorList) {
	defer survive(&l, &errs, "(inline)")
	in := make([]source, 0, len(files))
	for name, text := range files {
		in = append(in, source{name, text})
	}
	slices.SortFunc(in, func(a, b source) int { return strings.Compare(a.name, b.name) })
	set, errs := parse(in)
	switch {
	case len(in) == 0:
		errs.Add(rules.Pos{File: "(inline)", Line: 1, Col: 1}, "no rule files given")
	case len(set.Files) == 0 && len(errs) == 0:
		errs.Add(rules.Pos{File: in[0].name, Line: 1, Col: 1}, "no rule files found (only rule-test files given)")
	}
	return build(set, errs, opts)
}

// source is one rule file or rule-test file, read or given.
type source struct {
	name string
	text []byte
}

// read reads the files at paths, in order. A path that cannot be read is a
// problem at that path; the others are still read.
func read(paths []string) ([]source, rules.ErrorList) {
	var (
		out  []source
		errs rules.ErrorList
	)
	for _, path := range paths {
		names, err := expand(path)
		if err != nil {
			errs.Add(rules.Pos{File: path, Line: 1, Col: 1}, "%v", err)
			continue
		}
		for _, name := range names {
			text, err := os.ReadFile(name)
			if err != nil {
				errs.Add(rules.Pos{File: name, Line: 1, Col: 1}, "cannot read: %v", err)
				continue
			}
			out = append(out, source{name, text})
		}
	}
	return out, errs
}

// expand returns the rule files a path names: itself if it is a file, its
// rule files (rules.IsRuleFile) in lexical order if it is a directory.
func expand(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read rules: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("cannot read rules directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && rules.IsRuleFile(e.Name()) {
			out = append(out, filepath.Join(path, e.Name()))
		}
	}
	return out, nil
}

// parse parses each file into a set, in order, collecting the problems of
// each file.
func parse(files []source) (*rules.Set, rules.ErrorList) {
	set := &rules.Set{}
	var errs rules.ErrorList
	for _, f := range files {
		errs = append(errs, set.Add(f.name, f.text)...)
	}
	return set, errs
}

// build validates the parsed set and compiles it, adding the problems of
// both to errs. The ruleset is nil when there is any problem.
func build(set *rules.Set, errs rules.ErrorList, opts []Option) (*Loaded, rules.ErrorList) {
	errs = append(errs, rules.Validate(set)...)
	rs, more := compileSet(set, opts...)
	errs = append(errs, more...)
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	warns := payloadWarnings(set, &cfg)
	if len(errs) > 0 {
		errs.Sort()
		return &Loaded{Set: set, Warnings: warns}, errs
	}
	return &Loaded{Set: set, Ruleset: rs, Warnings: warns}, nil
}

// survive, deferred, turns a panic while loading (a bug) into a problem at
// where, so that it does not take down the service or the command.
func survive(l **Loaded, errs *rules.ErrorList, where string) {
	if r := recover(); r != nil {
		*l = &Loaded{Set: &rules.Set{}}
		*errs = rules.ErrorList{rules.Errorf(rules.Pos{File: where, Line: 1, Col: 1}, "internal error loading rules: %v", r)}
	}
}
