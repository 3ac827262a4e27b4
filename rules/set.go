package rules

import "strings"

// Set is every rule file and rule-test file of a rule set, in evaluation
// order: files in the order they were added (engine.Load adds a
// directory's in lexical order), rules in file order.
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

// IsRuleFile reports whether a directory entry of this name is a rule file
// or rule-test file to load: a *.yaml or *.yml file whose name does not
// start with a dot (editors' swap and backup files do).
func IsRuleFile(name string) bool {
	return (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) && !strings.HasPrefix(name, ".")
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
