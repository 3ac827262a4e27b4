package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // schedules name IANA time zones: load them on machines without a zoneinfo database

	"github.com/expr-lang/expr/ast"
	"github.com/robfig/cron/v3"

	"github.com/organizer-dev/organizer/rules"
)

// Schedule is a compiled schedule: a query to a provider's source that runs
// on a timetable. Every item the query returns is evaluated as an event of
// type EventType(), from Provider, whose content is the item as the provider
// has it and whose data is the source's row for it.
type Schedule struct {
	Name, Cron, Timezone, Provider, Source string // Timezone "" means UTC
	MaxChanges                             int    // the change budget of one run; default 100
	Position                               string // file:line:col of the schedule

	spec   cron.Schedule
	loc    *time.Location
	params []scheduleParam
}

type scheduleParam struct {
	name  string
	value *template
}

// EventType is the type of the events the schedule produces:
// "schedule." + Name.
func (s *Schedule) EventType() string { return rules.ScheduleEventPrefix + s.Name }

// nextEvery is the next run of an @every schedule: the next whole multiple
// of the interval since 1970-01-01 00:00 UTC. robfig/cron counts the
// interval from whatever time it is given, so every process (every replica
// of the service, a restart) would have ticks of its own; counted from one
// origin, they all agree on which ticks there are.
func (s *Schedule) nextEvery(after time.Time) time.Time {
	every := s.spec.(cron.ConstantDelaySchedule).Delay
	ticks := after.UnixNano() / int64(every)
	return time.Unix(0, (ticks+1)*int64(every)).UTC()
}

// Next returns the first run strictly after `after`, reckoned on the wall
// clock of the schedule's time zone (so "0 2 * * *" in Europe/Paris is 02:00
// Paris time, summer and winter), and returned in UTC. When the clocks go
// forward, a run at a time that does not exist that day happens when the gap
// ends (02:00 becomes 03:00); when they go back, a time that happens twice
// runs once.
func (s *Schedule) Next(after time.Time) time.Time {
	spec, ok := s.spec.(*cron.SpecSchedule)
	if !ok {
		return s.nextEvery(after)
	}
	// robfig/cron steps through instants in the zone, which skips a run in
	// the spring gap and runs twice in the autumn overlap. Step through
	// wall-clock times instead (UTC has no changes) and place each in the
	// zone with time.Date, which moves a time in a gap past it and gives a
	// repeated time one instant: the run is the earliest placed after
	// `after`. A change moves the clock by less than zoneShift, so wall
	// times from zoneShift before `after`'s to zoneShift past the first
	// candidate's hold the earliest.
	local := after.In(s.loc)
	wall := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(),
		local.Nanosecond(), time.UTC).Add(-zoneShift)
	var best, bestWall time.Time
	for range maxWallSteps {
		if wall = spec.Next(wall); wall.IsZero() || !best.IsZero() && wall.After(bestWall.Add(zoneShift)) {
			break
		}
		at := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), 0, 0, s.loc)
		if at.After(after) && (best.IsZero() || at.Before(best)) {
			best, bestWall = at, wall
		}
	}
	return best.UTC()
}

// zoneShift is more than any time zone's clock change, and maxWallSteps
// more than the runs of a minutely schedule in twice that span.
const (
	zoneShift    = 3 * time.Hour
	maxWallSteps = 24 * 60
)

// paramTimeout bounds the rendering of a schedule's params, as the
// evaluation deadline bounds a rule's: a runaway loop in a template must not
// hang the caller. It limits the work, never what the params render to.
const paramTimeout = 2 * time.Second

// Params renders the schedule's query parameters at now: each param's
// template sees now and the helpers (daysAgo(90) is now minus 90 days; a
// time renders as RFC 3339 in UTC).
func (s *Schedule) Params(now time.Time) (map[string]string, error) {
	out := make(map[string]string, len(s.params))
	if len(s.params) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), paramTimeout)
	defer cancel()
	st := getState(ctx)
	defer putState(st)
	st.setEvent(Event{Type: s.EventType(), Provider: s.Provider}, now)
	for _, p := range s.params {
		v, err := p.value.text(st, "param "+p.name)
		if err != nil {
			return nil, fmt.Errorf("schedule %s (%s): %w", s.Name, s.Position, err)
		}
		out[p.name] = v
	}
	return out, nil
}

