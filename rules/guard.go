package rules

import "gopkg.in/yaml.v3"

// Guard is one entry of a rule file's guards: a condition checked after the
// rules' actions are merged into a plan. When it holds, the decision is put
// on hold with the guard's message instead of being applied.
type Guard struct {
	Name    Scalar
	When    *Scalar // nil only in a file with problems
	Message string  // "" when the file gives none
	Pos     Pos     // where the guard's mapping starts
}

// Guards returns every guard of the set, in file order.
func (s *Set) Guards() []*Guard {
	var out []*Guard
	for _, f := range s.Files {
		out = append(out, f.Guards...)
	}
	return out
}

func (w *walker) guard(n *yaml.Node) *Guard {
	g := &Guard{Pos: w.pos(n)}
	seen := w.fields(n, "guard", []field{
		{"name", func(_, v *yaml.Node) {
			if s, ok := w.scalar(v, "name"); ok {
				g.Name = s
				if !namePattern.MatchString(s.Value) {
					w.errorf(v, "guard name %q must use only a-z, 0-9, _ and -", s.Value)
				}
			}
		}},
		{"when", func(_, v *yaml.Node) {
			if s, ok := w.scalar(v, "when"); ok {
				g.When = &s
			}
		}},
		{"message", func(_, v *yaml.Node) {
			if s, ok := w.scalar(v, "message"); ok {
				g.Message = s.Value
			}
		}},
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if seen["name"] == nil {
		w.errorf(n, "guard needs a name")
	}
	if seen["when"] == nil {
		w.errorf(n, "guard %q needs a when: the condition that puts a decision on hold", g.Name.Value)
	}
	return g
}

// validateGuards reports guard names used twice across the set.
func validateGuards(s *Set) ErrorList {
	var errs ErrorList
	seen := map[string]*Guard{}
	for _, g := range s.Guards() {
		if g.Name.Value == "" {
			continue
		}
		if prev, dup := seen[g.Name.Value]; dup {
			errs.Add(g.Name.Pos, "guard name %q is already used at %s", g.Name.Value, prev.Name.Pos)
			continue
		}
		seen[g.Name.Value] = g
	}
	return errs
}
