package vaultstream_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/adapterstest"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
	"github.com/organizer-dev/organizer/engine"
)

// secretToken is distinctive, so that no error can carry it unnoticed.
const secretToken = "vs_live_S3CR3T_t0k3n_do_not_leak"

// newSim starts a simulator with secretToken, closed with the test.
func newSim(t *testing.T) *vaultstreamtest.Server {
	t.Helper()
	s := vaultstreamtest.NewServer(vaultstreamtest.WithToken(secretToken))
	t.Cleanup(s.Close)
	return s
}

func newClient(s *vaultstreamtest.Server, opts ...adapters.ClientOption) *vaultstream.Client {
	return vaultstream.NewClient(s.URL(), s.Token(), opts...)
}

// trainingPlan is the acceptance plan: a folder that does not exist yet,
// visibility, tags, a team permission, metadata and two derivatives.
func trainingPlan() engine.Plan {
	start, dur, width := 30, 10, 480
	return engine.Plan{Folder: "Training", Visibility: "team", Tags: []string{"training", "hr"},
		RemoveTags:  []string{"draft"},
		Permissions: []engine.Permission{{Team: "HR", Permission: "view"}},
		Metadata:    map[string]any{"reviewed": true, "level": 2},
		Derivatives: []engine.Derivative{{Kind: "transcode", Profile: "audio_only_aac", OutputFormat: "m4a"},
			{Kind: "export", Format: "gif", StartSeconds: &start, DurationSeconds: &dur, Width: &width}},
		Notify: []engine.Notify{{URL: "https://hooks.example.com/x", Text: "not a platform action"}}}
}

type tallied struct {
	outcome        adapters.Outcome
	calls, writes  int
	kind           adapters.ActionKind
	errIsCallError bool
}

func summary(results []adapters.Result) []tallied {
	out := make([]tallied, len(results))
	for i, r := range results {
		var ce *adapters.CallError
		out[i] = tallied{r.Outcome, r.Calls, r.Writes, r.Action.Kind, errors.As(r.Err, &ce)}
	}
	return out
}

func totals(results []adapters.Result) (calls, writes int) {
	for _, r := range results {
		calls += r.Calls
		writes += r.Writes
	}
	return calls, writes
}

func requestLines(reqs []vaultstreamtest.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.String()
		if len(r.Query) > 0 {
			out[i] += "?" + r.Query.Encode()
		}
	}
	return out
}

