package vaultstreamtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// created is the creation time the tests seed.
var created = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// newServer starts a simulator closed with the test, seeded with the
// guide's example: content c_1001 in folder Training, team HR.
func newServer(t *testing.T, opts ...vaultstreamtest.Option) (*vaultstreamtest.Server, seed) {
	t.Helper()
	s := vaultstreamtest.NewServer(opts...)
	t.Cleanup(s.Close)
	var sd seed
	sd.folder = s.AddFolder("Training")
	sd.team = s.AddTeam("HR")
	s.AddContent(vaultstreamtest.Content{ID: "c_1001", Title: "Onboarding 101",
		Metadata: map[string]any{"department": "HR"}, FolderID: sd.folder, Visibility: "private",
		Tags: []string{"training"}, Permissions: []vaultstreamtest.Permission{{TeamID: sd.team, Permission: "view"}},
		DurationSeconds: 754, CreatedAt: created})
	return s, sd
}

type seed struct{ folder, team string }

// answer is a response, its body decoded.
type answer struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// code is the error body's code, "" when there is none.
func (a answer) code() string {
	e, _ := a.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// message is the error body's message.
func (a answer) message() string {
	e, _ := a.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// call sends a request with the server's token; body is sent as is when it
// is a string, as JSON otherwise.
func call(t *testing.T, s *vaultstreamtest.Server, method, path string, body any) answer {
	t.Helper()
	return callAs(t, s, "Bearer "+s.Token(), method, s.URL()+path, body)
}

func callAs(t *testing.T, s *vaultstreamtest.Server, auth, method, url string, body any) answer {
	t.Helper()
	resp, err := send(auth, method, url, body, http.DefaultClient)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"), "%s %s", method, url)
	require.NoError(t, json.Unmarshal(raw, &a.body), "%s %s: %s", method, url, raw)
	return a
}

// send sends a request and returns the response unread.
func send(auth, method, url string, body any, client *http.Client) (*http.Response, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return nil, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	return client.Do(req)
}
