package engine

import (
	"slices"
	"sort"
	"strings"
)

// bucket holds the rules that apply to one event type, and their index.
type bucket struct {
	all      []int32 // every rule for the type, in evaluation order
	residual []int32 // rules run for every event of the type
	equal    []*equalIndex
	keyword  []*keywordIndex
	number   []*numberIndex
}

type equalIndex struct {
	get    anyFn
	values map[string][]int32
}

type keywordIndex struct {
	get      strFn
	words    []string
	postings [][]int32
	trigrams map[uint32][]int32 // first three bytes of a word -> words
	short    []int32            // words under three bytes
}

type numberIndex struct {
	get            anyFn
	gt, ge, lt, le []threshold // each sorted by value
}

type threshold struct {
	value float64
	rule  int32
}

// newBucket indexes the given rules (indices into rs.rules, in order).
func newBucket(rs []*rule, ids []int32) *bucket {
	b := &bucket{all: ids}
	equal := map[string]*equalIndex{}
	number := map[string]*numberIndex{}
	keywordRules := map[string][]int32{}
	for _, id := range ids {
		k := rs[id].key
		switch {
		case k == nil:
			b.residual = append(b.residual, id)
		case k.kind == keyEqual:
			e := equal[k.source]
			if e == nil {
				e = &equalIndex{get: k.getAny, values: map[string][]int32{}}
				equal[k.source] = e
				b.equal = append(b.equal, e)
			}
			for _, v := range k.values {
				if list := e.values[v]; len(list) == 0 || list[len(list)-1] != id {
					e.values[v] = append(list, id)
				}
			}
		case k.kind == keyNumber:
			n := number[k.source]
			if n == nil {
				n = &numberIndex{get: k.getAny}
				number[k.source] = n
				b.number = append(b.number, n)
			}
			n.add(k.op, threshold{k.threshold, id})
		case k.kind == keyKeyword:
			keywordRules[k.source] = append(keywordRules[k.source], id)
		}
	}
	for _, n := range b.number {
		n.sort()
	}
	sources := make([]string, 0, len(keywordRules))
	for src := range keywordRules {
		sources = append(sources, src)
	}
	slices.Sort(sources)
	for _, src := range sources {
		ids := keywordRules[src]
		if len(ids) < keywordIndexMin {
			b.residual = append(b.residual, ids...)
			continue
		}
		b.keyword = append(b.keyword, newKeywordIndex(rs, ids))
	}
	slices.Sort(b.residual)
	return b
}

func newKeywordIndex(rs []*rule, ids []int32) *keywordIndex {
	k := &keywordIndex{get: rs[ids[0]].key.getString, trigrams: map[uint32][]int32{}}
	word := map[string]int32{}
	for _, id := range ids {
		for _, w := range rs[id].key.values {
			wi, ok := word[w]
			if !ok {
				wi = int32(len(k.words))
				word[w] = wi
				k.words = append(k.words, w)
				k.postings = append(k.postings, nil)
				if len(w) < 3 {
					k.short = append(k.short, wi)
				} else {
					t := trigram(w)
					k.trigrams[t] = append(k.trigrams[t], wi)
				}
			}
			if p := k.postings[wi]; len(p) == 0 || p[len(p)-1] != id {
				k.postings[wi] = append(p, id)
			}
		}
	}
	return k
}

func trigram(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16
}

func (n *numberIndex) add(op string, t threshold) {
	switch op {
	case ">":
		n.gt = append(n.gt, t)
	case ">=":
		n.ge = append(n.ge, t)
	case "<":
		n.lt = append(n.lt, t)
	default:
		n.le = append(n.le, t)
	}
}

func (n *numberIndex) sort() {
	for _, list := range [][]threshold{n.gt, n.ge, n.lt, n.le} {
		sort.SliceStable(list, func(i, j int) bool { return list[i].value < list[j].value })
	}
}

// candidates returns the rules of the bucket that can match, in order.
func (b *bucket) candidates(st *state) []int32 {
	c := append(st.candidates[:0], b.residual...)
	sorted := true
	for _, e := range b.equal {
		v, _ := e.get(st)
		if s, ok := v.(string); ok {
			if hits := e.values[s]; len(hits) > 0 {
				c, sorted = append(c, hits...), false
			}
		}
	}
	for _, k := range b.keyword {
		before := len(c)
		c = k.find(st, c)
		sorted = sorted && len(c) == before
	}
	for _, n := range b.number {
		before := len(c)
		c = n.find(st, c)
		sorted = sorted && len(c) == before
	}
	if !sorted {
		slices.Sort(c)
		c = slices.Compact(c)
	}
	st.candidates = c
	return c
}

// find appends the rules of every word the source contains.
func (k *keywordIndex) find(st *state, c []int32) []int32 {
	s, _ := k.get(st)
	for _, wi := range k.short {
		if strings.Contains(s, k.words[wi]) {
			c = append(c, k.postings[wi]...)
		}
	}
	for i := 0; i+3 <= len(s); i++ {
		for _, wi := range k.trigrams[trigram(s[i:])] {
			if strings.HasPrefix(s[i:], k.words[wi]) {
				c = append(c, k.postings[wi]...)
			}
		}
	}
	return c
}

// find appends the rules whose threshold the value passes; every rule when
// the value is not a number (their evaluation decides, or reports the error).
func (n *numberIndex) find(st *state, c []int32) []int32 {
	v, _ := n.get(st)
	x, ok := number(v)
	for _, list := range [][]threshold{n.gt, n.ge, n.lt, n.le} {
		if !ok {
			for _, t := range list {
				c = append(c, t.rule)
			}
		}
	}
	if !ok {
		return c
	}
	above := func(list []threshold, strict bool) int { // first index whose value is > x (or >= x)
		return sort.Search(len(list), func(i int) bool {
			if strict {
				return list[i].value > x
			}
			return list[i].value >= x
		})
	}
	for _, t := range n.gt[:above(n.gt, false)] { // t < x
		c = append(c, t.rule)
	}
	for _, t := range n.ge[:above(n.ge, true)] { // t <= x
		c = append(c, t.rule)
	}
	for _, t := range n.lt[above(n.lt, true):] { // t > x
		c = append(c, t.rule)
	}
	for _, t := range n.le[above(n.le, false):] { // t >= x
		c = append(c, t.rule)
	}
	return c
}
