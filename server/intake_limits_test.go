package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// A client that declares an oversize body and waits for "100 Continue"
// before sending it (curl does, for large bodies) gets the 413 at once,
// without sending a byte of the body, on webhooks and on the admin API.
func TestOversizeContentLengthRefusedBefore100Continue(t *testing.T) {
	h := startHarness(t, recordOnly)
	addr := strings.TrimPrefix(h.url, "http://")
	for _, path := range []string{"/webhooks/vaultstream", "/v1/rules/validate", "/v1/dry-run"} {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
		_, err = io.WriteString(conn, "POST "+path+" HTTP/1.1\r\n"+
			"Host: 127.0.0.1\r\n"+
			"Content-Type: application/json\r\n"+
			vaultstreamtest.SignatureHeader+": sha256=00\r\n"+
			"Content-Length: 11534336\r\n"+ // 11 MiB, over the 1 MiB limit
			"Expect: 100-continue\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err, "%s: no answer before the body was sent", path)
		raw, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, "%s: %s", path, raw)
		require.Contains(t, string(raw), `"body_too_large"`)
		require.True(t, resp.Close, "%s: the connection is closed, its body never came", path)
		conn.Close()
	}
	require.Zero(t, h.rows("organizer_events"))
}

// A body without a declared length (chunked) is still cut at the limit.
func TestChunkedBodyOverLimitRefused(t *testing.T) {
	h := startHarness(t, recordOnly)
	body := webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "pad": strings.Repeat("x", 1<<20)})
	req, err := http.NewRequest(http.MethodPost, h.url+"/webhooks/vaultstream",
		io.MultiReader(bytes.NewReader(body))) // no length: sent chunked
	require.NoError(t, err)
	req.Header.Set(vaultstreamtest.SignatureHeader, vaultstreamtest.Sign(testSecret, body))
	req.ContentLength = -1 // unknown: chunked
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	require.Zero(t, h.rows("organizer_events"))

	// Within the limit a chunked body is fine.
	small := webhook(t, "content.uploaded", map[string]any{"content_id": "c_1"})
	req, err = http.NewRequest(http.MethodPost, h.url+"/webhooks/vaultstream", io.MultiReader(bytes.NewReader(small)))
	require.NoError(t, err)
	req.Header.Set(vaultstreamtest.SignatureHeader, vaultstreamtest.Sign(testSecret, small))
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
}

// The same, black-box, with curl: it sends Expect: 100-continue for a large
// body and must get 413 rather than a broken pipe.
func TestOversizeBodyWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("no curl")
	}
	h := startHarness(t, recordOnly)
	big := filepath.Join(t.TempDir(), "big.json")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte("x"), 11<<20), 0o600))
	out, err := exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
		"-H", "Content-Type: application/json", "-H", vaultstreamtest.SignatureHeader+": sha256=00",
		"--data-binary", "@"+big, h.url+"/webhooks/vaultstream").Output()
	require.NoError(t, err, "curl: %s", out)
	require.Equal(t, "413", string(out))
}

// withShift72 also configures SHIFT72's webhooks, signed with the test secret.
func withShift72(c *Config) {
	c.Providers[shift72.Name] = ProviderConfig{Secret: testSecret}
}

// A content event that does not name its content with a string is refused
// with 400 naming the field, and nothing is stored: no event could be
// organized without it, and a later replay would fail the same way.
func TestContentEventWithoutContentIDRefused(t *testing.T) {
	h := startHarness(t, recordOnly, withShift72)
	for name, data := range map[string]map[string]any{
		"missing":  {"title": "Training"},
		"empty":    {"content_id": "", "title": "Training"},
		"a number": {"content_id": 1001, "title": "Training"},
		"null":     {"content_id": nil, "title": "Training"},
	} {
		for _, typ := range []string{"content.uploaded", "playback.completed"} {
			status, body := h.send(webhook(t, typ, data))
			require.Equal(t, http.StatusBadRequest, status, "%s %s: %v", typ, name, body)
			e := body["error"].(map[string]any)
			require.Equal(t, "malformed_body", e["code"], name)
			require.Contains(t, e["message"], `"data.content_id"`, name)
		}
	}
	sendShift72 := func(body string) (int, map[string]any) {
		return h.do(http.MethodPost, "/webhooks/shift72", []byte(body), http.Header{
			"Content-Type":      {"application/json"},
			"X-Shift-Signature": {shift72.Verifier().SignatureHeader(testSecret, []byte(body))},
		})
	}
	for body, field := range map[string]string{
		`{"eventType": "upload_completed", "status": "completed"}`:         `"slug"`,
		`{"eventType": "upload_completed", "slug": ""}`:                    `"slug"`,
		`{"eventType": "ingestion_updated", "slug": 176}`:                  `"slug"`,
		`{"eventType": "shopping_order_success", "item": {"id": 1}}`:       `"item"`,
		`{"eventType": "shopping_order_success", "slug": "/film/1"}`:       `"item"`,
		`{"eventType": "screener_updated", "slug": null, "token": "blon"}`: `"slug"`,
	} {
		status, resp := sendShift72(body)
		require.Equal(t, http.StatusBadRequest, status, "%s: %v", body, resp)
		require.Contains(t, resp["error"].(map[string]any)["message"], field, body)
	}
	require.Zero(t, h.rows("organizer_events"), "nothing is stored for a refused webhook")

	// user.* events have no content; a content event with its id is taken.
	status, _ := h.send(webhook(t, "user.provisioned", map[string]any{"user_id": "u_1", "email": "a@example.com"}))
	require.Equal(t, http.StatusAccepted, status)
	status, _ = h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Training"}))
	require.Equal(t, http.StatusAccepted, status)
	status, _ = sendShift72(`{"eventType": "upload_completed", "slug": "/film/176"}`)
	require.Equal(t, http.StatusAccepted, status)
	require.Equal(t, 3, h.rows("organizer_events"))
}
