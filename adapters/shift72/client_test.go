package shift72_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/adapterstest"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

const bundlesPath = "/services/meta/v1/bundles"

func newSim(t *testing.T, opts ...shift72test.Option) *shift72test.Server {
	t.Helper()
	s := shift72test.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// addFilms seeds draft films (the admin token sees drafts) with the ids.
func addFilms(s *shift72test.Server, ids ...int) {
	for _, id := range ids {
		s.AddFilm(shift72test.Film{ID: id, Title: fmt.Sprint("Film ", id)})
	}
}

func newClient(s *shift72test.Server) *shift72.Client {
	return shift72.NewClient(s.URL(), shift72test.AdminToken, adapters.WithTimeout(5*time.Second))
}

func folder(name string) adapters.Action {
	return adapters.Action{Kind: adapters.SetFolder, Value: name}
}

func callError(t *testing.T, err error) *adapters.CallError {
	t.Helper()
	var ce *adapters.CallError
	require.ErrorAs(t, err, &ce)
	return ce
}

func bundlePath(id int) string { return fmt.Sprintf("%s/%d", bundlesPath, id) }

// Two concurrent folder actions on one bundle both end up in its items: the
// per-bundle lock keeps the two read-modify-writes from interleaving.
func TestApplyConcurrentFolderActionsOnOneBundle(t *testing.T) {
	t.Parallel() // its own simulator; it waits on latencies or timeouts
	for round := range 5 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			t.Parallel() // each round has its own simulator
			s := newSim(t)
			s.AddFilm(shift72test.Film{ID: 1, Title: "One", Published: true})
			s.AddFilm(shift72test.Film{ID: 2, Title: "Two", Published: true})
			id := s.AddBundle("Ready To Publish", shift72test.StatusDraft, "/film/104")
			s.SetLatency(20 * time.Millisecond)
			c := newClient(s)

			var wg sync.WaitGroup
			results := make([][]adapters.Result, 2)
			for i, slug := range []string{"/film/1", "/film/2"} {
				wg.Go(func() {
					results[i] = c.Apply(context.Background(), slug, []adapters.Action{folder("Ready To Publish")})
				})
			}
			wg.Wait()

			for _, rs := range results {
				require.Len(t, rs, 1)
				require.NoError(t, rs[0].Err)
				require.Equal(t, adapters.Applied, rs[0].Outcome)
				require.Equal(t, 1, rs[0].Writes)
			}
			b, ok := s.Bundle(id)
			require.True(t, ok)
			require.Len(t, b.Items, 3)
			require.Equal(t, "/film/104", b.Items[0])
			require.ElementsMatch(t, []string{"/film/104", "/film/1", "/film/2"}, b.Items)
			require.Len(t, s.Writes(), 2)
			var lists int
			for _, r := range s.Requests() {
				if r.Method == http.MethodGet && r.Path == "/services/meta/v1/bundles" {
					lists++
				}
			}
			require.Equal(t, 1, lists, "the two applies read the bundle list once")
		})
	}
}

func TestApplyFolderAppendsThenIsUnchanged(t *testing.T) {
	s := newSim(t)
	id := s.AddBundle("Ready To Publish", shift72test.StatusPublished, "/film/104", "/tv/4/season/1")
	addFilms(s, 7)
	c := newClient(s)
	ctx := context.Background()

	// Trimmed, case-insensitive title match.
	rs := c.Apply(ctx, "/film/7", []adapters.Action{folder("  ready to PUBLISH ")})
	require.Len(t, rs, 1)
	require.NoError(t, rs[0].Err)
	require.Equal(t, adapters.Applied, rs[0].Outcome)
	require.Equal(t, 4, rs[0].Calls) // show_multiple, list, GET bundle, PUT items
	require.Equal(t, 1, rs[0].Writes)
	b, _ := s.Bundle(id)
	require.Equal(t, []string{"/film/104", "/tv/4/season/1", "/film/7"}, b.Items)

	w := s.Writes()
	require.Len(t, w, 1)
	require.Equal(t, http.MethodPut, w[0].Method)
	require.Equal(t, bundlePath(id)+"/items", w[0].Path)
	require.JSONEq(t, `["/film/104","/tv/4/season/1","/film/7"]`, string(w[0].Body))

	// The second, identical apply reads the item and the bundle (its id is
	// cached) and writes nothing.
	s.Reset()
	rs = c.Apply(ctx, "/film/7", []adapters.Action{folder("Ready To Publish")})
	require.NoError(t, rs[0].Err)
	require.Equal(t, adapters.Unchanged, rs[0].Outcome)
	require.Equal(t, 2, rs[0].Calls)
	require.Equal(t, 0, rs[0].Writes)
	require.Empty(t, s.Writes())
	require.Len(t, s.Requests(), 2)
	b, _ = s.Bundle(id)
	require.Equal(t, []string{"/film/104", "/tv/4/season/1", "/film/7"}, b.Items)
}