func TestApplyAcceptance(t *testing.T) {
	s := newSim(t)
	hr := s.AddTeam("HR")
	s.AddFolder("Archive")
	id := s.AddContent(vaultstreamtest.Content{ID: "c_1001", Title: "Onboarding 101",
		Metadata: map[string]any{"department": "HR"}, Tags: []string{"draft"}})
	c := newClient(s)
	actions := adapters.Actions(trainingPlan())
	require.Len(t, actions, 10)

	results := c.Apply(context.Background(), id, actions)
	for _, r := range results {
		require.Equal(t, adapters.Applied, r.Outcome, "%s: %v", r.Action, r.Err)
		require.NoError(t, r.Err)
	}
	require.Equal(t, []tallied{
		{adapters.Applied, 4, 2, adapters.SetFolder, false}, // GET content, GET folders?name, POST folders, PATCH
		{adapters.Applied, 1, 1, adapters.SetVisibility, false},
		{adapters.Applied, 1, 1, adapters.AddTag, false},
		{adapters.Applied, 1, 1, adapters.AddTag, false},
		{adapters.Applied, 1, 1, adapters.RemoveTag, false},
		{adapters.Applied, 2, 1, adapters.Grant, false}, // GET teams?name, POST permissions
		{adapters.Applied, 1, 1, adapters.SetMetadata, false},
		{adapters.Applied, 1, 1, adapters.SetMetadata, false},
		{adapters.Applied, 2, 1, adapters.Derive, false}, // GET jobs, POST transcode
		{adapters.Applied, 1, 1, adapters.Derive, false},
	}, summary(results))
	calls, writes := totals(results)
	require.Len(t, s.Requests(), calls, "every call is counted once")
	require.Len(t, s.Writes(), writes)

	// The platform's state.
	folders := s.Folders()
	require.Len(t, folders, 2)
	require.Equal(t, "Training", folders[1].Name, "created on first use")
	got, ok := s.Content(id)
	require.True(t, ok)
	require.Equal(t, folders[1].ID, got.FolderID)
	require.Equal(t, "team", got.Visibility)
	require.ElementsMatch(t, []string{"training", "hr"}, got.Tags)
	require.Equal(t, []vaultstreamtest.Permission{{TeamID: hr, Permission: "view"}}, got.Permissions)
	require.Equal(t, map[string]any{"department": "HR", "reviewed": true, "level": float64(2)}, got.Metadata)
	jobs := s.Jobs()
	require.Len(t, jobs, 2)
	require.Equal(t, "transcode", jobs[0].Kind)
	require.Equal(t, map[string]any{"profile": "audio_only_aac", "output_format": "m4a"}, jobs[0].Request)
	require.Equal(t, "export", jobs[1].Kind)
	require.Equal(t, map[string]any{"format": "gif", "start_seconds": float64(30), "duration_seconds": float64(10),
		"width": float64(480)}, jobs[1].Request)

	// The same plan again writes nothing: two reads, the item and its jobs.
	s.Reset()
	again := c.Apply(context.Background(), id, actions)
	for _, r := range again {
		require.Equal(t, adapters.Unchanged, r.Outcome, "%s: %v", r.Action, r.Err)
		require.Zero(t, r.Writes, r.Action.String())
	}
	require.Empty(t, s.Writes())
	require.Equal(t, []string{"GET /content/c_1001", "GET /content/c_1001/jobs"}, requestLines(s.Requests()))
	require.Equal(t, 1, again[0].Calls, "the item's GET counts for the first action")
	require.Equal(t, 1, again[8].Calls, "the jobs' GET counts for the first derivative")
	calls, _ = totals(again)
	require.Equal(t, 2, calls)

	// A fresh client (empty caches) writes nothing either.
	s.Reset()
	for _, r := range newClient(s).Apply(context.Background(), id, actions) {
		require.Equal(t, adapters.Unchanged, r.Outcome, "%s: %v", r.Action, r.Err)
	}
	require.Empty(t, s.Writes())
	require.Len(t, s.Jobs(), 2)
}

func TestApplyWithCachedIDsCostsOneCallPerAction(t *testing.T) {
	s := newSim(t)
	s.AddTeam("HR")
	first := s.AddContent(vaultstreamtest.Content{Title: "First"})
	second := s.AddContent(vaultstreamtest.Content{Title: "Second", Tags: []string{"draft"}})
	c := newClient(s)
	actions := adapters.Actions(trainingPlan())
	for _, r := range c.Apply(context.Background(), first, actions) {
		require.NotEqual(t, adapters.Failed, r.Outcome, "%s: %v", r.Action, r.Err)
	}

	s.Reset()
	results := c.Apply(context.Background(), second, actions)
	for _, r := range results {
		require.Equal(t, adapters.Applied, r.Outcome, "%s: %v", r.Action, r.Err)
	}
	reqs := s.Requests()
	for _, r := range reqs {
		require.False(t, strings.HasPrefix(r.Path, "/folders") || strings.HasPrefix(r.Path, "/teams"),
			"no look-up once the ids are cached: %s", r)
	}
	// One write per action, plus the two shared reads: the item (counted for
	// the first action) and its jobs (counted for the first derivative).
	require.Len(t, reqs, len(actions)+2, "%v", requestLines(reqs))
	calls, writes := totals(results)
	require.Equal(t, len(reqs), calls)
	require.Equal(t, len(actions), writes)
	for i, r := range results {
		own := r.Calls
		if i == 0 || i == 8 {
			own-- // the shared read
		}
		require.Equal(t, 1, own, r.Action.String())
	}
}

