// Package adapterstest is the conformance suite every provider's API client
// passes, against that provider's simulator: the guarantees the service
// relies on, checked the same way for each platform (after River's driver
// test suite).
package adapterstest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// Harness is one provider's client pointed at its simulator, seeded for the
// suite. Setup builds a fresh one for each check.
type Harness struct {
	Client    adapters.Client
	ContentID string                // an item that exists
	MissingID string                // an item that does not
	Folder    string                // a folder the item can be filed into (it may need creating)
	Writes    func() int            // write calls the simulator has received so far
	Supported []adapters.ActionKind // the kinds the platform performs
}

// allKinds is one action of each kind, with values any platform accepts.
func allKinds(folder string) []adapters.Action {
	return []adapters.Action{
		{Kind: adapters.SetFolder, Value: folder},
		{Kind: adapters.SetVisibility, Value: "team"},
		{Kind: adapters.AddTag, Value: "conformance"},
		{Kind: adapters.RemoveTag, Value: "draft"},
		{Kind: adapters.SetMetadata, Key: "reviewed", Metadata: true},
		{Kind: adapters.Derive, Derivative: engine.Derivative{Kind: "transcode", Profile: "audio_only_aac", OutputFormat: "m4a"}},
	}
}

// Exercise runs the conformance checks.
func Exercise(t *testing.T, setup func(t *testing.T) Harness) {
	ctx := context.Background()

	t.Run("fetch an existing item", func(t *testing.T) {
		h := setup(t)
		c, err := h.Client.Fetch(ctx, h.ContentID)
		require.NoError(t, err)
		require.Equal(t, h.ContentID, c.ID)
	})

	t.Run("fetch a missing item is a permanent failure", func(t *testing.T) {
		h := setup(t)
		_, err := h.Client.Fetch(ctx, h.MissingID)
		requireKind(t, err, adapters.Permanent)
	})

	t.Run("one result per action, in order", func(t *testing.T) {
		h := setup(t)
		actions := allKinds(h.Folder)
		results := h.Client.Apply(ctx, h.ContentID, actions)
		require.Len(t, results, len(actions))
		for i, r := range results {
			require.Equal(t, actions[i].Kind, r.Action.Kind, "result %d", i)
			require.NotEmpty(t, r.Outcome, "result %d", i)
		}
	})

	t.Run("a second identical apply writes nothing", func(t *testing.T) {
		h := setup(t)
		actions := supported(allKinds(h.Folder), h.Supported)
		require.NotEmpty(t, actions)
		for i, r := range h.Client.Apply(ctx, h.ContentID, actions) {
			require.Contains(t, []adapters.Outcome{adapters.Applied, adapters.Unchanged}, r.Outcome, "first apply, action %d: %v", i, r.Err)
		}
		before := h.Writes()
		for i, r := range h.Client.Apply(ctx, h.ContentID, actions) {
			require.Equal(t, adapters.Unchanged, r.Outcome, "second apply, action %d: %v", i, r.Err)
			require.Zero(t, r.Writes, "second apply, action %d", i)
		}
		require.Equal(t, before, h.Writes(), "the second apply made write calls")
	})

	t.Run("unsupported actions are reported, not attempted", func(t *testing.T) {
		h := setup(t)
		var actions []adapters.Action
		for _, a := range allKinds(h.Folder) {
			if !slices.Contains(h.Supported, a.Kind) {
				actions = append(actions, a)
			}
		}
		if len(actions) == 0 {
			t.Skip("the platform performs every kind of action")
		}
		before := h.Writes()
		for _, r := range h.Client.Apply(ctx, h.ContentID, actions) {
			require.Equal(t, adapters.Unsupported, r.Outcome, "%s", r.Action)
			require.ErrorIs(t, r.Err, adapters.ErrUnsupported)
			require.Zero(t, r.Writes)
		}
		require.Equal(t, before, h.Writes())
	})

	t.Run("a missing item fails every action permanently", func(t *testing.T) {
		h := setup(t)
		for _, r := range h.Client.Apply(ctx, h.MissingID, supported(allKinds(h.Folder), h.Supported)) {
			require.Equal(t, adapters.Failed, r.Outcome, "%s", r.Action)
			requireKind(t, r.Err, adapters.Permanent)
		}
	})

	t.Run("apply from the state read for enrichment: the same writes, one read fewer", func(t *testing.T) {
		h := setup(t)
		if _, ok := h.Client.(adapters.StateReader); !ok {
			t.Skip("the client reads the item again to apply")
		}
		actions := supported(allKinds(h.Folder), h.Supported)
		_, err := h.Client.Fetch(ctx, h.ContentID) // as the other side does: caches warm alike
		require.NoError(t, err)
		own := h.Client.Apply(ctx, h.ContentID, actions)

		h = setup(t)
		sr := h.Client.(adapters.StateReader)
		fetched, err := h.Client.Fetch(ctx, h.ContentID)
		require.NoError(t, err)
		content, st, err := sr.ReadState(ctx, h.ContentID)
		require.NoError(t, err)
		require.Equal(t, fetched, content, "ReadState reads what Fetch reads")
		shared := sr.ApplyState(ctx, st, actions)
		require.Len(t, shared, len(actions))
		calls := func(rs []adapters.Result) (n int) {
			for _, r := range rs {
				n += r.Calls
			}
			return n
		}
		for i := range actions {
			require.Equal(t, own[i].Outcome, shared[i].Outcome, "action %d: %v", i, shared[i].Err)
			require.Equal(t, own[i].Writes, shared[i].Writes, "action %d", i)
		}
		require.Equal(t, calls(own)-1, calls(shared), "ApplyState reads the item no more")
		before := h.Writes()
		for i, r := range h.Client.Apply(ctx, h.ContentID, actions) {
			require.Equal(t, adapters.Unchanged, r.Outcome, "apply after ApplyState, action %d: %v", i, r.Err)
		}
		require.Equal(t, before, h.Writes())

		_, _, err = sr.ReadState(ctx, h.MissingID)
		requireKind(t, err, adapters.Permanent)
		for _, r := range sr.ApplyState(ctx, "not a state", actions) {
			require.Equal(t, adapters.Failed, r.Outcome, "%s", r.Action)
		}
	})

	t.Run("a cancelled context fails, and not permanently", func(t *testing.T) {
		h := setup(t)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		before := h.Writes()
		for _, r := range h.Client.Apply(cancelled, h.ContentID, supported(allKinds(h.Folder), h.Supported)) {
			require.Equal(t, adapters.Failed, r.Outcome, "%s", r.Action)
			var ce *adapters.CallError
			require.True(t, errors.As(r.Err, &ce), "%v", r.Err)
			require.NotEqual(t, adapters.Permanent, ce.Kind, "a cancelled call may succeed later")
		}
		require.Equal(t, before, h.Writes())
	})
}

func supported(actions []adapters.Action, kinds []adapters.ActionKind) []adapters.Action {
	var out []adapters.Action
	for _, a := range actions {
		if slices.Contains(kinds, a.Kind) {
			out = append(out, a)
		}
	}
	return out
}

func requireKind(t *testing.T, err error, kind adapters.Kind) {
	t.Helper()
	var ce *adapters.CallError
	require.True(t, errors.As(err, &ce), "want a *CallError, got %v", err)
	require.Equal(t, kind, ce.Kind, "%v", err)
}