func TestApplyUnsupportedKindsMakeNoCalls(t *testing.T) {
	s := newSim(t)
	c := newClient(s)
	actions := []adapters.Action{
		{Kind: adapters.SetVisibility, Value: "public"},
		{Kind: adapters.AddTag, Value: "drama"},
		{Kind: adapters.RemoveTag, Value: "draft"},
		{Kind: adapters.Grant},
		{Kind: adapters.SetMetadata, Key: "rating", Metadata: "PG"},
		{Kind: adapters.Derive},
	}
	rs := c.Apply(context.Background(), "/film/1", actions)
	require.Len(t, rs, len(actions))
	for i, r := range rs {
		require.Equal(t, actions[i], r.Action)
		require.Equal(t, adapters.Unsupported, r.Outcome, r.Action.String())
		require.ErrorIs(t, r.Err, adapters.ErrUnsupported)
		require.Contains(t, r.Err.Error(), "SHIFT72's public API")
		require.Zero(t, r.Calls)
		require.Zero(t, r.Writes)
	}
	require.Empty(t, s.Requests())
}

func TestApplyContinuesAfterAFailure(t *testing.T) {
	s := newSim(t)
	addFilms(s, 1)
	c := newClient(s)
	rs := c.Apply(context.Background(), "/film/1", []adapters.Action{
		folder("Nowhere"),
		{Kind: adapters.AddTag, Value: "drama"},
	})
	require.Len(t, rs, 2)
	require.Equal(t, adapters.Failed, rs[0].Outcome)
	require.Equal(t, adapters.Unsupported, rs[1].Outcome)
}

func TestApplyRateLimitedPut(t *testing.T) {
	s := newSim(t)
	id := s.AddBundle("Ready", shift72test.StatusPublished)
	addFilms(s, 1)
	s.InjectFault(shift72test.RateLimit(2).For(http.MethodPut, bundlesPath))
	c := newClient(s)

	rs := c.Apply(context.Background(), "/film/1", []adapters.Action{folder("Ready")})
	require.Equal(t, adapters.Failed, rs[0].Outcome)
	ce := callError(t, rs[0].Err)
	require.Equal(t, adapters.RateLimited, ce.Kind)
	require.Equal(t, http.StatusTooManyRequests, ce.Status)
	require.Equal(t, 2*time.Second, ce.RetryAfter)
	require.Equal(t, 4, rs[0].Calls)
	require.Equal(t, 1, rs[0].Writes)
	b, _ := s.Bundle(id)
	require.Empty(t, b.Items)
}

func TestApplyServerErrorIsTransient(t *testing.T) {
	s := newSim(t)
	s.AddBundle("Ready", shift72test.StatusPublished)
	addFilms(s, 1)
	s.InjectFault(shift72test.ServerError(http.StatusServiceUnavailable).For(http.MethodGet, bundlesPath+"/"))
	c := newClient(s)

	rs := c.Apply(context.Background(), "/film/1", []adapters.Action{folder("Ready")})
	require.Equal(t, adapters.Failed, rs[0].Outcome)
	ce := callError(t, rs[0].Err)
	require.Equal(t, adapters.Transient, ce.Kind)
	require.Equal(t, http.StatusServiceUnavailable, ce.Status)
	require.Equal(t, 3, rs[0].Calls)
	require.Zero(t, rs[0].Writes)
	require.Empty(t, s.Writes())
}

func TestApplyUnknownBundleIsPermanent(t *testing.T) {
	s := newSim(t)
	s.AddBundle("Ready", shift72test.StatusPublished)
	addFilms(s, 1)
	c := newClient(s)
	ctx := context.Background()

	// Cached list, then a miss: the list is read again, once.
	require.Equal(t, adapters.Applied, c.Apply(ctx, "/film/1", []adapters.Action{folder("Ready")})[0].Outcome)
	s.Reset()
	rs := c.Apply(ctx, "/film/1", []adapters.Action{folder("Archive")})
	require.Equal(t, adapters.Failed, rs[0].Outcome)
	ce := callError(t, rs[0].Err)
	require.Equal(t, adapters.Permanent, ce.Kind)
	require.Contains(t, ce.Error(), `no bundle titled "Archive"`)
	require.Contains(t, ce.Error(), "no way to create one")
	require.Equal(t, 2, rs[0].Calls)
	require.Empty(t, s.Writes())
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	require.Equal(t, bundlesPath, reqs[1].Path)
}

