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
	ev         *Event
	now        time.Time
	lowerTitle string
	lowered    bool
	env        *Env
	vm         vm.VM
	candidates []int32
	kwSeen     []uint64
	contrib    contribution
}

var statePool = sync.Pool{New: func() any { return new(state) }}

func getState(ctx context.Context, ev *Event, now time.Time) *state {
	st := statePool.Get().(*state)
	st.ctx, st.ev, st.now = ctx, ev, now
	return st
}

func putState(st *state) {
	st.ctx, st.ev, st.env, st.lowered, st.lowerTitle = nil, nil, nil, false, ""
	st.candidates = st.candidates[:0]
	st.contrib.reset()
	statePool.Put(st)
}

// title returns the lower-cased title, computed once per event.
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

// run runs a program on the VM with the memory budget.
func (st *state) run(p *vm.Program, env *Env) (any, error) {
	st.vm.MemoryBudget = MemoryBudget
	return st.vm.Run(p, env)
}
