package server

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// A provider outage is ridden out: the events retry with backoff and are
// applied when the platform is back; nothing is dead-lettered.
func TestPipelineOutageRecovered(t *testing.T) {
	h := startHarness(t)
	var ids []string
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Status: http.StatusServiceUnavailable, Times: vaultstreamtest.Forever}))
	for i := range 5 {
		cid := fmt.Sprintf("c_%d", i)
		h.sim.AddContent(vaultstreamtest.Content{ID: cid, Title: "Training part " + cid})
		status, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": cid, "title": "Training part " + cid}))
		require.Equal(t, http.StatusAccepted, status)
		ids = append(ids, resp["event_id"].(string))
	}
	for _, id := range ids {
		e := h.waitFor(id, 5*time.Second, StatusRetrying)
		require.Contains(t, e.Error, "503")
	}
	h.sim.ClearFaults()
	for _, id := range ids {
		e := h.waitFor(id, 10*time.Second, StatusApplied)
		require.Empty(t, e.Error)
		require.Greater(t, e.Attempts, 1)
	}
	status, dead := h.do(http.MethodGet, "/v1/dead-letters", nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, dead["items"])
}

// A permanent refusal dead-letters the event at once, with the reason; a
// replay after the cause is fixed applies it.
func TestPipelinePermanentFailureDeadLetteredThenReplayed(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Marketing reel"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Status: http.StatusForbidden, Message: "token may not edit c_1"}))
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing reel"}))
	id := resp["event_id"].(string)

	e := h.waitFor(id, 5*time.Second, StatusDead)
	require.Equal(t, 1, e.Attempts, "a permanent failure is not retried")
	require.Contains(t, e.Error, "403")
	require.Contains(t, e.Error, "token may not edit c_1")
	status, dead := h.do(http.MethodGet, "/v1/dead-letters", nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, dead["items"], 1)

	status, replay := h.do(http.MethodPost, "/v1/events/"+id+"/replay", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", replay)
	e = h.waitFor(id, 5*time.Second, StatusApplied)
	require.Equal(t, 1, e.Replays)
	c, _ := h.sim.Content("c_1")
	require.Equal(t, "team", c.Visibility)

	status, _ = h.do(http.MethodPost, "/v1/events/nope/replay", nil, nil)
	require.Equal(t, http.StatusNotFound, status)
}

// A 429 snoozes the event for the platform's Retry-After, without using up
// an attempt, then it is applied.
func TestPipelineRateLimitSnoozes(t *testing.T) {
	h := startHarness(t, func(c *Config) { c.MaxAttempts = 1 })
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "PATCH", Status: http.StatusTooManyRequests, RetryAfter: time.Second}))
	start := time.Now()
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Training"}))
	id := resp["event_id"].(string)
	h.waitFor(id, 5*time.Second, StatusRetrying)
	e := h.waitFor(id, 5*time.Second, StatusApplied)
	require.GreaterOrEqual(t, time.Since(start), time.Second, "the retry waited for Retry-After")
	require.Equal(t, 1, e.Attempts, "a snooze does not use an attempt (max_attempts is 1)")
}

// Retries that never succeed end in the dead letters, with every attempt
// counted.
func TestPipelineExhaustedRetriesDeadLettered(t *testing.T) {
	h := startHarness(t, func(c *Config) { c.MaxAttempts = 3 })
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Status: http.StatusBadGateway, Times: vaultstreamtest.Forever}))
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Training"}))
	e := h.waitFor(resp["event_id"].(string), 10*time.Second, StatusDead)
	require.Equal(t, 3, e.Attempts)
	require.Contains(t, e.Error, "gave up after 3 attempts")
}

// Events of one item are applied in arrival order, and promptly: with the
// default order_wait, each is applied within a second of the one before.
func TestPipelineOrderPerItem(t *testing.T) {
	h := startHarness(t, func(c *Config) { c.OrderWait = Defaults().OrderWait })
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training"})
	h.sim.SetLatency(30 * time.Millisecond)
	titles := []string{"Training day", "Marketing day", "Training again", "Marketing again"}
	var ids []string
	for _, title := range titles {
		_, resp := h.send(webhook(t, "content.transcoded", map[string]any{"content_id": "c_1", "title": title}))
		ids = append(ids, resp["event_id"].(string))
	}
	var prev Event
	for i, id := range ids {
		e := h.waitFor(id, 10*time.Second, StatusApplied)
		if i > 0 {
			require.False(t, e.UpdatedAt.Before(prev.UpdatedAt), "event %d finished before event %d", i, i-1)
			require.Less(t, e.UpdatedAt.Sub(prev.UpdatedAt), time.Second, "event %d waited too long for event %d", i, i-1)
		}
		prev = e
	}
}