func TestApplyNewBundleFoundOnRefresh(t *testing.T) {
	s := newSim(t)
	addFilms(s, 1)
	s.AddBundle("Ready", shift72test.StatusPublished)
	c := newClient(s)
	ctx := context.Background()
	require.Equal(t, adapters.Applied, c.Apply(ctx, "/film/1", []adapters.Action{folder("Ready")})[0].Outcome)

	id := s.AddBundle("Later", shift72test.StatusDraft)
	rs := c.Apply(ctx, "/film/1", []adapters.Action{folder("later")})
	require.NoError(t, rs[0].Err)
	require.Equal(t, adapters.Applied, rs[0].Outcome)
	b, _ := s.Bundle(id)
	require.Equal(t, []string{"/film/1"}, b.Items)
}

func TestApplyDuplicateTitlesArePermanent(t *testing.T) {
	s := newSim(t)
	addFilms(s, 1)
	s.AddBundle("Ready", shift72test.StatusPublished)
	s.AddBundle(" ready", shift72test.StatusDraft)
	c := newClient(s)
	rs := c.Apply(context.Background(), "/film/1", []adapters.Action{folder("Ready")})
	require.Equal(t, adapters.Failed, rs[0].Outcome)
	require.Equal(t, adapters.Permanent, callError(t, rs[0].Err).Kind)
	require.Empty(t, s.Writes())
}

// A cached bundle id that now answers 404 is dropped and the title resolved
// again, once.
func TestApplyReResolvesAGoneBundle(t *testing.T) {
	s := newSim(t)
	addFilms(s, 1, 2)
	id := s.AddBundle("Ready", shift72test.StatusPublished)
	c := newClient(s)
	ctx := context.Background()
	require.Equal(t, adapters.Applied, c.Apply(ctx, "/film/1", []adapters.Action{folder("Ready")})[0].Outcome)

	s.Reset()
	s.InjectFault(shift72test.NotFound().For(http.MethodGet, bundlePath(id)))
	rs := c.Apply(ctx, "/film/2", []adapters.Action{folder("Ready")})
	require.NoError(t, rs[0].Err)
	require.Equal(t, adapters.Applied, rs[0].Outcome)
	require.Equal(t, 5, rs[0].Calls) // show_multiple, GET bundle (404), list, GET bundle, PUT
	require.Equal(t, 1, rs[0].Writes)

	var got []string
	for _, r := range s.Requests() {
		got = append(got, r.Method+" "+r.Path+fmt.Sprint(" ", r.Status))
	}
	require.Equal(t, []string{
		"GET /services/meta/v2/film/2/show_multiple 200",
		"GET " + bundlePath(id) + " 404",
		"GET " + bundlesPath + " 200",
		"GET " + bundlePath(id) + " 200",
		"PUT " + bundlePath(id) + "/items 200",
	}, got)
	b, _ := s.Bundle(id)
	require.Equal(t, []string{"/film/1", "/film/2"}, b.Items)
}

// A bundle that keeps answering 404 fails after one re-resolve.
func TestApplyGoneBundleFailsAfterOneRetry(t *testing.T) {
	s := newSim(t)
	addFilms(s, 1)
	id := s.AddBundle("Ready", shift72test.StatusPublished)
	s.InjectFault(shift72test.NotFound().For(http.MethodGet, bundlePath(id)).Repeat(-1))
	c := newClient(s)
	rs := c.Apply(context.Background(), "/film/1", []adapters.Action{folder("Ready")})
	require.Equal(t, adapters.Failed, rs[0].Outcome)
	ce := callError(t, rs[0].Err)
	require.Equal(t, adapters.Permanent, ce.Kind)
	require.Equal(t, http.StatusNotFound, ce.Status)
	require.Equal(t, 5, rs[0].Calls) // show_multiple, list, GET (404), list, GET (404)
	require.Empty(t, s.Writes())
}

func TestApplyRejectsABadSlug(t *testing.T) {
	s := newSim(t)
	c := newClient(s)
	rs := c.Apply(context.Background(), "film 1", []adapters.Action{folder("Ready")})
	require.Equal(t, adapters.Failed, rs[0].Outcome)
	require.Equal(t, adapters.Permanent, callError(t, rs[0].Err).Kind)
	require.Zero(t, rs[0].Calls)
	require.Empty(t, s.Requests())
}

