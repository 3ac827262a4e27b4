package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A pipeline write that fails costs neither the webhooks nor the other
// writes committed with it: they are committed apart, and only the bad
// write reports an error.
func TestWriterBadWriteFailsNothingElse(t *testing.T) {
	h := startHarness(t)
	hook := func(id string) *op {
		return &op{ev: &newEvent{id: id, provider: "vaultstream", typ: "content.deleted", contentID: "c_" + id,
			payload: []byte(`{}`), receivedAt: time.Now(), status: StatusIgnored}, done: make(chan opResult, 1)}
	}
	write := func(fn writeFunc) *op {
		return &op{fn: fn, ctx: context.Background(), done: make(chan opResult, 1)}
	}
	broken := errors.New("broken write")
	group := []*op{
		hook("w1"),
		write(func(context.Context, querier, enqueueFunc) error { return broken }),
		hook("w2"),
		write(func(ctx context.Context, q querier, _ enqueueFunc) error {
			_, err := q.exec(ctx, `UPDATE organizer_events SET error = 'noted' WHERE id = $1`, "w1")
			return err
		}),
		hook("w1"), // a redelivery within the group
	}
	h.svc.store.writes.commit(group)
	results := make([]opResult, len(group))
	for i, o := range group {
		results[i] = <-o.done
	}
	require.Equal(t, opResult{}, results[0])
	require.ErrorIs(t, results[1].err, broken)
	require.Equal(t, opResult{}, results[2])
	require.NoError(t, results[3].err)
	require.Equal(t, opResult{duplicate: true}, results[4])
	require.Equal(t, 2, h.rows("organizer_events"))
	require.Equal(t, "noted", h.event("w1").Error)
	require.Equal(t, StatusIgnored, h.event("w2").Status)
}
