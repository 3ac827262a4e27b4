package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Set is every rule file and rule-test file loaded from the given paths, in
// evaluation order: paths in the order given, files of a directory in
// lexical order, rules in file order.
type Set struct {
	Files []*File
	Tests []*TestFile
}

// Rules returns every rule of the set in evaluation order.
func (s *Set) Rules() []*Rule {
	var out []*Rule
	for _, f := range s.Files {
		out = append(out, f.Rules...)
	}
	return out
}

// IsTestFile reports whether a file name is a rule-test file.
func IsTestFile(name string) bool {
	return strings.HasSuffix(name, "_test.yaml") || strings.HasSuffix(name, "_test.yml")
}

// IsRuleFile reports whether Load reads a directory entry of this name: a
// *.yaml or *.yml file whose name does not start with a dot (editors' swap
// and backup files do).
func IsRuleFile(name string) bool {
	return (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) && !strings.HasPrefix(name, ".")
}

// Load reads and validates the rule files and rule-test files at paths. A
// path is a file or a directory; a directory loads its *.yaml and *.yml files
// in lexical order (not its subdirectories). Every problem is returned, sorted.
func Load(paths ...string) (*Set, ErrorList) {
	set := &Set{}
	var errs ErrorList
	for _, path := range paths {
		files, err := expand(path)
		if err != nil {
			errs.Add(Pos{File: path, Line: 1, Col: 1}, "%v", err)
			continue
		}
		for _, name := range files {
			text, err := os.ReadFile(name)
			if err != nil {
				errs.Add(Pos{File: name, Line: 1, Col: 1}, "cannot read: %v", err)
				continue
			}
			errs = append(errs, set.Add(name, text)...)
		}
	}
	if len(set.Files) == 0 && len(errs) == 0 {
		errs.Add(Pos{File: strings.Join(paths, ","), Line: 1, Col: 1}, "no rule files found (looked for *.yaml and *.yml)")
	}
	errs = append(errs, Validate(set)...)
	errs.Sort()
	return set, errs
}

// Add parses one file's text into the set, as a test file if its name says
// so. It returns the problems found in that file alone; call Validate once
// every file is in.
func (s *Set) Add(name string, text []byte) ErrorList {
	if IsTestFile(name) {
		tf, errs := ParseTestFile(name, text)
		s.Tests = append(s.Tests, tf)
		return errs
	}
	f, errs := ParseFile(name, text)
	s.Files = append(s.Files, f)
	return errs
}

func expand(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read rules: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read rules directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && IsRuleFile(e.Name()) {
			out = append(out, filepath.Join(path, e.Name()))
		}
	}
	return out, nil
}