func TestFetchFilm(t *testing.T) {
	s := newSim(t)
	s.AddFilm(shift72test.Film{
		ID: 52, Title: "Deadpool", Tagline: "Wade", Genres: []string{"Action"},
		Tags: []string{"marvel", "recommended"}, Custom: map[string]any{"what_is_your_age": 12},
		Published: false, // a draft: shown to the admin token
	})
	c := newClient(s)
	got, err := c.Fetch(context.Background(), "/film/52")
	require.NoError(t, err)
	require.Equal(t, "/film/52", got.ID)
	require.Equal(t, "Deadpool", got.Title)
	require.Equal(t, []string{"marvel", "recommended"}, got.Tags)
	require.Equal(t, "Wade", got.Metadata["tagline"])
	require.Equal(t, []any{"Action"}, got.Metadata["genres"])
	require.Equal(t, []any{"marvel", "recommended"}, got.Metadata["tags"])
	require.Equal(t, map[string]any{"what_is_your_age": float64(12)}, got.Metadata["custom"])

	reqs := s.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, "/services/meta/v2/film/52/show_multiple", reqs[0].Path)
	require.Equal(t, shift72test.AdminToken, reqs[0].Token)
}

func TestFetchUnknownFilmIsPermanent(t *testing.T) {
	s := newSim(t)
	c := newClient(s)
	_, err := c.Fetch(context.Background(), "/film/9")
	ce := callError(t, err)
	require.Equal(t, adapters.Permanent, ce.Kind)
	require.Contains(t, ce.Error(), "no film /film/9")
}

func TestFetchSeason(t *testing.T) {
	s := newSim(t)
	slug := s.AddSeason(shift72test.Season{ShowID: 4, Number: 2, ShowTitle: "The Show", Genres: []string{"Drama"}, Tagline: "More"})
	c := newClient(s)
	got, err := c.Fetch(context.Background(), slug)
	require.NoError(t, err)
	require.Equal(t, "/tv/4/season/2", got.ID)
	require.Equal(t, "The Show Season 2", got.Title)
	require.Equal(t, []any{"Drama"}, got.Metadata["genres"])
	require.Equal(t, "More", got.Metadata["tagline"])

	_, err = c.Fetch(context.Background(), "/tv/4/season/3")
	ce := callError(t, err)
	require.Equal(t, adapters.Permanent, ce.Kind)
}

func TestFetchOtherSlugsArePermanent(t *testing.T) {
	s := newSim(t)
	c := newClient(s)
	for _, slug := range []string{"", "/film/", "/film/abc", "/bundle/5", "/tv/4", "film/1", "/film/1?x=1"} {
		_, err := c.Fetch(context.Background(), slug)
		require.Equal(t, adapters.Permanent, callError(t, err).Kind, slug)
	}
	require.Empty(t, s.Requests())
}

func TestFetchServerErrors(t *testing.T) {
	s := newSim(t)
	s.AddFilm(shift72test.Film{ID: 1, Title: "One", Published: true})
	s.InjectFault(shift72test.ServerError(http.StatusBadGateway))
	s.InjectFault(shift72test.RateLimit(7))
	c := newClient(s)
	_, err := c.Fetch(context.Background(), "/film/1")
	require.Equal(t, adapters.Transient, callError(t, err).Kind)
	_, err = c.Fetch(context.Background(), "/film/1")
	ce := callError(t, err)
	require.Equal(t, adapters.RateLimited, ce.Kind)
	require.Equal(t, 7*time.Second, ce.RetryAfter)
	got, err := c.Fetch(context.Background(), "/film/1")
	require.NoError(t, err)
	require.Equal(t, "One", got.Title)
}

func TestTimeoutIsTransient(t *testing.T) {
	t.Parallel() // its own simulator; it waits on latencies or timeouts
	s := newSim(t)
	s.AddBundle("Ready", shift72test.StatusPublished)
	addFilms(s, 1)
	s.InjectFault(shift72test.Hang().For(http.MethodGet, bundlesPath))
	c := shift72.NewClient(s.URL(), shift72test.AdminToken, adapters.WithTimeout(50*time.Millisecond))
	rs := c.Apply(context.Background(), "/film/1", []adapters.Action{folder("Ready")})
	require.Equal(t, adapters.Failed, rs[0].Outcome)
	ce := callError(t, rs[0].Err)
	require.Equal(t, adapters.Transient, ce.Kind)
	require.Zero(t, ce.Status)
}

// headerRecorder records the headers of every request it sends.
type headerRecorder struct {
	mu      sync.Mutex
	headers []http.Header
}

