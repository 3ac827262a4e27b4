package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"

	"github.com/organizer-dev/organizer/engine/internal/fastpath"
	"github.com/organizer-dev/organizer/rules"
)

// Option configures how Load and LoadFiles compile rules.
type Option func(*config)

type config struct {
	eventTypes []string
	providers  map[string][]string            // provider -> actions it cannot perform
	sources    map[string]map[string][]string // provider -> source -> params it takes
	payloads   map[string]map[string][]string // provider -> event type -> its payload's data fields
}

// EventTypes declares the event types providers send. With it, an `on:`
// naming another type, or a pattern matching none, is an error.
func EventTypes(types ...string) Option {
	return func(c *config) { c.eventTypes = append(c.eventTypes, types...) }
}

// Provider declares a provider and the actions it cannot perform. With at
// least one declared, a rule naming another provider is an error, and so is
// a rule for this provider that uses an unsupported action.
func Provider(name string, unsupported ...string) Option {
	return func(c *config) {
		if c.providers == nil {
			c.providers = map[string][]string{}
		}
		c.providers[name] = unsupported
	}
}

// Ruleset is a compiled, immutable rule set, safe for concurrent use.
type Ruleset struct {
	rules     []*rule
	hot       []hotRule // per rule, what a match touches, packed together
	folders   []string  // literal folders of simple rules, by id ("" first)
	providers []string  // provider filters, by id ("" first)
	tagNames  []string  // interned tags, by id
	names     []string  // rule names, by id: what a decision's tag credits point into
	tags      tagTable  // every tag a rule names literally
	digest    string
	schedules []*Schedule
	guards    []*guard                    // checked against the merged plan, in order
	keys      []*fastpath.Key             // per rule, its index key (nil: none)
	buckets   map[string]*fastpath.Bucket // by event type named in some rule's on:
	others    sync.Map                    // event type -> *fastpath.Bucket, built on first use
}

// rule is one compiled rule.
type rule struct {
	name     string
	position string
	on       []string
	notOn    string // " is not in on: [...]", for traces
	provider string
	when     *condition
	stop     bool
	shadow   bool // mode: shadow; reported, never part of the plan (next to provider: read together)
	disabled bool // enabled: false; never evaluated
	actions  actions
	capture  *capture
	static   *contribution // the rendered actions, when every one is literal
	paths    []valuePath
	clauses  []clause
	key      *fastpath.Key
	explain  *explainer // why the condition is false, for traces
}

type condition struct {
	*compiled
	fast fastpath.BoolFn
}

// capture is the rule's `matches` whose groups templates read as match.
type capture struct {
	re     *regexp.Regexp
	source fastpath.StrFn
}

// valuePath is a value a condition reads, shown in traces.
type valuePath struct {
	text    string
	get     fastpath.AnyFn
	missing bool // nil means a missing metadata or payload field
	shown   bool // the longest path of its chain, shown in traces
}

// Digest identifies the rule set: sha256 of its files' names and contents.
func (rs *Ruleset) Digest() string { return rs.digest }

// Len returns the number of rules.
func (rs *Ruleset) Len() int { return len(rs.rules) }

// RuleNames returns the rule names in evaluation order.
func (rs *Ruleset) RuleNames() []string {
	out := make([]string, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.name
	}
	return out
}

// compileSet compiles a loaded rule set. It returns every problem, sorted; the
// ruleset is nil when there is any.
func compileSet(set *rules.Set, opts ...Option) (*Ruleset, rules.ErrorList) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	lists := map[string][]string{}
	for _, f := range set.Files {
		for _, l := range f.Lists {
			values := make([]string, len(l.Values))
			for i, v := range l.Values {
				values[i] = v.Value
			}
			lists[l.Name.Value] = values
		}
	}
	c := &ruleCompiler{exprs: newExprCompiler(lists), cfg: &cfg}
	rs := &Ruleset{digest: digest(set), buckets: map[string]*fastpath.Bucket{}}
	c.scheduleProviders = map[string]string{}
	for _, s := range set.Schedules() {
		if s.Name.Value != "" && !slices.Contains(c.scheduleNames, s.Name.Value) {
			c.scheduleNames = append(c.scheduleNames, s.Name.Value)
			c.scheduleProviders[s.Name.Value] = s.Provider.Value
		}
	}
	rs.schedules = c.compileSchedules(set)
	for _, r := range set.Rules() {
		rs.rules = append(rs.rules, c.rule(r))
	}
	rs.guards = c.compileGuards(set)
	if len(c.errs) > 0 {
		c.errs.Sort()
		return nil, c.errs
	}
	rs.keys = make([]*fastpath.Key, len(rs.rules))
	for i, r := range rs.rules {
		rs.keys[i] = r.key
	}
	rs.internTags()
	rs.packHot()
	for _, typ := range rs.namedTypes() {
		rs.buckets[typ] = rs.newBucket(typ)
	}
	return rs, nil
}