// While an earlier event of an item waits for its retry, the later events
// of the item are not attempted at all; they are applied after it, each
// at its first attempt. Were the order not kept, they would run during the
// earlier event's backoff (hundreds of milliseconds here) and meet the
// outage or finish first: this fails every time the order is broken.
func TestPipelineLaterEventsWaitForEarlierRetry(t *testing.T) {
	h := startHarness(t, func(c *Config) { c.RetryBase = Duration(200 * time.Millisecond) })
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "GET /content/c_1", Status: http.StatusServiceUnavailable, Times: 3}))
	_, resp := h.send(webhook(t, "content.transcoded", map[string]any{"content_id": "c_1", "title": "Training 0"}))
	first := resp["event_id"].(string)
	h.waitFor(first, 5*time.Second, StatusRetrying)
	ids := []string{first}
	for i, title := range []string{"Marketing 1", "Training 2", "Marketing 3"} {
		status, resp := h.send(webhook(t, "content.transcoded", map[string]any{"content_id": "c_1", "title": title}))
		require.Equal(t, http.StatusAccepted, status, "event %d", i+1)
		ids = append(ids, resp["event_id"].(string))
	}
	var prev Event
	for i, id := range ids {
		e := h.waitFor(id, 10*time.Second, StatusApplied)
		if i == 0 {
			require.Equal(t, 4, e.Attempts, "the first event met all three failures")
		} else {
			require.Equal(t, 1, e.Attempts, "event %d was attempted before the first was applied", i)
			require.False(t, e.UpdatedAt.Before(prev.UpdatedAt), "event %d finished before event %d", i, i-1)
		}
		prev = e
	}
}

// An event whose attempt fails holds back the later events of its item,
// whether they arrived in its batch or after it: they finish in arrival
// order once it has been retried.
func TestPipelineRetryHoldsBackLaterEventsOfItem(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "GET /content/c_1", Status: http.StatusServiceUnavailable}))
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			status, _ := h.send(webhook(t, "content.transcoded", map[string]any{"content_id": "c_1", "title": fmt.Sprintf("Training %d", i)}))
			require.Equal(t, http.StatusAccepted, status)
		})
	}
	wg.Wait()
	status, list := h.do(http.MethodGet, "/v1/events?content_id=c_1", nil, nil)
	require.Equal(t, http.StatusOK, status)
	items := list["items"].([]any)
	require.Len(t, items, 6)
	var arrival []Event // oldest first; the list is newest first
	for i := len(items) - 1; i >= 0; i-- {
		arrival = append(arrival, h.waitFor(items[i].(map[string]any)["id"].(string), 10*time.Second, StatusApplied))
	}
	require.Equal(t, 2, arrival[0].Attempts, "the first event's first attempt met the outage")
	for i := 1; i < len(arrival); i++ {
		require.False(t, arrival[i].UpdatedAt.Before(arrival[i-1].UpdatedAt), "event %d finished before event %d", i, i-1)
	}
}

// Without API settings the service records decisions and the actions it
// would take, and calls nothing.
func TestPipelineRecordOnly(t *testing.T) {
	h := startHarness(t, recordOnly)
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing"}))
	e := h.waitFor(resp["event_id"].(string), time.Second, StatusRecorded)
	require.Equal(t, []string{"marketing"}, decisionOf(t, e).Matched)
	require.Len(t, e.Results, 2)
	require.Equal(t, "recorded", e.Results[0].Outcome)
	require.Empty(t, h.sim.Requests())
}

