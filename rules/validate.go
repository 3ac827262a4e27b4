package rules

import (
	"path"
	"strings"
)

// Validate runs the checks that span files: unique rule, list and schedule
// names, and rules that can never run because an earlier rule always matches and
// stops. Checks within one file happen while it is parsed.
func Validate(s *Set) ErrorList {
	var errs ErrorList
	rules := map[string]*Rule{}
	lists := map[string]*List{}
	schedules := map[string]*Schedule{}
	for _, f := range s.Files {
		for _, sc := range f.Schedules {
			if sc.Name.Value == "" {
				continue
			}
			if prev, dup := schedules[sc.Name.Value]; dup {
				errs.Add(sc.Name.Pos, "schedule name %q is already used at %s", sc.Name.Value, prev.Name.Pos)
				continue
			}
			schedules[sc.Name.Value] = sc
		}
		for _, l := range f.Lists {
			if prev, dup := lists[l.Name.Value]; dup {
				errs.Add(l.Name.Pos, "list %q is already defined at %s", l.Name.Value, prev.Name.Pos)
				continue
			}
			lists[l.Name.Value] = l
		}
		for _, r := range f.Rules {
			if r.Name.Value == "" {
				continue
			}
			if prev, dup := rules[r.Name.Value]; dup {
				errs.Add(r.Name.Pos, "rule name %q is already used at %s", r.Name.Value, prev.Name.Pos)
				continue
			}
			rules[r.Name.Value] = r
		}
	}
	errs = append(errs, unreachable(s.Rules())...)
	errs = append(errs, validateGuards(s)...)
	seen := map[string]Pos{}
	for _, tf := range s.Tests {
		for _, c := range tf.Cases {
			if prev, dup := seen[c.Name.Value]; dup && c.Name.Value != "" {
				errs.Add(c.Name.Pos, "test name %q is already used at %s", c.Name.Value, prev)
			}
			seen[c.Name.Value] = c.Name.Pos
		}
	}
	return errs
}

// AlwaysMatches reports whether a rule's condition is absent or literally true.
func (r *Rule) AlwaysMatches() bool {
	return r.When == nil || strings.TrimSpace(r.When.Value) == "true"
}

// namePos is where the rule's name is written, or where the rule starts
// when it has none (a nameless rule is reported on its own).
func (r *Rule) namePos() Pos {
	if r.Name.Pos.Line == 0 {
		return r.Pos
	}
	return r.Name.Pos
}

// unreachable reports rules shadowed by an earlier rule that matches every
// event they could see and stops.
func unreachable(rules []*Rule) ErrorList {
	var errs ErrorList
	var stoppers []*Rule
	for _, r := range rules {
		for _, s := range stoppers {
			if covers(s, r) {
				errs.Add(r.namePos(), "rule %q can never run: rule %q (%s) matches every event it could see and stops",
					r.Name.Value, s.Name.Value, s.namePos())
				break
			}
		}
		if r.Stop && r.AlwaysMatches() && r.Enabled && r.Mode != Shadow {
			stoppers = append(stoppers, r)
		}
	}
	return errs
}

// covers reports whether every event later could match, earlier matches too.
func covers(earlier, later *Rule) bool {
	if earlier.Provider != nil && (later.Provider == nil || later.Provider.Value != earlier.Provider.Value) {
		return false
	}
	if len(earlier.On) == 0 {
		return true
	}
	if len(later.On) == 0 {
		return false
	}
	for _, want := range later.On {
		if !coveredBy(want.Value, earlier.On) {
			return false
		}
	}
	return true
}

func coveredBy(pattern string, by []Scalar) bool {
	for _, b := range by {
		if b.Value == pattern {
			return true
		}
		if !strings.Contains(pattern, "*") {
			if ok, _ := path.Match(b.Value, pattern); ok {
				return true
			}
		}
	}
	return false
}
