package engine

import (
	"context"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/organizer-dev/organizer/engine/internal/fastpath"
)

// state is what one evaluation carries from rule to rule: the event, what
// the fast path and the index compute once per event (fast), the expr VM and
// its environment, built only if some rule needs the VM, and scratch space.
type state struct {
	ctx     context.Context
	event   Event
	fast    fastpath.State // the event as the fast path reads it, and the index's bitmaps
	now     time.Time
	cfg     evalConfig
	expired bool // the deadline passed during a VM run
	env     *exprEnv
	vm      vm.VM
	added   []uint64 // bitmap of interned tags the plan adds
	removed []uint64 // bitmap of interned tags the plan removes
	contrib contribution
	budget  renderBudget // bytes rendered and built for the event
}

var statePool = sync.Pool{New: func() any { return new(state) }}

func getState(ctx context.Context) *state {
	if ctx == nil {
		ctx = context.Background()
	}
	st := statePool.Get().(*state)
	st.ctx = ctx
	return st
}

func putState(st *state) {
	st.ctx, st.env, st.expired = nil, nil, false
	st.budget.reset()
	st.event, st.cfg = Event{}, evalConfig{}
	st.fast.Reset()
	clear(st.added)
	clear(st.removed)
	st.contrib.reset()
	statePool.Put(st)
}

// setEvent sets the event evaluated, and what the fast path reads of it.
func (st *state) setEvent(ev Event, now time.Time) {
	st.event, st.now = ev, now
	st.fast.Event = fastpath.Event{ID: ev.ID, Provider: ev.Provider, Type: ev.Type,
		ContentID: ev.Content.ID, Title: ev.Content.Title, Folder: ev.Content.Folder, Visibility: ev.Content.Visibility,
		Metadata: ev.Content.Metadata, Data: ev.Data}
}

// environment returns the expr environment, built on first use.
func (st *state) environment() *exprEnv {
	if st.env == nil {
		st.env = newEnv(st.ctx, &st.event, st.now, &st.budget)
	}
	return st.env
}

// run runs a program on the VM with the memory budget. Only VM runs can
// take long, so the deadline is checked after each one.
func (st *state) run(c *compiled, env *exprEnv) (any, error) {
	p, err := c.vmProgram()
	if err != nil {
		return nil, err
	}
	st.vm.MemoryBudget = memoryBudget
	out, err := st.vm.Run(p, env)
	if st.ctx.Err() != nil {
		st.expired = true
	}
	return out, err
}

// sizeBitmaps makes room for the rules and interned tags of a ruleset.
func (st *state) sizeBitmaps(rules, tags int) {
	st.fast.Size(rules)
	st.added, st.removed = sized(st.added, tags), sized(st.removed, tags)
}

func sized(bits []uint64, n int) []uint64 {
	words := (n + 63) / 64
	if cap(bits) < words {
		return make([]uint64, words)
	}
	return bits[:words]
}
