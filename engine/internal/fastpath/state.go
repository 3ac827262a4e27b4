package fastpath

import "github.com/organizer-dev/organizer/engine/internal/strfuncs"

// Event is what the fast path reads of an event: its string fields and its
// two maps. The engine fills it from its own Event once per evaluation.
type Event struct {
	ID, Provider, Type string
	ContentID, Title   string
	Folder, Visibility string
	Metadata, Data     map[string]any // content.metadata and the raw payload
}

// State is what one evaluation carries between the compiled closures and
// the index: the event, the values computed once per event, and the
// bitmaps of the rules the index found. The engine keeps one per evaluation
// (pooled) and calls Reset before reusing it.
type State struct {
	Event Event
	// Hits has a bit set for every rule, by index in the ruleset, that the
	// bucket found can match the event (see Bucket.Collect).
	Hits []uint64
	// Evals has a bit set for every hit whose condition must still run: the
	// others are proven true by the index alone.
	Evals []uint64

	lowerTitle string
	lowered    bool
	matches    map[memoKey]bool // answers of `matches` for this event
}

// Size makes room in the bitmaps for a ruleset of n rules.
func (st *State) Size(n int) {
	st.Hits, st.Evals = sized(st.Hits, n), sized(st.Evals, n)
}

// Reset forgets the event and everything computed from it, keeping the
// allocated space.
func (st *State) Reset() {
	st.Event = Event{}
	st.lowerTitle, st.lowered = "", false
	clear(st.Hits)
	clear(st.Evals)
	clear(st.matches)
}

// remember keeps the answer of a `matches` for the rest of the event.
func (st *State) remember(key memoKey, v bool) {
	if st.matches == nil {
		st.matches = map[memoKey]bool{}
	}
	st.matches[key] = v
}

// titleLower returns the lower-cased title, computed once per event.
func (st *State) titleLower() string {
	if !st.lowered {
		st.lowerTitle, st.lowered = strfuncs.Lower(st.Event.Title), true
	}
	return st.lowerTitle
}

// mark records a candidate (see candidate) in the bitmaps.
func (st *State) mark(c int32) {
	id := c >> 1
	st.Hits[id>>6] |= 1 << (id & 63)
	if c&1 == 0 {
		st.Evals[id>>6] |= 1 << (id & 63)
	}
}

func (st *State) markAll(cs []int32) {
	for _, c := range cs {
		st.mark(c)
	}
}

func sized(bits []uint64, n int) []uint64 {
	words := (n + 63) / 64
	if cap(bits) < words {
		return make([]uint64, words)
	}
	return bits[:words]
}
