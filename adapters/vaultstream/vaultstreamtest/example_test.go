package vaultstreamtest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// A test seeds the simulator, calls it as the adapter would, then asserts
// on its state and its request log.
func ExampleNewServer() {
	s := vaultstreamtest.NewServer(vaultstreamtest.WithToken("tok"))
	defer s.Close()
	training := s.AddFolder("Training")
	s.AddContent(vaultstreamtest.Content{ID: "c_1001", Title: "Onboarding 101"})

	req, _ := http.NewRequest(http.MethodPatch, s.URL()+"/content/c_1001",
		strings.NewReader(`{"folder_id": "`+training+`", "visibility": "team"}`))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	c, _ := s.Content("c_1001")
	fmt.Println(resp.StatusCode, c.FolderID, c.Visibility)
	for _, w := range s.Writes() {
		fmt.Println(w, w.Status)
	}
	// Output:
	// 200 f_1 team
	// PATCH /content/c_1001 200
}
