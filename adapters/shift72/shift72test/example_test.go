package shift72test_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

// A test seeds a bundle, lets the code under test call the API, and checks
// the state and the writes.
func Example() {
	s := shift72test.NewServer()
	defer s.Close()
	id := s.AddBundle("Five for $5", shift72test.StatusPublished, "/film/104")

	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/services/meta/v1/bundles/%d/items", s.URL(), id),
		strings.NewReader(`["/film/104","/film/52"]`))
	req.Header.Set("X-Auth-Token", shift72test.AdminToken)
	resp, err := s.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	b, _ := s.Bundle(id)
	fmt.Println(resp.StatusCode, string(body))
	fmt.Println(b.Items, len(s.Writes()))
	// Output:
	// 200 ["/film/104","/film/52"]
	// [/film/104 /film/52] 1
}