func TestFetch(t *testing.T) {
	s := newSim(t)
	s.AddFolder("Archive")
	training := s.AddFolder("Training")
	id := s.AddContent(vaultstreamtest.Content{Title: "Onboarding 101", FolderID: training, Visibility: "team",
		Tags: []string{"training"}, Metadata: map[string]any{"department": "HR"}})
	bare := s.AddContent(vaultstreamtest.Content{Title: "Bare"})
	c := newClient(s)

	got, err := c.Fetch(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, engine.Content{ID: id, Title: "Onboarding 101", Metadata: map[string]any{"department": "HR"},
		Folder: "Training", Tags: []string{"training"}, Visibility: "team"}, got)
	require.Equal(t, []string{"GET /content/" + id, "GET /folders"}, requestLines(s.Requests()),
		"an unknown folder id lists the folders")

	s.Reset()
	_, err = c.Fetch(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, s.Requests(), 1, "the folder's name is cached")

	got, err = c.Fetch(context.Background(), bare)
	require.NoError(t, err)
	require.Equal(t, engine.Content{ID: bare, Title: "Bare", Metadata: map[string]any{}, Tags: []string{},
		Visibility: "private"}, got)
}

func TestFaults(t *testing.T) {
	t.Parallel() // its own simulator; it waits on latencies or timeouts
	ctx := context.Background()
	actions := []adapters.Action{{Kind: adapters.SetFolder, Value: "Training"},
		{Kind: adapters.SetVisibility, Value: "org"}, {Kind: adapters.AddTag, Value: "hr"}}

	t.Run("429 on PATCH", func(t *testing.T) {
		s := newSim(t)
		id := s.AddContent(vaultstreamtest.Content{})
		require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Status: http.StatusTooManyRequests,
			RetryAfter: 2 * time.Second}))
		results := newClient(s).Apply(ctx, id, actions)
		require.Equal(t, adapters.Failed, results[0].Outcome)
		var ce *adapters.CallError
		require.ErrorAs(t, results[0].Err, &ce)
		require.Equal(t, adapters.RateLimited, ce.Kind)
		require.Equal(t, 2*time.Second, ce.RetryAfter)
		require.Equal(t, http.StatusTooManyRequests, ce.Status)
		require.Equal(t, 4, results[0].Calls, "GET content, GET folders, POST folders, PATCH")
		require.Equal(t, adapters.Applied, results[1].Outcome, "%v", results[1].Err)
		require.Equal(t, adapters.Applied, results[2].Outcome, "%v", results[2].Err)
		got, _ := s.Content(id)
		require.Empty(t, got.FolderID)
		require.Equal(t, "org", got.Visibility)
		require.Equal(t, []string{"hr"}, got.Tags)

		// The service retries the whole apply: only the failed action writes.
		s.Reset()
		results = newClient(s).Apply(ctx, id, actions)
		require.Equal(t, []adapters.Outcome{adapters.Applied, adapters.Unchanged, adapters.Unchanged},
			[]adapters.Outcome{results[0].Outcome, results[1].Outcome, results[2].Outcome})
		require.Len(t, s.Writes(), 1)
	})

	t.Run("503 is transient", func(t *testing.T) {
		s := newSim(t)
		id := s.AddContent(vaultstreamtest.Content{})
		require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "POST /content/", Status: http.StatusServiceUnavailable}))
		results := newClient(s).Apply(ctx, id, actions)
		require.Equal(t, adapters.Applied, results[0].Outcome, "%v", results[0].Err)
		require.Equal(t, adapters.Applied, results[1].Outcome, "%v", results[1].Err)
		require.Equal(t, adapters.Failed, results[2].Outcome)
		var ce *adapters.CallError
		require.ErrorAs(t, results[2].Err, &ce)
		require.Equal(t, adapters.Transient, ce.Kind)
		require.Equal(t, http.StatusServiceUnavailable, ce.Status)
	})

	t.Run("503 on the first read fails every action", func(t *testing.T) {
		s := newSim(t)
		id := s.AddContent(vaultstreamtest.Content{})
		require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "GET /content/", Status: http.StatusBadGateway}))
		results := newClient(s).Apply(ctx, id, actions)
		for _, r := range results {
			require.Equal(t, adapters.Failed, r.Outcome)
			var ce *adapters.CallError
			require.ErrorAs(t, r.Err, &ce)
			require.Equal(t, adapters.Transient, ce.Kind)
		}
		require.Empty(t, s.Writes())
	})

	t.Run("unknown content is permanent", func(t *testing.T) {
		s := newSim(t)
		c := newClient(s)
		_, err := c.Fetch(ctx, "c_404")
		var ce *adapters.CallError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, adapters.Permanent, ce.Kind)
		require.Equal(t, http.StatusNotFound, ce.Status)

		s.Reset()
		all := append(slicesClone(actions), adapters.Action{Kind: adapters.Derive,
			Derivative: engine.Derivative{Kind: "transcode", Profile: "hd"}})
		results := c.Apply(ctx, "c_404", all)
		require.Len(t, results, len(all))
		for i, r := range results {
			require.Equal(t, adapters.Failed, r.Outcome)
			var ce *adapters.CallError
			require.ErrorAs(t, r.Err, &ce)
			require.Equal(t, adapters.Permanent, ce.Kind)
			require.Equal(t, http.StatusNotFound, ce.Status)
			require.Equal(t, map[bool]int{true: 1, false: 0}[i == 0], r.Calls)
		}
		require.Equal(t, []string{"GET /content/c_404"}, requestLines(s.Requests()))
	})

	t.Run("timeout is transient", func(t *testing.T) {
		s := newSim(t)
		id := s.AddContent(vaultstreamtest.Content{})
		require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "GET /content/", Hang: true}))
		_, err := newClient(s, adapters.WithTimeout(100*time.Millisecond)).Fetch(ctx, id)
		var ce *adapters.CallError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, adapters.Transient, ce.Kind)
		require.Zero(t, ce.Status)
	})

	t.Run("unknown team and user permissions", func(t *testing.T) {
		s := newSim(t)
		id := s.AddContent(vaultstreamtest.Content{})
		results := newClient(s).Apply(ctx, id, []adapters.Action{
			{Kind: adapters.Grant, Permission: engine.Permission{Team: "Nobody", Permission: "view"}},
			{Kind: adapters.Grant, Permission: engine.Permission{User: "ana@example.com", Permission: "edit"}},
			{Kind: adapters.Derive, Derivative: engine.Derivative{Kind: "thumbnail"}},
		})
		require.Equal(t, adapters.Failed, results[0].Outcome)
		var ce *adapters.CallError
		require.ErrorAs(t, results[0].Err, &ce)
		require.Equal(t, adapters.Permanent, ce.Kind)
		require.Contains(t, ce.Error(), `team "Nobody" does not exist in VaultStream`)
		require.Equal(t, adapters.Unsupported, results[1].Outcome)
		require.ErrorIs(t, results[1].Err, adapters.ErrUnsupported)
		require.Equal(t, adapters.Unsupported, results[2].Outcome)
		require.ErrorIs(t, results[2].Err, adapters.ErrUnsupported)
		require.Empty(t, s.Writes(), "no team is ever created")
		require.Empty(t, s.Teams())
	})
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

