package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

var (
	down    = &adapters.CallError{Kind: adapters.Transient, Status: http.StatusServiceUnavailable, Message: "down"}
	refused = &adapters.CallError{Kind: adapters.Permanent, Status: http.StatusForbidden, Message: "no"}
)

// The breaker's states on a clock of the test's: closed until the failures
// in a row, open (no attempt, a wait up to the probe time), one probe,
// reopened for twice as long (up to the cap) when the probe fails, closed
// when it succeeds; a refusal (4xx) is an answer and breaks a run of
// failures; failures spread beyond the window do not open it.
func TestBreakerStates(t *testing.T) {
	cfg := BreakerConfig{Failures: 3, Window: Duration(time.Minute), OpenFor: Duration(10 * time.Second), MaxOpenFor: Duration(25 * time.Second)}
	b := newBreaker(cfg)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	fail := func(now time.Time) transition {
		p := b.allow(now)
		require.True(t, p.ok, "attempt at %v refused", now.Sub(t0))
		return b.record(now, p, outcomeOf(down))
	}

	require.Equal(t, unchanged, fail(at(0)))
	require.Equal(t, unchanged, fail(at(time.Second)))
	p := b.allow(at(2 * time.Second))
	require.Equal(t, unchanged, b.record(at(2*time.Second), p, outcomeOf(refused)), "a 4xx is the provider answering")
	require.Equal(t, unchanged, fail(at(3*time.Second)))
	require.Equal(t, unchanged, fail(at(4*time.Second)))
	require.Equal(t, unchanged, fail(at(2*time.Minute)), "the run of failures is older than the window: it starts again")
	require.Equal(t, unchanged, fail(at(2*time.Minute+time.Second)))
	require.Equal(t, opened, fail(at(2*time.Minute+2*time.Second)))
	opening := at(2*time.Minute + 2*time.Second)

	p = b.allow(opening.Add(time.Second))
	require.False(t, p.ok, "no attempt while open")
	require.GreaterOrEqual(t, p.wait, 9*time.Second)
	require.LessOrEqual(t, p.wait, 9*time.Second+10*time.Second/4)

	probe := b.allow(opening.Add(10 * time.Second))
	require.True(t, probe.ok && probe.probe, "the open period over, one probe goes")
	other := b.allow(opening.Add(10 * time.Second))
	require.False(t, other.ok, "only one probe at a time")
	require.Equal(t, reopened, b.record(opening.Add(11*time.Second), probe, outcomeOf(down)))
	require.False(t, b.allow(opening.Add(30*time.Second)).ok, "reopened for 20s")
	probe = b.allow(opening.Add(31 * time.Second))
	require.True(t, probe.probe)
	require.Equal(t, reopened, b.record(opening.Add(31*time.Second), probe, outcomeOf(down)))
	require.False(t, b.allow(opening.Add(55*time.Second)).ok, "reopened for 25s: the cap, not 40s")
	probe = b.allow(opening.Add(56 * time.Second))
	require.True(t, probe.probe)
	require.Equal(t, unchanged, b.record(opening.Add(56*time.Second), probe, outcomeOf(fmt.Errorf("store: %w", io.ErrUnexpectedEOF))),
		"a probe that did not reach the provider says nothing")
	probe = b.allow(opening.Add(57 * time.Second))
	require.True(t, probe.probe, "the next attempt probes instead")
	require.Equal(t, recovered, b.record(opening.Add(58*time.Second), probe, outcomeOf(nil)))
	require.True(t, b.allow(opening.Add(58*time.Second)).ok)
	require.False(t, b.isOpen())

	// For the retry horizon: the 58 s the provider was paused.
	require.Equal(t, 58*time.Second, b.paused(t0, at(time.Hour)))
	require.Equal(t, 48*time.Second, b.paused(opening.Add(10*time.Second), at(time.Hour)))
}