// Schedules returns the rule set's schedules, in file order.
func (rs *Ruleset) Schedules() []*Schedule { return slices.Clone(rs.schedules) }

// Schedule returns the schedule of that name.
func (rs *Ruleset) Schedule(name string) (*Schedule, bool) {
	for _, s := range rs.schedules {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// ProviderSources declares what a provider's schedules may query: each
// source's name and the params it takes. A schedule naming a provider
// without sources, a source the provider lacks or a param the source does
// not take is an error.
func ProviderSources(provider string, sources map[string][]string) Option {
	return func(c *config) {
		if c.sources == nil {
			c.sources = map[string]map[string][]string{}
		}
		c.sources[provider] = maps.Clone(sources)
	}
}

// cronParser reads standard five-field cron expressions and descriptors
// (@hourly, @daily, @weekly, @every 90m, …).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// cronProbe is where compiling looks for a cron expression's first run, to
// refuse one that never runs (February 30th): a fixed time, not the clock,
// and robfig/cron looks five years ahead of it, a leap year included.
var cronProbe = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// compileSchedules compiles every schedule of the set. A schedule with
// problems is left out; its problems are in c.errs.
func (c *ruleCompiler) compileSchedules(set *rules.Set) []*Schedule {
	var out []*Schedule
	for _, src := range set.Schedules() {
		if s := c.schedule(src); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (c *ruleCompiler) schedule(src *rules.Schedule) *Schedule {
	before := len(c.errs)
	s := &Schedule{Name: src.Name.Value, Cron: src.Cron.Value, Provider: src.Provider.Value, Source: src.Source.Value,
		MaxChanges: src.MaxChangesValue(), Position: src.Pos.String(), loc: time.UTC}
	if src.Cron.Value != "" {
		s.spec = c.cron(src.Cron)
	}
	if src.Timezone != nil {
		s.Timezone = src.Timezone.Value
		s.loc = c.timezone(*src.Timezone)
	}
	allowed, sourceOK := c.source(src)
	for _, p := range src.Params {
		if sourceOK && !slices.Contains(allowed, p.Key.Value) {
			c.errs.Add(p.Key.Pos, "source %s of %s takes no param %q%s", s.Source, s.Provider, p.Key.Value, paramHint(p.Key.Value, allowed))
		}
		if t := c.paramTemplate(p.Value); t != nil {
			s.params = append(s.params, scheduleParam{name: p.Key.Value, value: t})
		}
	}
	if len(c.errs) > before || s.spec == nil || src.Name.Value == "" || src.Provider.Value == "" || src.Source.Value == "" {
		return nil
	}
	if spec, ok := s.spec.(*cron.SpecSchedule); ok {
		spec.Location = time.UTC // Next steps through wall-clock times
	}
	return s
}

// cron parses a cron expression, reporting robfig/cron's message at it.
func (c *ruleCompiler) cron(expr rules.Scalar) (spec cron.Schedule) {
	text := strings.TrimSpace(expr.Value)
	if strings.HasPrefix(text, "TZ=") || strings.HasPrefix(text, "CRON_TZ=") {
		c.errs.Add(expr.Pos, "cron %q: write the time zone in timezone:, not in cron", expr.Value)
		return nil
	}
	defer func() {
		if r := recover(); r != nil { // robfig/cron panics on a few malformed inputs
			c.errs.Add(expr.Pos, "invalid cron %q: %v", expr.Value, r)
			spec = nil
		}
	}()
	spec, err := cronParser.Parse(text)
	if err != nil {
		c.errs.Add(expr.Pos, "invalid cron %q: %v (want 5 fields, minute hour day-of-month month day-of-week, or @hourly, @daily, @weekly, @every 90m)", expr.Value, err)
		return nil
	}
	if spec.Next(cronProbe).IsZero() {
		c.errs.Add(expr.Pos, "cron %q never runs: no date matches it", expr.Value)
		return nil
	}
	return spec
}

// timezone loads an IANA time zone. "Local" is refused: the machine's zone
// would make the same rules run at different times on different machines.
func (c *ruleCompiler) timezone(tz rules.Scalar) *time.Location {
	if tz.Value == "Local" || tz.Value == "" {
		c.errs.Add(tz.Pos, "timezone %q: name an IANA time zone, such as Europe/Paris or UTC", tz.Value)
		return time.UTC
	}
	loc, err := time.LoadLocation(tz.Value)
	if err != nil {
		c.errs.Add(tz.Pos, "unknown time zone %q (an IANA name, such as Europe/Paris, America/New_York or UTC)", tz.Value)
		return time.UTC
	}
	return loc
}

// source checks a schedule's provider and source against the declared
// providers and their sources, returning the params the source takes and
// whether the source is known.
func (c *ruleCompiler) source(src *rules.Schedule) ([]string, bool) {
	provider, source := src.Provider.Value, src.Source.Value
	if provider == "" {
		return nil, false
	}
	if c.cfg.providers != nil {
		if _, ok := c.cfg.providers[provider]; !ok {
			known := slices.Sorted(maps.Keys(c.cfg.providers))
			c.errs.Add(src.Provider.Pos, "unknown provider %q%s", provider, nameHint(provider, known, "known"))
			return nil, false
		}
	}
	sources, ok := c.cfg.sources[provider]
	if !ok || len(sources) == 0 {
		c.errs.Add(src.Provider.Pos, "provider %s has no sources", provider)
		return nil, false
	}
	if source == "" {
		return nil, false
	}
	params, ok := sources[source]
	if !ok {
		known := slices.Sorted(maps.Keys(sources))
		c.errs.Add(src.Source.Pos, "provider %s has no source %q%s", provider, source, nameHint(source, known, "sources"))
		return nil, false
	}
	return params, true
}

// nameHint suggests the closest of known, or lists them.
func nameHint(got string, known []string, what string) string {
	if best := rules.Suggest(got, known); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return fmt.Sprintf(" (%s: %s)", what, strings.Join(known, ", "))
}

func paramHint(got string, allowed []string) string {
	if len(allowed) == 0 {
		return "; it takes none"
	}
	return nameHint(got, slices.Sorted(slices.Values(allowed)), "params")
}

// paramTemplate compiles a schedule param's template. Its expressions see
// now, lists and the helpers: a schedule's query has no item yet, so the
// names about one (title, content, event, …) are refused.
func (c *ruleCompiler) paramTemplate(t *rules.Template) *template {
	if t.IsLiteral() {
		return &template{literal: t.Value}
	}
	out := &template{}
	for _, p := range t.Parts {
		if !p.IsExpr() {
			out.parts = append(out.parts, templatePart{literal: p.Literal})
			continue
		}
		comp, err := c.exprs.compile(t.Scalar, p.Offset, p.Expr, false)
		if err != nil {
			c.errs = append(c.errs, err)
			continue
		}
		var v itemNames
		node := comp.node()
		ast.Walk(&node, &v)
		if v.found != nil {
			c.errs.Add(t.PosAt(p.Offset+v.found.Location().From),
				"a schedule's params see only now, lists and the helpers, not %s: the query has no item yet", v.name)
			continue
		}
		out.parts = append(out.parts, templatePart{expr: comp})
	}
	return out
}

// itemNames finds the first name in an expression that is about an event's
// item, which a schedule's params cannot see.
type itemNames struct {
	found ast.Node
	name  string
}

// Visit implements ast.Visitor.
func (v *itemNames) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok || v.found != nil {
		return
	}
	switch id.Value {
	case "event", "content", "title", "metadata", "data", "match":
		v.found, v.name = id, id.Value
	}
}