// TestFolderDeletedOnThePlatform: a cached folder id the platform answers
// "folder f_N does not exist" for is dropped, resolved again and retried.
func TestFolderDeletedOnThePlatform(t *testing.T) {
	ctx := context.Background()
	setFolder := []adapters.Action{{Kind: adapters.SetFolder, Value: "Training"}}

	t.Run("scripted 400", func(t *testing.T) {
		s := newSim(t)
		a := s.AddContent(vaultstreamtest.Content{})
		b := s.AddContent(vaultstreamtest.Content{})
		c := newClient(s)
		require.Equal(t, adapters.Applied, c.Apply(ctx, a, setFolder)[0].Outcome)
		fid := s.Folders()[0].ID
		require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Status: http.StatusBadRequest,
			Message: "folder " + fid + " does not exist"}))
		s.Reset()
		r := c.Apply(ctx, b, setFolder)[0]
		require.Equal(t, adapters.Applied, r.Outcome, "%v", r.Err)
		require.Equal(t, []string{"GET /content/" + b, "PATCH /content/" + b, "GET /folders?name=Training",
			"PATCH /content/" + b}, requestLines(s.Requests()))
		require.Equal(t, 4, r.Calls)
		require.Equal(t, 2, r.Writes)
		got, _ := s.Content(b)
		require.Equal(t, fid, got.FolderID)
	})

	t.Run("another 400 is not retried", func(t *testing.T) {
		s := newSim(t)
		id := s.AddContent(vaultstreamtest.Content{})
		require.NoError(t, s.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Status: http.StatusBadRequest,
			Message: "folder_id must be a folder's id"}))
		r := newClient(s).Apply(ctx, id, setFolder)[0]
		require.Equal(t, adapters.Failed, r.Outcome)
		var ce *adapters.CallError
		require.ErrorAs(t, r.Err, &ce)
		require.Equal(t, adapters.Permanent, ce.Kind)
		require.Equal(t, 4, r.Calls)
	})

	t.Run("a new platform state", func(t *testing.T) {
		// One address, two simulators: the second knows nothing of the
		// folder the first created, as if it had been deleted.
		var current atomic.Pointer[vaultstreamtest.Server]
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			current.Load().Handler().ServeHTTP(w, r)
		}))
		t.Cleanup(front.Close)
		old := vaultstreamtest.New(vaultstreamtest.WithToken(secretToken))
		t.Cleanup(old.Close)
		old.AddFolder("Archive")
		old.AddFolder("Drafts")
		old.AddContent(vaultstreamtest.Content{ID: "c_1"})
		current.Store(old)
		c := vaultstream.NewClient(front.URL+"/v1", secretToken)
		require.Equal(t, adapters.Applied, c.Apply(ctx, "c_1", setFolder)[0].Outcome)
		require.Equal(t, "f_3", old.Folders()[2].ID)

		fresh := vaultstreamtest.New(vaultstreamtest.WithToken(secretToken))
		t.Cleanup(fresh.Close)
		fresh.AddContent(vaultstreamtest.Content{ID: "c_1"})
		current.Store(fresh)
		r := c.Apply(ctx, "c_1", setFolder)[0]
		require.Equal(t, adapters.Applied, r.Outcome, "%v", r.Err)
		require.Equal(t, []string{"GET /content/c_1", "PATCH /content/c_1", "GET /folders?name=Training",
			"POST /folders", "PATCH /content/c_1"}, requestLines(fresh.Requests()))
		require.Equal(t, []vaultstreamtest.Folder{{ID: "f_1", Name: "Training"}}, fresh.Folders())
		got, _ := fresh.Content("c_1")
		require.Equal(t, "f_1", got.FolderID)

		fresh.Reset()
		require.Equal(t, adapters.Unchanged, c.Apply(ctx, "c_1", setFolder)[0].Outcome, "the new id is cached")
		require.Len(t, fresh.Requests(), 1)
	})

	t.Run("409 gives the existing id", func(t *testing.T) {
		// A folder created between the look-up and the creation.
		s := newSim(t)
		fid := s.AddFolder("Training")
		id := s.AddContent(vaultstreamtest.Content{})
		var hidden atomic.Bool
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Path == "/v1/folders" && hidden.CompareAndSwap(false, true) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintln(w, `{"items": []}`)
				return
			}
			s.Handler().ServeHTTP(w, r)
		}))
		t.Cleanup(front.Close)
		r := vaultstream.NewClient(front.URL+"/v1", secretToken).Apply(ctx, id, setFolder)[0]
		require.Equal(t, adapters.Applied, r.Outcome, "%v", r.Err)
		got, _ := s.Content(id)
		require.Equal(t, fid, got.FolderID)
		require.Len(t, s.Folders(), 1)
	})
}

