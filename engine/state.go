package engine

import (
	"context"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"
)

// state is what one evaluation carries from rule to rule: the event, values
// computed once per event (the lowered title), the expr VM and its
// environment, built only if some rule needs the VM, and scratch space.
type state struct {
	ctx        context.Context
	ev         *Event // &event
	event      Event
	now        time.Time
	cfg        evalConfig
	decision   Decision
	merger     merger
	lowerTitle string
	lowered    bool
	expired    bool // the deadline passed during a VM run
	env        *Env
	vm         vm.VM
	hits       []uint64         // bitmap of candidate rules
	evals      []uint64         // bitmap of candidates whose condition must run
	matches    map[memoKey]bool // answers of `matches` for this event
	added      []uint64         // bitmap of interned tags the plan adds
	removed    []uint64         // bitmap of interned tags the plan removes
	contrib    contribution
}

var statePool = sync.Pool{New: func() any { return new(state) }}

func getState(ctx context.Context) *state {
	if ctx == nil {
		ctx = context.Background()
	}
	st := statePool.Get().(*state)
	st.ctx, st.ev = ctx, &st.event
	return st
}

func putState(st *state) {
	st.ctx, st.env, st.lowered, st.lowerTitle, st.expired = nil, nil, false, "", false
	st.event, st.decision, st.merger, st.cfg = Event{}, Decision{}, merger{}, evalConfig{}
	clear(st.hits)
	clear(st.evals)
	clear(st.added)
	clear(st.removed)
	clear(st.matches)
	st.contrib.reset()
	statePool.Put(st)
}

// remember keeps the answer of a `matches` for the rest of the event.
func (st *state) remember(key memoKey, v bool) {
	if st.matches == nil {
		st.matches = map[memoKey]bool{}
	}
	st.matches[key] = v
}

// titleLower returns the lower-cased title, computed once per event.
func (st *state) titleLower() string {
	if !st.lowered {
		st.lowerTitle, st.lowered = Lower(st.ev.Content.Title), true
	}
	return st.lowerTitle
}

// environment returns the expr environment, built on first use.
func (st *state) environment() *Env {
	if st.env == nil {
		st.env = newEnv(st.ctx, st.ev, st.now)
	}
	return st.env
}

// run runs a program on the VM with the memory budget. Only VM runs can
// take long, so the deadline is checked after each one.
func (st *state) run(c *compiled, env *Env) (any, error) {
	p, err := c.vmProgram()
	if err != nil {
		return nil, err
	}
	st.vm.MemoryBudget = MemoryBudget
	out, err := st.vm.Run(p, env)
	if st.ctx.Err() != nil {
		st.expired = true
	}
	return out, err
}

// mark records a candidate (see candidate) in the bitmaps.
func (st *state) mark(c int32) {
	id := c >> 1
	st.hits[id>>6] |= 1 << (id & 63)
	if c&1 == 0 {
		st.evals[id>>6] |= 1 << (id & 63)
	}
}

func (st *state) markAll(cs []int32) {
	for _, c := range cs {
		st.mark(c)
	}
}

// sizeBitmaps makes room for the rules and interned tags of a ruleset.
func (st *state) sizeBitmaps(rules, tags int) {
	st.hits, st.evals = sized(st.hits, rules), sized(st.evals, rules)
	st.added, st.removed = sized(st.added, tags), sized(st.removed, tags)
}

func sized(bits []uint64, n int) []uint64 {
	words := (n + 63) / 64
	if cap(bits) < words {
		return make([]uint64, words)
	}
	return bits[:words]
}