// A provider outage with many events queued: once the breaker has opened,
// the provider sees only the probes, not every event's retries; the other
// provider's events go on being applied; no event is dead-lettered or
// loses attempts; after the outage every event is applied, each write made
// once. Without the breaker each of the 100 events would make at least one
// call during the outage.
func TestBreakerPausesProviderDuringOutage(t *testing.T) {
	s72 := shift72test.NewServer()
	t.Cleanup(s72.Close)
	h := startHarness(t, func(c *Config) {
		c.Breaker = BreakerConfig{Failures: 3, Window: Duration(time.Minute), OpenFor: Duration(300 * time.Millisecond), MaxOpenFor: Duration(600 * time.Millisecond)}
		c.Providers[shift72.Name] = ProviderConfig{APIURL: s72.URL(), Token: shift72test.AdminToken, Secret: testSecret}
	})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Status: http.StatusServiceUnavailable, Times: vaultstreamtest.Forever}))
	send := func(prefix string, n int) []string {
		var ids []string
		for i := range n {
			cid := fmt.Sprintf("%s_%d", prefix, i)
			h.sim.AddContent(vaultstreamtest.Content{ID: cid, Title: "Training " + cid})
			status, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": cid, "title": "Training " + cid}))
			require.Equal(t, http.StatusAccepted, status)
			ids = append(ids, resp["event_id"].(string))
		}
		return ids
	}
	first := send("first", 5)
	require.Eventually(t, func() bool { return h.breakerGauge("vaultstream") == "1" }, 5*time.Second, 10*time.Millisecond,
		"the breaker did not open")

	outage := time.Now()
	calls := len(h.sim.Requests())
	queued := send("queued", 100)
	var films []string
	for i := range 5 {
		id := s72.AddFilm(shift72test.Film{Title: fmt.Sprintf("Film %d", i)})
		body := fmt.Sprintf(`{"eventType": "upload_completed", "slug": "/film/%d"}`, id)
		status, resp := h.do(http.MethodPost, "/webhooks/shift72", []byte(body), http.Header{
			"Content-Type": {"application/json"}, shift72test.SignatureHeader: {shift72test.Signature(testSecret, []byte(body))},
		})
		require.Equal(t, http.StatusAccepted, status, "%v", resp)
		films = append(films, resp["event_id"].(string))
	}
	for _, id := range films {
		h.waitFor(id, 5*time.Second, StatusApplied) // the other provider is not paused
	}
	require.NotEmpty(t, s72.Requests())
	time.Sleep(time.Until(outage.Add(3 * time.Second)))
	during := len(h.sim.Requests()) - calls
	t.Logf("VaultStream calls in the 3 s of outage after the breaker opened: %d, for %d queued events", during, len(queued))
	require.Less(t, during, 20, "only probes reach a provider that is down")
	attempts := 0
	for _, id := range queued {
		e := h.event(id)
		require.Contains(t, []Status{StatusQueued, StatusRetrying}, e.Status, id)
		attempts += e.Attempts
	}
	// Each attempt calls the provider at least once, and the queued events
	// arrived after the breaker opened: only probes used attempts (an
	// event may be the probe more than once).
	require.LessOrEqual(t, attempts, during, "a paused event uses no attempt")

	h.sim.ClearFaults()
	all := append(first, queued...)
	for _, id := range all {
		h.waitFor(id, 15*time.Second, StatusApplied)
	}
	require.Eventually(t, func() bool { return h.breakerGauge("vaultstream") == "0" }, 5*time.Second, 10*time.Millisecond)
	status, dead := h.do(http.MethodGet, "/v1/dead-letters", nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, dead["items"])
	writes := map[string]int{}
	for _, w := range h.sim.Writes() {
		if strings.HasPrefix(w.Path, "/content/") {
			writes[w.Method+" "+w.Path+" "+string(bytes.TrimSpace(w.Body))]++
		}
	}
	require.NotEmpty(t, writes)
	for w, n := range writes {
		require.Equal(t, 1, n, "%s written %d times", w, n)
	}
}

// breakerGauge is organizer_provider_breaker_open of the provider, as
// /metrics shows it.
func (h *harness) breakerGauge(provider string) string {
	h.t.Helper()
	resp, err := http.Get(h.url + "/metrics")
	require.NoError(h.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	prefix := `organizer_provider_breaker_open{provider="` + provider + `"} `
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			return v
		}
	}
	return ""
}