func TestTagsAndMetadata(t *testing.T) {
	s := newSim(t)
	id := s.AddContent(vaultstreamtest.Content{Tags: []string{"a/b c", "keep"},
		Metadata: map[string]any{"n": 1, "obj": map[string]any{"x": []any{"y"}}, "gone": "soon"}})
	c := newClient(s)
	results := c.Apply(context.Background(), id, []adapters.Action{
		{Kind: adapters.RemoveTag, Value: "a/b c"},
		{Kind: adapters.RemoveTag, Value: "absent"},
		{Kind: adapters.AddTag, Value: "keep"},
		{Kind: adapters.AddTag, Value: "new"},
		{Kind: adapters.AddTag, Value: "new"},
		{Kind: adapters.SetMetadata, Key: "n", Metadata: 1.0},
		{Kind: adapters.SetMetadata, Key: "obj", Metadata: map[string][]string{"x": {"y"}}},
		{Kind: adapters.SetMetadata, Key: "gone", Metadata: nil},
		{Kind: adapters.SetMetadata, Key: "absent", Metadata: nil},
		{Kind: adapters.SetMetadata, Key: "n", Metadata: 2},
	})
	var outcomes []adapters.Outcome
	for _, r := range results {
		require.NoError(t, r.Err, r.Action.String())
		outcomes = append(outcomes, r.Outcome)
	}
	require.Equal(t, []adapters.Outcome{adapters.Applied, adapters.Unchanged, adapters.Unchanged, adapters.Applied,
		adapters.Unchanged, adapters.Unchanged, adapters.Unchanged, adapters.Applied, adapters.Unchanged,
		adapters.Applied}, outcomes)
	got, _ := s.Content(id)
	require.Equal(t, []string{"keep", "new"}, got.Tags)
	require.Equal(t, map[string]any{"n": float64(2), "obj": map[string]any{"x": []any{"y"}}}, got.Metadata)
	require.Len(t, s.Writes(), 4)
}

