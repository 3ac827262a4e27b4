package rules

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

// ScheduleEventPrefix starts the type of every event a schedule produces:
// the items of schedule "stale-content" are events of type
// schedule.stale-content.
const ScheduleEventPrefix = "schedule."

// schedule reads one entry of `schedules:`. The cron expression, the time
// zone, the provider, the source and the params are checked against what
// they mean when the engine compiles the schedule; here they are checked
// for shape only.
func (w *walker) schedule(n *yaml.Node) *Schedule {
	s := &Schedule{Pos: w.pos(n)}
	required := func(what string, dst *Scalar) func(_, v *yaml.Node) {
		return func(_, v *yaml.Node) {
			if sc, ok := w.scalar(v, what); ok {
				*dst = sc
			}
		}
	}
	seen := w.fields(n, "schedule", []field{
		{"name", func(_, v *yaml.Node) {
			if sc, ok := w.scalar(v, "name"); ok {
				s.Name = sc
				if !namePattern.MatchString(sc.Value) {
					w.errorf(v, "schedule name %q must use only a-z, 0-9, _ and -", sc.Value)
				}
			}
		}},
		{"cron", required("cron", &s.Cron)},
		{"timezone", func(_, v *yaml.Node) {
			if sc, ok := w.scalar(v, "timezone"); ok {
				s.Timezone = &sc
			}
		}},
		{"provider", required("provider", &s.Provider)},
		{"source", required("source", &s.Source)},
		{"max_changes", func(_, v *yaml.Node) {
			sc, ok := w.scalar(v, "max_changes")
			if !ok {
				return
			}
			if v.Tag != "!!int" {
				w.errorf(v, "max_changes must be a whole number, not %s", describe(v))
				return
			}
			n, err := strconv.ParseInt(v.Value, 0, 0)
			switch {
			case err != nil:
				w.errorf(v, "max_changes %s is too large", v.Value)
				return
			case n < 1:
				w.errorf(v, "max_changes must be at least 1, not %s (it is how many items one run may change)", v.Value)
				return
			}
			s.MaxChanges = &sc
		}},
		{"params", func(_, v *yaml.Node) { s.Params = w.scheduleParams(v) }},
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	label := "schedule"
	if s.Name.Value != "" {
		label = "schedule " + strconv.Quote(s.Name.Value)
	}
	for _, req := range []struct{ key, what string }{
		{"name", "a name"}, {"cron", "a cron expression (cron:)"}, {"provider", "a provider"}, {"source", "a source"},
	} {
		if seen[req.key] == nil {
			w.errorf(n, "%s needs %s", label, req.what)
		}
	}
	return s
}

// scheduleParams reads a schedule's params: a mapping of query parameter
// names to templates.
func (w *walker) scheduleParams(n *yaml.Node) []*Param {
	if !w.isMapping(n, "params") {
		return nil
	}
	var out []*Param
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		k, ok := w.scalar(key, "param name")
		if !ok {
			continue
		}
		if line, dup := seen[k.Value]; dup {
			w.errorf(key, "params has %q twice (first at line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = key.Line
		if t := w.template(val, "params."+k.Value); t != nil {
			out = append(out, &Param{Key: k, Value: t})
		}
	}
	return out
}

// MaxChangesValue returns the schedule's change budget: its max_changes, or
// DefaultMaxChanges when it sets none.
func (s *Schedule) MaxChangesValue() int {
	if s.MaxChanges == nil {
		return DefaultMaxChanges
	}
	n, err := strconv.ParseInt(s.MaxChanges.Value, 0, 0)
	if err != nil || n < 1 {
		return DefaultMaxChanges // not reached: parsing refused it
	}
	return int(n)
}

// Schedules returns every schedule of the set, files in order, schedules in
// file order.
func (s *Set) Schedules() []*Schedule {
	var out []*Schedule
	for _, f := range s.Files {
		out = append(out, f.Schedules...)
	}
	return out
}