func digest(set *rules.Set) string {
	h := sha256.New()
	for _, f := range set.Files {
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(f.Path), len(f.Source))
		h.Write(f.Source)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func (rs *Ruleset) namedTypes() []string {
	var out []string
	for _, r := range rs.rules {
		for _, p := range r.on {
			if !strings.Contains(p, "*") && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

func (rs *Ruleset) newBucket(typ string) *fastpath.Bucket {
	var ids []int32
	for i, r := range rs.rules {
		if !r.disabled && r.appliesTo(typ) {
			ids = append(ids, int32(i))
		}
	}
	return fastpath.NewBucket(rs.keys, ids)
}

// bucket returns the rules for an event type.
func (rs *Ruleset) bucket(typ string) *fastpath.Bucket {
	if b, ok := rs.buckets[typ]; ok {
		return b
	}
	if b, ok := rs.others.Load(typ); ok {
		return b.(*fastpath.Bucket)
	}
	b, _ := rs.others.LoadOrStore(typ, rs.newBucket(typ))
	return b.(*fastpath.Bucket)
}

func (r *rule) appliesTo(typ string) bool {
	if len(r.on) == 0 {
		return true
	}
	for _, p := range r.on {
		if p == typ {
			return true
		}
		if ok, _ := path.Match(p, typ); ok && strings.Contains(p, "*") {
			return true
		}
	}
	return false
}

// ruleCompiler compiles rules, collecting every problem.
type ruleCompiler struct {
	exprs         *exprCompiler
	cfg           *config
	errs          rules.ErrorList
	scheduleNames []string // every schedule of the set, for on: [schedule.<name>]

	scheduleProviders map[string]string // schedule name -> the provider it queries
	usedMatch         bool              // a template of the current rule reads match
	usedTemplate      bool              // an action of the current rule is a template, not a literal
}

func (c *ruleCompiler) rule(src *rules.Rule) *rule {
	pos := src.Pos // where the rule's mapping starts, or better, its name
	if src.NameKey.Line > 0 {
		pos = src.NameKey
	}
	r := &rule{name: src.Name.Value, position: pos.String(), stop: src.Stop,
		disabled: !src.Enabled, shadow: src.Mode == rules.Shadow}
	for _, on := range src.On {
		r.on = append(r.on, on.Value)
		c.checkEventType(on)
	}
	r.notOn = " is not in on: [" + strings.Join(r.on, ", ") + "]"
	if src.Provider != nil {
		r.provider = src.Provider.Value
		c.checkProvider(src)
		c.checkScheduleProvider(src)
	}
	if src.When != nil {
		if cond, err := c.exprs.compile(*src.When, 0, src.When.Value, true); err != nil {
			c.errs = append(c.errs, err)
		} else if cond.usesMatch {
			c.errs.Add(src.When.Pos, "match is for templates; in when, test the pattern with matches")
		} else {
			node := cond.node()
			r.when = &condition{compiled: cond, fast: fastpath.Bool(node)}
			r.key = fastpath.KeyOf(node)
			r.paths = valuePaths(node)
			r.clauses = c.clausesOf(*src.When, node)
			r.explain = newExplainer(*src.When, c.exprs)
			if re, source := fastpath.Capture(node); re != nil {
				r.capture = &capture{re: re, source: source}
			}
			if r.when.fast != nil {
				cond.release()
			}
		}
	}
	r.actions = c.actions(src, r)
	if !c.usedMatch {
		r.capture = nil // no template reads match: do not build it
	}
	if !c.usedTemplate {
		// Literal values were validated when the file was parsed; one that
		// still fails to render is left to fail, visibly, at evaluation.
		r.static = &contribution{}
		if r.actions.render(nil, r.static) != nil {
			r.static = nil
		}
	}
	c.usedMatch, c.usedTemplate = false, false
	return r
}

func (c *ruleCompiler) checkEventType(on rules.Scalar) {
	if name, ok := strings.CutPrefix(on.Value, rules.ScheduleEventPrefix); ok {
		c.checkScheduleType(on, name)
		return
	}
	known := c.cfg.eventTypes
	if len(known) == 0 || slices.Contains(known, on.Value) {
		return
	}
	if strings.Contains(on.Value, "*") {
		for _, t := range known {
			if ok, _ := path.Match(on.Value, t); ok {
				return
			}
		}
		for _, name := range c.scheduleNames {
			if ok, _ := path.Match(on.Value, rules.ScheduleEventPrefix+name); ok {
				return
			}
		}
		c.errs.Add(on.Pos, "event type pattern %q matches no event type a provider sends", on.Value)
		return
	}
	if best := rules.Suggest(on.Value, known); best != "" {
		c.errs.Add(on.Pos, "unknown event type %q; did you mean %q?", on.Value, best)
		return
	}
	c.errs.Add(on.Pos, "unknown event type %q (known: %s)", on.Value, strings.Join(known, ", "))
}

// checkScheduleType reports an `on:` of schedule.<name> (or a pattern such as
// schedule.*) that names no schedule of the rule set.
func (c *ruleCompiler) checkScheduleType(on rules.Scalar, name string) {
	if strings.Contains(name, "*") {
		for _, s := range c.scheduleNames {
			if ok, _ := path.Match(name, s); ok {
				return
			}
		}
		c.errs.Add(on.Pos, "event type pattern %q matches no schedule%s", on.Value, scheduleHint(c.scheduleNames))
		return
	}
	if slices.Contains(c.scheduleNames, name) {
		return
	}
	if best := rules.Suggest(name, c.scheduleNames); best != "" {
		c.errs.Add(on.Pos, "no schedule named %q; did you mean %q?", name, rules.ScheduleEventPrefix+best)
		return
	}
	c.errs.Add(on.Pos, "no schedule named %q%s", name, scheduleHint(c.scheduleNames))
}

// checkScheduleProvider reports an `on: [schedule.x]` that the rule's
// provider filter makes dead: schedule x's events come from the provider it
// queries, and a rule for another provider never sees them.
func (c *ruleCompiler) checkScheduleProvider(src *rules.Rule) {
	for _, on := range src.On {
		name, ok := strings.CutPrefix(on.Value, rules.ScheduleEventPrefix)
		provider, known := c.scheduleProviders[name]
		if ok && known && provider != "" && provider != src.Provider.Value {
			c.errs.Add(on.Pos, "schedule %s queries %s, so rule %q (provider: %s) never sees its events",
				name, provider, src.Name.Value, src.Provider.Value)
		}
	}
}

func scheduleHint(names []string) string {
	if len(names) == 0 {
		return "; this rule set defines no schedules (schedules: in a rule file)"
	}
	return " (schedules: " + strings.Join(names, ", ") + ")"
}

// checkProvider reports a provider filter naming no declared provider, and
// each action the rule sets that its provider cannot perform, at the
// action's first value.
func (c *ruleCompiler) checkProvider(src *rules.Rule) {
	if c.cfg.providers == nil {
		return
	}
	name := src.Provider.Value
	unsupported, ok := c.cfg.providers[name]
	if !ok {
		known := slices.Sorted(maps.Keys(c.cfg.providers))
		c.errs.Add(src.Provider.Pos, "unknown provider %q (known: %s)", name, strings.Join(known, ", "))
		return
	}
	for _, action := range unsupported {
		if pos, set := actionPos(&src.Actions, action); set {
			c.errs.Add(pos, "rule %q: %s cannot %s; remove it or the provider filter", src.Name.Value, name, actionVerb(action))
		}
	}
}

// actionPos returns where a rule's actions set action (named as in the
// rule file), and whether they set it at all.
func actionPos(a *rules.Actions, action string) (rules.Pos, bool) {
	switch {
	case action == "folder" && a.Folder != nil:
		return a.Folder.Pos, true
	case action == "visibility" && a.Visibility != nil:
		return a.Visibility.Pos, true
	case action == "tags" && len(a.Tags) > 0:
		return a.Tags[0].Pos, true
	case action == "remove_tags" && len(a.RemoveTags) > 0:
		return a.RemoveTags[0].Pos, true
	case action == "permissions" && len(a.Permissions) > 0:
		return a.Permissions[0].Pos, true
	case action == "metadata" && len(a.Metadata) > 0:
		return a.Metadata[0].Key.Pos, true
	case action == "derivatives" && len(a.Derivatives) > 0:
		return a.Derivatives[0].Kind.Pos, true
	case action == "notify" && len(a.Notify) > 0:
		return a.Notify[0].Pos, true
	}
	return rules.Pos{}, false
}

func actionVerb(action string) string {
	switch action {
	case "tags", "remove_tags":
		return "tag content"
	case "visibility":
		return "set visibility"
	case "permissions":
		return "grant permissions"
	}
	return "perform " + action
}

// valuePaths lists the fields a condition reads, shortest first: traces
// show the longest of each chain, and the shortest missing one explains why
// a rule did not match.
func valuePaths(n ast.Node) []valuePath {
	var v pathCollector
	ast.Walk(&n, &v)
	slices.SortStableFunc(v.texts, func(a, b string) int { return len(a) - len(b) })
	var out []valuePath
	for _, text := range v.texts {
		shown := true
		for _, other := range v.texts {
			if other != text && (strings.HasPrefix(other, text+".") || strings.HasPrefix(other, text+"[")) {
				shown = false
			}
		}
		out = append(out, valuePath{text: text, get: v.nodes[text], shown: shown,
			missing: strings.HasPrefix(text, "metadata") || strings.HasPrefix(text, "content.metadata") || strings.HasPrefix(text, "data")})
	}
	return out
}

type pathCollector struct {
	texts []string
	nodes map[string]fastpath.AnyFn
}

// Visit implements ast.Visitor.
func (p *pathCollector) Visit(node *ast.Node) {
	n := *node
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if n.Value != "title" {
			return
		}
	case *ast.MemberNode:
	default:
		return
	}
	text := n.String()
	if slices.Contains([]string{"metadata", "data", "content.metadata"}, text) {
		return
	}
	get := fastpath.Any(n)
	if get == nil {
		return
	}
	if p.nodes == nil {
		p.nodes = map[string]fastpath.AnyFn{}
	}
	if _, seen := p.nodes[text]; !seen {
		p.texts = append(p.texts, text)
		p.nodes[text] = get
	}
}

// internTags numbers the literal tags of static contributions.
func (rs *Ruleset) internTags() {
	rs.tags = tagTable{}
	for _, r := range rs.rules {
		if r.static == nil {
			continue
		}
		for _, t := range append(slices.Clone(r.static.tags), r.static.removeTags...) {
			if _, ok := rs.tags[t]; !ok {
				rs.tags[t] = int32(len(rs.tags))
			}
		}
		r.static.tagIDs = rs.tags.ids(r.static.tags, nil)
		r.static.removeTagIDs = rs.tags.ids(r.static.removeTags, nil)
	}
}

// hotRule is what evaluation reads for each matching rule, 32 bytes per
// rule in a contiguous array: with thousands of rules, following pointers to
// each rule, its actions and their lists costs a cache miss each. A rule
// whose actions are a literal folder and at most two literal tags is merged
// from here alone; folders and tags are ids into small tables that stay in
// the cache. Whether a rule is in shadow mode is here too, so that a match
// does not have to read the rule itself to know whether it counts.
type hotRule struct {
	name     string
	tags     [2]int32
	folder   uint16 // index in Ruleset.folders; 0 is no folder
	nTags    uint8
	provider uint8 // index in Ruleset.providers; 0 is any provider
	simple   bool
	stop     bool
	shadow   bool
}

// packHot builds the hot array and its tables.
func (rs *Ruleset) packHot() {
	rs.folders, rs.providers = []string{""}, []string{""}
	rs.tagNames = make([]string, len(rs.tags))
	for t, id := range rs.tags {
		rs.tagNames[id] = t
	}
	index := func(table *[]string, v string) int {
		if i := slices.Index(*table, v); i >= 0 {
			return i
		}
		*table = append(*table, v)
		return len(*table) - 1
	}
	rs.hot = make([]hotRule, len(rs.rules))
	rs.names = make([]string, len(rs.rules))
	for i, r := range rs.rules {
		rs.names[i] = r.name
	}
	for i, r := range rs.rules {
		h := hotRule{name: r.name, provider: uint8(index(&rs.providers, r.provider)), stop: r.stop && !r.shadow, shadow: r.shadow}
		if len(rs.providers) > 255 {
			h.provider = 0 // too many to pack: checked on the rule itself
		}
		if c := r.static; c != nil && !r.shadow && c.visibility == "" && len(c.tags) <= len(h.tags) && len(c.removeTags) == 0 &&
			len(c.permissions) == 0 && len(c.metadata) == 0 && len(c.derivatives) == 0 && len(c.notify) == 0 {
			if folder := index(&rs.folders, c.folder); folder <= math.MaxUint16 { // else too many to pack: merged from the rule
				h.simple, h.nTags, h.folder = true, uint8(len(c.tags)), uint16(folder)
				copy(h.tags[:], c.tagIDs)
			}
		}
		rs.hot[i] = h
	}
}