func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel() // its own simulator; it waits on latencies or timeouts
	ctx := context.Background()
	s := newSim(t)
	id := s.AddContent(vaultstreamtest.Content{})
	c := newClient(s, adapters.WithTimeout(200*time.Millisecond))
	var errs []error
	collect := func(results []adapters.Result) {
		for _, r := range results {
			if r.Err != nil {
				errs = append(errs, r.Err)
			}
		}
	}
	actions := adapters.Actions(trainingPlan())
	_, err := c.Fetch(ctx, "c_missing")
	errs = append(errs, err)
	collect(c.Apply(ctx, "c_missing", actions))
	require.NoError(t, s.Fail(
		vaultstreamtest.Fault{Match: "PATCH", Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 2},
		vaultstreamtest.Fault{Match: "POST", Status: http.StatusInternalServerError, Times: 3,
			Message: "echo: Authorization: Bearer " + secretToken},
		vaultstreamtest.Fault{Match: "GET /content/" + id + "/jobs", Hang: true}))
	collect(c.Apply(ctx, id, actions))
	s.ClearFaults()

	// A wrong token, and a platform that is not there.
	wrong := vaultstream.NewClient(s.URL(), secretToken+"_old")
	_, err = wrong.Fetch(ctx, id)
	errs = append(errs, err)
	closed := vaultstreamtest.NewServer(vaultstreamtest.WithToken(secretToken))
	closed.Close()
	_, err = vaultstream.NewClient(closed.URL(), secretToken).Fetch(ctx, id)
	errs = append(errs, err)

	require.Greater(t, len(errs), 10)
	for _, err := range errs {
		require.Error(t, err)
		require.NotContains(t, err.Error(), secretToken)
		require.NotContains(t, fmt.Sprintf("%+v", err), secretToken)
		if u := errors.Unwrap(err); u != nil {
			require.NotContains(t, u.Error(), secretToken)
		}
	}
	redacted := 0
	for _, err := range errs {
		if strings.Contains(err.Error(), "[redacted]") {
			redacted++
		}
	}
	require.Positive(t, redacted, "the echoed token was redacted")
	require.Equal(t, "Bearer "+secretToken, s.Requests()[0].Header.Get("Authorization"))
}

