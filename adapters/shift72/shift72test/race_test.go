package shift72test_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

// appendSlug is an adapter's add-to-bundle done naively: GET the bundle,
// append the slug, PUT the list back, with no lock around the two calls.
func appendSlug(s *shift72test.Server, id int, slug string) error {
	path := "/services/meta/v1/bundles/" + itoa(id)
	resp, err := send(context.Background(), s, "GET", path, admin, "")
	if err != nil {
		return err
	}
	var b struct{ Items []string }
	err = json.NewDecoder(resp.Body).Decode(&b)
	resp.Body.Close()
	if err != nil {
		return err
	}
	body, err := json.Marshal(append(b.Items, slug))
	if err != nil {
		return err
	}
	resp, err = send(context.Background(), s, "PUT", path+"/items", admin, string(body))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT: HTTP %d", resp.StatusCode)
	}
	return nil
}

// TestReadModifyWriteLosesAnItem shows that the simulator, like SHIFT72,
// loses an item when two clients append to a bundle at once without a lock:
// with latency, both GETs are answered before either PUT, and the second PUT
// overwrites the first. An adapter without a per-bundle lock fails here.
func TestReadModifyWriteLosesAnItem(t *testing.T) {
	s := newServer(t)
	s.SetLatency(100 * time.Millisecond)

	// One attempt is enough unless the machine is so slow that one goroutine
	// starts 100ms after the other; allow a few.
	var lost []string
	for attempt := 0; attempt < 3 && lost == nil; attempt++ {
		s.Reset()
		id := s.AddBundle("B", shift72test.StatusPublished, "/film/1")
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, slug := range []string{"/film/2", "/film/3"} {
			wg.Go(func() { errs <- appendSlug(s, id, slug) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err, "both calls succeed: nothing tells the clients")
		}
		require.Len(t, s.Writes(), 2)
		if b, _ := s.Bundle(id); len(b.Items) < 3 {
			lost = b.Items
			reqs := s.Requests()
			require.Len(t, reqs, 4)
			require.Equal(t, "GET", reqs[0].Method, "both reads came before either write")
			require.Equal(t, "GET", reqs[1].Method)
		}
	}
	require.NotNil(t, lost, "an unlocked read-modify-write never lost an item")
	require.Len(t, lost, 2, "one append was lost: %v", lost)
	require.Equal(t, "/film/1", lost[0])
	require.Contains(t, []string{"/film/2", "/film/3"}, lost[1])
}

// TestReadModifyWriteWithLockKeepsEveryItem is the control: the same appends
// serialised per bundle keep every item.
func TestReadModifyWriteWithLockKeepsEveryItem(t *testing.T) {
	s := newServer(t)
	s.SetLatency(20 * time.Millisecond)
	id := s.AddBundle("B", shift72test.StatusPublished, "/film/1")

	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, slug := range []string{"/film/2", "/film/3", "/film/4"} {
		wg.Go(func() {
			mu.Lock()
			defer mu.Unlock()
			if err := appendSlug(s, id, slug); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	b, _ := s.Bundle(id)
	require.ElementsMatch(t, []string{"/film/1", "/film/2", "/film/3", "/film/4"}, b.Items)
}

// TestConcurrentUse exercises routes, seeding, accessors, the log and faults
// at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	s := newServer(t)
	id := s.AddBundle("B", shift72test.StatusPublished)
	s.AddFilm(shift72test.Film{ID: 1, Published: true, Custom: map[string]any{"k": 1}})
	s.AddSeason(shift72test.Season{ShowID: 2, Number: 1, Published: true})
	paths := []string{
		"/services/meta/v1/bundles", "/services/meta/v1/bundles/" + itoa(id), "/services/meta/v2/film/1/show_multiple",
		"/services/meta/v2/film/index", "/services/meta/v3/tv/index", "/services/meta/v4/featured",
		"/services/meta/v2/tv/season/show_multiple?items=/tv/2/season/1", "/services/content/v1/availabilities?items=/film/1",
		"/services/pricing/v2/geo_block/tvod/film/1",
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				resp, err := send(context.Background(), s, "GET", paths[(i+j)%len(paths)], admin, "")
				if err == nil {
					resp.Body.Close()
				}
				resp, err = send(context.Background(), s, "PUT", "/services/meta/v1/bundles/"+itoa(id)+"/items", admin, fmt.Sprintf(`["/film/%d"]`, j))
				if err == nil {
					resp.Body.Close()
				}
				resp, err = send(context.Background(), s, "PUT", "/services/pricing/v2/geo_block/tvod/film/1", admin, `{"rules":[{"rule":"allow","geo_region":"nz"}]}`)
				if err == nil {
					resp.Body.Close()
				}
			}
		})
	}
	wg.Go(func() {
		for j := range 50 {
			s.AddBundle("more", shift72test.StatusDraft, "/film/9")
			s.AddFilm(shift72test.Film{Title: "more", Published: j%2 == 0})
			s.AddSeason(shift72test.Season{ShowID: 3, Number: j})
			s.AddCollection(shift72test.Collection{Title: "c"})
			s.SetAvailability(shift72test.Availability{Slug: "/film/1", From: time.Now()})
			s.SetGeoRules("svod", "/film/1", shift72test.GeoRule{Rule: "block", GeoRegion: "us"})
			s.InjectFault(shift72test.ServerError(http.StatusServiceUnavailable).For("GET", "/services/meta/v4/"))
			s.SetLatency(time.Duration(j%2) * time.Millisecond)
			_, _ = s.Bundle(id)
			_ = s.Bundles()
			_, _ = s.Film(1)
			_ = s.GeoRules("tvod", "/film/1")
			_ = s.Requests()
			_ = s.Writes()
			if j%10 == 0 {
				s.Reset()
			}
		}
	})
	wg.Wait()
	b, ok := s.Bundle(id)
	require.True(t, ok)
	require.Len(t, b.Items, 1)
}
