package fastpath

import (
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// A candidate is a rule index shifted left by one, with the low bit set
// when the index hit alone proves the rule's condition true.
func candidate(id int32, proven bool) int32 {
	if proven {
		return id<<1 | 1
	}
	return id << 1
}

// Bucket holds the rules that apply to one event type, and their index.
type Bucket struct {
	all      []int32 // every rule for the type, in evaluation order
	residual []int32 // candidates run for every event of the type
	equal    []*equalIndex
	keyword  []*keywordIndex
	number   []*numberIndex
	regexps  []*regexpGroup
}

// regexpGroup is the rules that test one pattern on one source.
type regexpGroup struct {
	get          StrFn
	re           *regexp.Regexp
	literal      string
	inLowerTitle bool
	rules        []int32 // candidates
	// memo, when some candidate runs its whole condition after the group
	// has marked it, is where the answer is kept, so that the condition's
	// `matches` does not run the pattern a second time.
	memo *memoKey
}

// MaxRegexpGroups bounds the patterns a bucket tests for every event: past
// it, rules with patterns run one by one (each pattern still runs once per
// event, memoised).
const MaxRegexpGroups = 64

type equalIndex struct {
	get    AnyFn
	values map[string][]int32
	viaIn  []int32 // for `in`: every rule, run when the value is not a string
}

type keywordIndex struct {
	get      StrFn
	words    []string
	postings [][]int32
	trigrams map[uint32][]int32 // first three bytes of a word -> words
	filter   *[1 << 10]uint64   // bit per hashed trigram: most positions start no word
	short    []int32            // words under three bytes
}

// filterBit hashes a trigram to one of the filter's 65,536 bits.
func filterBit(t uint32) uint32 { return (t * 2654435761) >> 16 }

type numberIndex struct {
	get            AnyFn
	gt, ge, lt, le []threshold // each sorted by value
}

type threshold struct {
	value  float64
	rule   int32
	proves bool // a value past the threshold proves the rule's condition
}

// NewBucket indexes the rules ids, given in evaluation order, whose index
// keys are keys[id] (nil for a rule without one: it runs for every event).
func NewBucket(keys []*Key, ids []int32) *Bucket {
	b := &Bucket{all: ids}
	equal := map[string]*equalIndex{}
	number := map[string]*numberIndex{}
	keywordRules := map[string][]int32{}
	regexps := map[string]*regexpGroup{}
	for _, id := range ids {
		k := keys[id]
		switch {
		case k == nil:
			b.residual = append(b.residual, candidate(id, false))
		case k.kind == keyEqual:
			// == and in on one source share an index: one read, one lookup.
			e := equal[k.source]
			if e == nil {
				e = &equalIndex{get: k.getAny, values: map[string][]int32{}}
				equal[k.source] = e
				b.equal = append(b.equal, e)
			}
			if k.viaIn {
				// expr's `in` can be true, or fail, for a value that is not a
				// string (nil in ["", "x"] is true): such values run the rule.
				e.viaIn = append(e.viaIn, candidate(id, false))
			}
			c := candidate(id, k.proves)
			for _, v := range k.values {
				if list := e.values[v]; len(list) == 0 || list[len(list)-1] != c {
					e.values[v] = append(list, c)
				}
			}
		case k.kind == keyNumber:
			n := number[k.source]
			if n == nil {
				n = &numberIndex{get: k.getAny}
				number[k.source] = n
				b.number = append(b.number, n)
			}
			n.add(k.op, threshold{k.threshold, id, k.proves})
		case k.kind == keyKeyword:
			keywordRules[k.source] = append(keywordRules[k.source], id)
		case k.kind == keyRegexp:
			g := regexps[k.source]
			if g == nil {
				g = &regexpGroup{get: k.getString, re: k.re, literal: k.literal, inLowerTitle: k.inLowerTitle}
				regexps[k.source] = g
				b.regexps = append(b.regexps, g)
			}
			g.rules = append(g.rules, candidate(id, k.proves))
			if !k.proves {
				g.memo = &k.memo
			}
		}
	}
	if len(b.regexps) > MaxRegexpGroups {
		for _, g := range b.regexps {
			for _, c := range g.rules {
				b.residual = append(b.residual, candidate(c>>1, false))
			}
		}
		b.regexps = nil
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
			for _, id := range ids {
				b.residual = append(b.residual, candidate(id, false))
			}
			continue
		}
		b.keyword = append(b.keyword, newKeywordIndex(keys, ids))
	}
	slices.Sort(b.residual)
	return b
}