func TestWithHTTPClient(t *testing.T) {
	s := newSim(t)
	id := s.AddContent(vaultstreamtest.Content{Title: "x"})
	var n atomic.Int32
	hc := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	got, err := vaultstream.NewClient(s.URL()+"/", s.Token(), adapters.WithHTTPClient(hc)).Fetch(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, "x", got.Title)
	require.Equal(t, int32(1), n.Load())
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestConcurrentApply(t *testing.T) {
	t.Parallel() // its own simulator; it waits on latencies or timeouts
	s := newSim(t)
	hr := s.AddTeam("HR")
	c := newClient(s)
	actions := adapters.Actions(trainingPlan())
	ids := make([]string, 16)
	for i := range ids {
		ids[i] = s.AddContent(vaultstreamtest.Content{Tags: []string{"draft"}})
	}
	var wg sync.WaitGroup
	results := make([][]adapters.Result, len(ids))
	for i, id := range ids {
		wg.Go(func() { results[i] = c.Apply(context.Background(), id, actions) })
	}
	wg.Wait()
	folders := s.Folders()
	require.Len(t, folders, 1, "one Training folder, however many raced to create it")
	lookups := map[string]int{}
	for _, r := range s.Requests() {
		if r.Path == "/folders" || r.Path == "/teams" {
			lookups[r.String()]++
		}
	}
	require.Equal(t, map[string]int{"GET /folders": 1, "POST /folders": 1, "GET /teams": 1}, lookups,
		"applies racing for a folder and a team look each up once")
	for i, id := range ids {
		for _, r := range results[i] {
			require.Equal(t, adapters.Applied, r.Outcome, "%s %s: %v", id, r.Action, r.Err)
		}
		got, _ := s.Content(id)
		require.Equal(t, folders[0].ID, got.FolderID)
		require.Equal(t, []vaultstreamtest.Permission{{TeamID: hr, Permission: "view"}}, got.Permissions)
	}
	require.Len(t, s.Jobs(), 2*len(ids))

	s.Reset()
	for i, id := range ids {
		wg.Go(func() { results[i] = c.Apply(context.Background(), id, actions) })
	}
	wg.Wait()
	for i := range ids {
		for _, r := range results[i] {
			require.Equal(t, adapters.Unchanged, r.Outcome)
		}
	}
	require.Empty(t, s.Writes())
}

func TestConformance(t *testing.T) {
	adapterstest.Exercise(t, func(t *testing.T) adapterstest.Harness {
		s := newSim(t)
		id := s.AddContent(vaultstreamtest.Content{Title: "Onboarding 101", Tags: []string{"draft"}})
		return adapterstest.Harness{Client: newClient(s), ContentID: id, MissingID: "c_missing", Folder: "Training",
			Writes: func() int { return len(s.Writes()) },
			Supported: []adapters.ActionKind{adapters.SetFolder, adapters.SetVisibility, adapters.AddTag,
				adapters.RemoveTag, adapters.Grant, adapters.SetMetadata, adapters.Derive}}
	})
}