func (h *headerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.headers = append(h.headers, r.Header.Clone())
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestEveryRequestSendsTokenAndBypassCache(t *testing.T) {
	s := newSim(t)
	s.AddFilm(shift72test.Film{ID: 1, Title: "One"})
	s.AddBundle("Ready", shift72test.StatusPublished)
	rec := &headerRecorder{}
	c := shift72.NewClient(s.URL(), shift72test.AdminToken, adapters.WithHTTPClient(&http.Client{Transport: rec}))

	_, err := c.Fetch(context.Background(), "/film/1")
	require.NoError(t, err)
	rs := c.Apply(context.Background(), "/film/1", []adapters.Action{folder("Ready")})
	require.Equal(t, adapters.Applied, rs[0].Outcome)

	require.Len(t, rec.headers, 5)
	for _, h := range rec.headers {
		require.Equal(t, shift72test.AdminToken, h.Get("X-Auth-Token"))
		require.Equal(t, "1", h.Get("X-Bypass-Cache"))
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	const token = "sk-very-secret-token-0123456789"
	s := newSim(t, shift72test.WithAdminToken(token))
	s.AddBundle("Ready", shift72test.StatusPublished)
	s.AddFilm(shift72test.Film{ID: 1, Title: "One", Published: true})
	ctx := context.Background()
	var errs []error
	collect := func(rs []adapters.Result) {
		for _, r := range rs {
			errs = append(errs, r.Err)
		}
	}

	c := shift72.NewClient(s.URL(), token, adapters.WithTimeout(time.Second))
	s.InjectFault(shift72test.RateLimit(1).For(http.MethodPut, bundlesPath))
	collect(c.Apply(ctx, "/film/1", []adapters.Action{folder("Ready"), folder("Missing"), {Kind: adapters.AddTag, Value: "x"}}))
	s.InjectFault(shift72test.ServerError(http.StatusInternalServerError))
	_, err := c.Fetch(ctx, "/film/1")
	errs = append(errs, err)
	_, err = c.Fetch(ctx, "/film/404")
	errs = append(errs, err)

	// A token the site does not accept as an admin's: 401 Permanent.
	wrong := shift72.NewClient(s.URL(), token+"-old", adapters.WithTimeout(time.Second))
	rs := wrong.Apply(ctx, "/film/1", []adapters.Action{folder("Ready")})
	require.Equal(t, http.StatusUnauthorized, callError(t, rs[0].Err).Status)
	collect(rs)

	// No server at all: a transport error.
	dead := newSim(t)
	deadURL := dead.URL()
	dead.Close()
	gone := shift72.NewClient(deadURL, token, adapters.WithTimeout(time.Second))
	collect(gone.Apply(ctx, "/film/1", []adapters.Action{folder("Ready")}))
	_, err = gone.Fetch(ctx, "/film/1")
	errs = append(errs, err)

	// A cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	collect(c.Apply(cctx, "/film/1", []adapters.Action{folder("Ready")}))

	require.Len(t, errs, 9)
	for i, err := range errs {
		require.Error(t, err, i)
		require.NotContains(t, err.Error(), token, i)
		if ce := (*adapters.CallError)(nil); errors.As(err, &ce) {
			require.NotContains(t, ce.Message, token, i)
		}
		require.False(t, strings.Contains(fmt.Sprintf("%+v", err), token), i)
	}
}

// A missing item is never filed: its folder action fails permanently, with
// no write.
func TestApplyMissingItemIsPermanent(t *testing.T) {
	s := newSim(t)
	id := s.AddBundle("Ready", shift72test.StatusPublished)
	c := newClient(s)
	rs := c.Apply(context.Background(), "/film/9", []adapters.Action{folder("Ready"), folder("Other")})
	require.Len(t, rs, 2)
	for _, r := range rs {
		require.Equal(t, adapters.Failed, r.Outcome)
		require.Contains(t, callError(t, r.Err).Error(), "no film /film/9")
	}
	require.Equal(t, 1, rs[0].Calls) // the item is read once per Apply
	require.Zero(t, rs[1].Calls)
	require.Len(t, s.Requests(), 1)
	b, _ := s.Bundle(id)
	require.Empty(t, b.Items)
}

func TestConformance(t *testing.T) {
	adapterstest.Exercise(t, func(t *testing.T) adapterstest.Harness {
		s := newSim(t)
		addFilms(s, 1)
		s.AddBundle("Ready To Publish", shift72test.StatusDraft, "/film/104")
		return adapterstest.Harness{
			Client:    newClient(s),
			ContentID: "/film/1",
			MissingID: "/film/999",
			Folder:    "Ready To Publish",
			Writes:    func() int { return len(s.Writes()) },
			Supported: []adapters.ActionKind{adapters.SetFolder},
		}
	})
}