// The job of a commit keeps the order too: an event in it whose item has
// an earlier event still retrying waits for that one, while an event of
// another item in the same commit goes ahead. The two events are committed
// together through the writer, so they share one job.
func TestPipelineCommitJobWaitsForEarlierRetry(t *testing.T) {
	h := startHarness(t, func(c *Config) { c.RetryBase = Duration(200 * time.Millisecond) })
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training"})
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_2", Title: "Training"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "GET /content/c_1", Status: http.StatusServiceUnavailable, Times: 3}))
	_, resp := h.send(webhook(t, "content.transcoded", map[string]any{"content_id": "c_1", "title": "Training 0"}))
	first := resp["event_id"].(string)
	h.waitFor(first, 5*time.Second, StatusRetrying)

	later := h.commitTogether(
		webhook(t, "content.transcoded", map[string]any{"content_id": "c_1", "title": "Training 1"}),
		webhook(t, "content.transcoded", map[string]any{"content_id": "c_2", "title": "Training 2"}),
	)
	other := h.waitFor(later[1], 5*time.Second, StatusApplied)
	a := h.waitFor(first, 10*time.Second, StatusApplied)
	b := h.waitFor(later[0], 10*time.Second, StatusApplied)
	require.Equal(t, 4, a.Attempts, "the first event met all three failures")
	require.Equal(t, 1, b.Attempts, "the later event of the item was attempted before the first was applied")
	require.False(t, b.UpdatedAt.Before(a.UpdatedAt), "the later event finished first")
	require.True(t, other.UpdatedAt.Before(a.UpdatedAt), "the other item's event waited for an item not its own")
}

// commitTogether stores webhook bodies in one commit of the writer, as
// one intake commit (one job for them all), and returns their ids.
func (h *harness) commitTogether(bodies ...[]byte) []string {
	h.t.Helper()
	p, ok := h.svc.registry.Lookup("vaultstream")
	require.True(h.t, ok)
	var ids []string
	var group []*op
	for _, body := range bodies {
		header := http.Header{}
		header.Set(vaultstreamtest.SignatureHeader, vaultstreamtest.Sign(testSecret, body))
		ev, err := p.Decode(header, body)
		require.NoError(h.t, err)
		ids = append(ids, ev.ID)
		group = append(group, &op{ev: &newEvent{id: ev.ID, provider: "vaultstream", typ: ev.Type, contentID: ev.Content.ID,
			payload: body, receivedAt: time.Now().UTC(), status: StatusQueued}, done: make(chan opResult, 1)})
	}
	h.svc.store.writes.commit(group)
	for _, o := range group {
		require.Equal(h.t, opResult{}, <-o.done)
	}
	return ids
}

// Once the cause is fixed, the dead letters of a provider are replayed in
// one request, and applied.
func TestPipelineBulkReplayOfDeadLetters(t *testing.T) {
	h := startHarness(t)
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Status: http.StatusForbidden, Times: vaultstreamtest.Forever}))
	var ids []string
	for i := range 3 {
		cid := fmt.Sprintf("c_%d", i)
		h.sim.AddContent(vaultstreamtest.Content{ID: cid, Title: "Marketing " + cid})
		_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": cid, "title": "Marketing " + cid}))
		ids = append(ids, resp["event_id"].(string))
	}
	for _, id := range ids {
		h.waitFor(id, 5*time.Second, StatusDead)
	}
	status, _ := h.do(http.MethodPost, "/v1/dead-letters/replay?provider=nope", nil, nil)
	require.Equal(t, http.StatusBadRequest, status)

	h.sim.ClearFaults()
	status, resp := h.do(http.MethodPost, "/v1/dead-letters/replay?provider=vaultstream", nil, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	require.EqualValues(t, 3, resp["replayed"])
	for _, id := range ids {
		e := h.waitFor(id, 5*time.Second, StatusApplied)
		require.Equal(t, 1, e.Replays)
	}
	_, dead := h.do(http.MethodGet, "/v1/dead-letters", nil, nil)
	require.Empty(t, dead["items"])
}

// A provider failing for longer than retry_horizon dead-letters the event
// after the horizon, not after a count of attempts: here well before
// max_attempts, which would take far longer. The breaker is off: time an
// event spends paused by it does not count against the horizon, and here
// the provider fails every call.
func TestPipelineRetryHorizonDeadLetters(t *testing.T) {
	h := startHarness(t, func(c *Config) {
		c.Breaker.Failures = 0
		c.MaxAttempts, c.RetryHorizon = 1000, Duration(time.Second)
		c.RetryBase, c.RetryMax = Duration(100*time.Millisecond), Duration(200*time.Millisecond)
	})
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Training"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Status: http.StatusBadGateway, Times: vaultstreamtest.Forever}))
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Training"}))
	e := h.waitFor(resp["event_id"].(string), 10*time.Second, StatusDead)
	require.Greater(t, e.Attempts, 1, "it was retried while within the horizon")
	require.Less(t, e.Attempts, 50)
	require.Contains(t, e.Error, "gave up after")
	require.Contains(t, e.Error, "502")
}
