package vaultstreamtest_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// TestConcurrentUse has clients, seeding, assertions and fault injection
// run at once; run it with -race.
func TestConcurrentUse(t *testing.T) {
	s, sd := newServer(t)
	const workers, each = 8, 15
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				tag := fmt.Sprintf("w%d-%d", w, i)
				resp, err := send("Bearer "+s.Token(), http.MethodPost, s.URL()+"/content/c_1001/tags",
					`{"tag": "`+tag+`"}`, http.DefaultClient)
				if err == nil {
					resp.Body.Close()
				}
				resp, err = send("Bearer "+s.Token(), http.MethodPatch, s.URL()+"/content/c_1001",
					fmt.Sprintf(`{"metadata": {"w%d": %d}}`, w, i), http.DefaultClient)
				if err == nil {
					resp.Body.Close()
				}
				resp, err = send("Bearer "+s.Token(), http.MethodPost, s.URL()+"/folders",
					`{"name": "shared"}`, http.DefaultClient)
				if err == nil {
					resp.Body.Close()
				}
			}
		})
	}
	wg.Go(func() {
		for i := range each {
			s.AddContent(vaultstreamtest.Content{Title: fmt.Sprint(i)})
			s.AddTeam(fmt.Sprint("team", i))
			_ = s.Requests()
			_ = s.Writes()
			_, _ = s.Content("c_1001")
			_ = s.Jobs()
			s.SetLatency(time.Duration(i%2) * time.Millisecond)
			_ = s.Fail(vaultstreamtest.Fault{Match: "GET /nothing", Status: 503})
			_ = s.PendingFaults()
		}
	})
	wg.Wait()

	c, _ := s.Content("c_1001")
	require.Len(t, c.Tags, 1+workers*each, "every tag added exactly once")
	require.Len(t, c.Metadata, 1+workers)
	for w := range workers {
		require.Equal(t, float64(each-1), c.Metadata[fmt.Sprint("w", w)], "each worker's last PATCH won")
	}
	require.Len(t, s.Folders(), 2, "one folder created, every other attempt a conflict")
	require.Equal(t, sd.folder, s.Folders()[0].ID)
	reqs := s.Requests()
	require.Len(t, reqs, 3*workers*each)
	var created, conflicts int
	for _, r := range reqs {
		if r.Path == "/folders" {
			switch r.Status {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
				conflicts++
			}
		}
	}
	require.Equal(t, 1, created)
	require.Equal(t, workers*each-1, conflicts)
}
