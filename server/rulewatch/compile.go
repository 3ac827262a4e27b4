package rulewatch

import (
	"slices"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/rules"
)

// Compile compiles rule files given as text, name → content, without
// touching the disk, for the API's validation and inline dry-runs. Files are
// taken in lexical order of name, as a directory's are; names ending in
// _test.yaml or _test.yml are rule-test files, parsed and checked but not
// compiled. Problems are positioned with the given names. It runs
// rules.Validate, then engine.Compile, and returns the ruleset or every
// problem, sorted, never both. No rule file at all is a problem.
func Compile(files map[string][]byte, opts ...engine.Option) (rs *engine.Ruleset, errs rules.ErrorList) {
	defer func() {
		if r := recover(); r != nil {
			rs = nil
			errs = rules.ErrorList{rules.Errorf(rules.Pos{File: "(inline)", Line: 1, Col: 1}, "internal error compiling rules: %v", r)}
		}
	}()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	set := &rules.Set{}
	for _, name := range names {
		errs = append(errs, set.Add(name, files[name])...)
	}
	switch {
	case len(names) == 0:
		errs.Add(rules.Pos{File: "(inline)", Line: 1, Col: 1}, "no rule files given")
	case len(set.Files) == 0 && len(errs) == 0:
		errs.Add(rules.Pos{File: names[0], Line: 1, Col: 1}, "no rule files found (only rule-test files given)")
	}
	errs = append(errs, rules.Validate(set)...)
	rs, more := engine.Compile(set, opts...)
	errs = append(errs, more...)
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return rs, nil
}

// LoadPaths reads, validates and compiles the rule files at paths, as
// `organizer check` and a Source do. When the files have problems it
// compiles them anyway, since expression errors are worth reporting with
// the rest. It returns the set read, and the ruleset or every problem.
func LoadPaths(paths []string, opts ...engine.Option) (*rules.Set, *engine.Ruleset, rules.ErrorList) {
	set, errs := rules.Load(paths...)
	if len(errs) > 0 {
		_, more := engine.Compile(set, opts...)
		errs = append(errs, more...)
		errs.Sort()
		return set, nil, errs
	}
	rs, errs := engine.Compile(set, opts...)
	return set, rs, errs
}
