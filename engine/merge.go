package engine

import (
	"fmt"
	"slices"
)

// merger folds contributions into a plan: the first rule to set a
// single-valued action wins; lists accumulate without duplicates.
type merger struct {
	plan    *Plan
	src     *Sources    // which rule set each value of plan, tags aside
	credits *tagCredits // which rule put each tag in the plan's lists
	trace   bool
	added   []uint64 // bitset, by tag id, of the plan's tags
	removed []uint64 // bitset, by tag id, of the plan's remove_tags
	// lost is where add records overrides. Like plan and src, it points
	// outside the merger: the merger only ever writes through its pointers,
	// so the decision it fills can stay on the caller's stack.
	lost *[]string
}

// tagTable interns the tags that rules name literally, so that merging a
// rule's tags is a bit test rather than a string search.
type tagTable map[string]int32

// ids returns the id of each tag, or -1 for a tag the table does not hold.
func (t tagTable) ids(tags []string, out []int32) []int32 {
	out = out[:0]
	for _, tag := range tags {
		id, ok := t[tag]
		if !ok {
			id = -1
		}
		out = append(out, id)
	}
	return out
}

func has(set []uint64, id int32) bool { return set[id>>6]&(1<<(id&63)) != 0 }
func set(bits []uint64, id int32)     { bits[id>>6] |= 1 << (id & 63) }

// add merges one rule's contribution and, when tracing, returns what it
// asked for that earlier rules had already decided otherwise.
func (m *merger) add(id int32, c *contribution) []string {
	*m.lost = nil
	p := m.plan
	rule := m.credits.names[id]
	m.first("folder", rule, c.folder, &p.Folder, &m.src.Folder)
	m.first("visibility", rule, c.visibility, &p.Visibility, &m.src.Visibility)
	m.addTags(id, c.tags, c.tagIDs)
	m.removeTags(id, c.removeTags, c.removeTagIDs)
	for _, perm := range c.permissions {
		if !slices.Contains(p.Permissions, perm) {
			p.Permissions = append(p.Permissions, perm)
			m.src.Permissions = append(m.src.Permissions, Source{PermissionKey(perm), rule})
		}
	}
	m.addMetadata(rule, c.metadata)
	for _, d := range c.derivatives {
		if !slices.ContainsFunc(p.Derivatives, d.equal) {
			p.Derivatives = append(p.Derivatives, d)
			m.src.Derivatives = append(m.src.Derivatives, rule)
		}
	}
	for _, n := range c.notify {
		if !slices.Contains(p.Notify, n) {
			p.Notify = append(p.Notify, n)
			m.src.Notify = append(m.src.Notify, rule)
		}
	}
	return *m.lost
}

// addSimple merges a rule whose actions are a literal folder and tags, on
// the path that does not trace.
func (m *merger) addSimple(rule int32, h *hotRule, rs *Ruleset) {
	if h.folder != 0 && m.src.Folder == "" {
		m.plan.Folder, m.src.Folder = rs.folders[h.folder], h.name
	}
	for _, id := range h.tags[:h.nTags] {
		if !has(m.added, id) && !has(m.removed, id) {
			appendTag(&m.plan.Tags, &m.credits.tags, rs.tagNames[id], rule)
			set(m.added, id)
		}
	}
}

// inPlan reports whether a tag is in a plan list, by bit when it has an id.
func inPlan(bits []uint64, id int32, list []string, tag string) bool {
	if id >= 0 {
		return has(bits, id)
	}
	return slices.Contains(list, tag)
}

// first sets a single-valued action unless an earlier rule set it, which
// is then recorded as an override when the values differ.
func (m *merger) first(what, rule, value string, field, by *string) {
	switch {
	case value == "":
	case *by == "":
		*field, *by = value, rule
	case m.trace && *field != value:
		m.override("%s %q: rule %s set %q first", what, value, *by, *field)
	}
}

// tagRoom is the first room for a plan's tags and their credits:
// allocated together, crediting tags to rules costs no allocation of its
// own in the common case of a tag or two.
type tagRoom struct {
	tags  [2]string
	rules [2]int32
}

// appendTag adds a tag to a plan list and credits it to a rule (by id).
func appendTag(list *[]string, credits *[]int32, tag string, rule int32) {
	if cap(*list) == 0 && cap(*credits) == 0 {
		r := new(tagRoom)
		*list, *credits = r.tags[:0], r.rules[:0]
	}
	*list = append(*list, tag)
	*credits = append(*credits, rule)
}

// tagList is one side of the plan's tags: the tags it adds, or removes.
type tagList struct {
	list    *[]string
	bits    []uint64
	credits *[]int32 // which rule put each tag in the list
	side    int      // how a conflict reads: tagVerbs[side]
}

// tagVerbs is how a conflict between the two sides reads.
var tagVerbs = [2]string{"adds", "removes"}

func (m *merger) addTags(rule int32, tags []string, ids []int32) {
	if len(tags) == 0 {
		return
	}
	m.mergeTags(rule, tags, ids, tagList{&m.plan.Tags, m.added, &m.credits.tags, 0},
		tagList{&m.plan.RemoveTags, m.removed, &m.credits.removeTags, 1}, "tag")
}

func (m *merger) removeTags(rule int32, tags []string, ids []int32) {
	if len(tags) == 0 {
		return
	}
	m.mergeTags(rule, tags, ids, tagList{&m.plan.RemoveTags, m.removed, &m.credits.removeTags, 1},
		tagList{&m.plan.Tags, m.added, &m.credits.tags, 0}, "remove tag")
}

// mergeTags adds tags to one side unless a rule put them on either side
// first, which is then recorded as an override.
func (m *merger) mergeTags(rule int32, tags []string, ids []int32, mine, other tagList, what string) {
	for i, t := range tags {
		id := ids[i]
		switch {
		case inPlan(mine.bits, id, *mine.list, t):
		case inPlan(other.bits, id, *other.list, t):
			if m.trace {
				m.override("%s %q: rule %s %s it", what, t, m.credits.names[(*other.credits)[slices.Index(*other.list, t)]], tagVerbs[other.side])
			}
		default:
			appendTag(mine.list, mine.credits, t, rule)
			if id >= 0 {
				set(mine.bits, id)
			}
		}
	}
}

func (m *merger) addMetadata(rule string, fields []metadataValue) {
	p := m.plan
	for _, kv := range fields {
		if p.Metadata == nil {
			p.Metadata = map[string]any{}
		}
		if by := m.src.Metadata.Rule(kv.key); by != "" {
			if m.trace && fmt.Sprint(p.Metadata[kv.key]) != fmt.Sprint(kv.value) {
				m.override("metadata.%s %v: rule %s set %v first", kv.key, kv.value, by, p.Metadata[kv.key])
			}
			continue
		}
		m.src.Metadata = append(m.src.Metadata, Source{kv.key, rule})
		p.Metadata[kv.key] = kv.value
	}
}

// override records, when tracing, an action that lost to an earlier rule.
func (m *merger) override(format string, args ...any) {
	if m.trace {
		*m.lost = append(*m.lost, fmt.Sprintf(format, args...))
	}
}