func newKeywordIndex(keys []*Key, ids []int32) *keywordIndex {
	k := &keywordIndex{get: keys[ids[0]].getString, trigrams: map[uint32][]int32{}, filter: new([1 << 10]uint64)}
	word := map[string]int32{}
	for _, id := range ids {
		for _, w := range keys[id].values {
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
					b := filterBit(t)
					k.filter[b>>6] |= 1 << (b & 63)
				}
			}
			c := candidate(id, keys[id].proves)
			if p := k.postings[wi]; len(p) == 0 || p[len(p)-1] != c {
				k.postings[wi] = append(p, c)
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

// Rules returns every rule of the bucket, in evaluation order.
func (b *Bucket) Rules() []int32 { return b.all }

// Collect marks the rules of the bucket that can match the event in
// st.Hits, and in st.Evals those whose condition must still run.
func (b *Bucket) Collect(st *State) {
	for _, c := range b.residual {
		st.mark(c)
	}
	for _, e := range b.equal {
		v, _ := e.get(st)
		s, ok := v.(string)
		switch {
		case ok:
			st.markAll(e.values[s])
		case e.viaIn != nil:
			st.markAll(e.viaIn)
		}
	}
	for _, k := range b.keyword {
		k.find(st)
	}
	for _, n := range b.number {
		n.find(st)
	}
	for _, g := range b.regexps {
		g.find(st)
	}
}

// find runs the pattern once and, if it matches, marks the group's rules.
func (g *regexpGroup) find(st *State) {
	s, ok := g.get(st)
	memo := g.memo
	if !ok {
		memo = nil // the rule's own test decides what a missing source means
	}
	if g.literal != "" {
		hay := s
		if g.inLowerTitle {
			hay = st.titleLower()
		}
		if !strings.Contains(hay, g.literal) {
			if memo != nil {
				st.remember(*memo, false)
			}
			return
		}
	}
	v := g.re.MatchString(s)
	if memo != nil {
		st.remember(*memo, v)
	}
	if v {
		st.markAll(g.rules)
	}
}

// find marks the rules of every word the source contains.
func (k *keywordIndex) find(st *State) {
	s, _ := k.get(st)
	for _, wi := range k.short {
		if strings.Contains(s, k.words[wi]) {
			st.markAll(k.postings[wi])
		}
	}
	for i := 0; i+3 <= len(s); i++ {
		t := trigram(s[i:])
		if b := filterBit(t); k.filter[b>>6]&(1<<(b&63)) == 0 {
			continue
		}
		for _, wi := range k.trigrams[t] {
			if strings.HasPrefix(s[i:], k.words[wi]) {
				st.markAll(k.postings[wi])
			}
		}
	}
}

// find marks the rules whose threshold the value passes; every rule when
// the value is not a number (their evaluation decides, or reports the error).
func (n *numberIndex) find(st *State) {
	v, _ := n.get(st)
	x, ok := number(v)
	for _, list := range [][]threshold{n.gt, n.ge, n.lt, n.le} {
		if !ok {
			for _, t := range list {
				st.mark(candidate(t.rule, false))
			}
		}
	}
	if !ok || math.IsNaN(x) { // every comparison with NaN is false
		return
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
		st.mark(candidate(t.rule, t.proves))
	}
	for _, t := range n.ge[:above(n.ge, true)] { // t <= x
		st.mark(candidate(t.rule, t.proves))
	}
	for _, t := range n.lt[above(n.lt, true):] { // t > x
		st.mark(candidate(t.rule, t.proves))
	}
	for _, t := range n.le[above(n.le, false):] { // t >= x
		st.mark(candidate(t.rule, t.proves))
	}
}
