package shift72_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
)

// TestDecodeDocumentedExamples decodes every example payload of SHIFT72's
// webhook documentation, kept verbatim in testdata/, signed as SHIFT72 signs.
func TestDecodeDocumentedExamples(t *testing.T) {
	p := shift72.New("hook_secret")
	check := map[string]func(t *testing.T, data map[string]any){
		"ingestion_updated-1.json": func(t *testing.T, data map[string]any) {
			updates := data["updates"].([]any)
			require.Len(t, updates, 1)
			u := updates[0].(map[string]any)
			require.Nil(t, u["drm_key_widevine"], "null DRM keys stay null")
			require.Equal(t, "trailer_mp4", u["content_encoding"])
			require.Equal(t, 1024.0, u["width"])
			require.Equal(t, "completed", data["status"])
		},
		"ingestion_updated-2.json": func(t *testing.T, data map[string]any) {
			require.GreaterOrEqual(t, len(data["updates"].([]any)), 3)
			require.Equal(t, false, data["publish"])
		},
		"screener_updated-1.json": func(t *testing.T, data map[string]any) { require.Equal(t, "in_progress", data["status"]) },
		"screener_updated-2.json": func(t *testing.T, data map[string]any) { require.Equal(t, "completed", data["status"]) },
		"shopping_order_success-1.json": func(t *testing.T, data map[string]any) {
			require.Equal(t, 99.0, data["userId"])
			require.Equal(t, 11.0, data["orderId"])
			require.Equal(t, 12.99, data["amount"])
			require.Contains(t, data, "external_id2")
			require.Nil(t, data["external_id2"])
		},
		"upload_completed-1.json": func(t *testing.T, data map[string]any) { require.Equal(t, "completed", data["status"]) },
		"upload_started-1.json":   func(t *testing.T, data map[string]any) { require.Equal(t, "claimed", data["status"]) },
	}
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.Len(t, files, len(check))
	types := map[string]bool{}
	for _, f := range files {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		h := http.Header{"X-Shift-Signature": {shift72.Verifier().SignatureHeader("hook_secret", body)}}
		ev, err := p.Decode(h, body)
		require.NoError(t, err, f)
		require.Equal(t, "shift72", ev.Provider)
		require.Equal(t, "/film/176", ev.Content.ID, "%s: the slug, or the item of an order", f)
		require.Equal(t, ev.Type, ev.Data["eventType"])
		check[filepath.Base(f)](t, ev.Data)
		types[ev.Type] = true
	}
	require.Len(t, types, len(shift72.EventTypes), "every documented event type is exercised")
	order, err := p.DecodePayload(mustRead(t, "testdata/shopping_order_success-1.json"))
	require.NoError(t, err)
	require.Equal(t, "The Matrix", order.Content.Title)
}

func TestDecodeRejects(t *testing.T) {
	body := mustRead(t, "testdata/upload_completed-1.json")
	p := shift72.New("hook_secret")
	sig := shift72.Verifier().SignatureHeader("hook_secret", body)
	flipped := append([]byte{}, body...)
	flipped[len(flipped)/2] ^= 1
	for name, c := range map[string]struct {
		h    http.Header
		body []byte
		want error
	}{
		"flipped byte":     {http.Header{"X-Shift-Signature": {sig}}, flipped, adapters.ErrBadSignature},
		"wrong secret":     {http.Header{"X-Shift-Signature": {shift72.Verifier().SignatureHeader("other", body)}}, body, adapters.ErrBadSignature},
		"missing header":   {http.Header{}, body, adapters.ErrMissingSignature},
		"sha256= prefixed": {http.Header{"X-Shift-Signature": {"sha256=" + sig}}, body, adapters.ErrMalformedSignature},
	} {
		_, err := p.Decode(c.h, c.body)
		require.ErrorIs(t, err, c.want, name)
	}
	_, err := p.DecodePayload([]byte(`{"slug": "/film/1"}`))
	require.ErrorIs(t, err, adapters.ErrMalformed, "no eventType")
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

// Every documented event is about one item, named by its slug (an order's
// by item): a missing, empty or non-string one is refused, naming the field.
func TestDecodeRequiresContentSlug(t *testing.T) {
	p := shift72.New("hook_secret")
	for _, typ := range shift72.EventTypes {
		field := shift72.ContentField(typ)
		require.NotEmpty(t, field, typ)
		for name, c := range map[string]struct{ value, msg string }{
			"missing":   {"", `needs "` + field + `"`},
			"null":      {`null`, `needs "` + field + `"`},
			"empty":     {`""`, `"` + field + `" of a ` + typ + ` event is empty`},
			"blank":     {`" "`, `is empty`},
			"a number":  {`176`, `"` + field + `" of a ` + typ + ` event must be a string, not a number`},
			"a boolean": {`false`, `must be a string, not true or false`},
			"an object": {`{"slug": "/film/1"}`, `must be a string, not an object`},
		} {
			body := `{"eventType": "` + typ + `"`
			if c.value != "" {
				body += `, "` + field + `": ` + c.value
			}
			body += `}`
			_, err := p.DecodePayload([]byte(body))
			require.ErrorIs(t, err, adapters.ErrMalformed, "%s %s", typ, name)
			require.ErrorContains(t, err, c.msg, "%s %s", typ, name)
		}
	}
	require.Equal(t, "item", shift72.ContentField("shopping_order_success"))
	_, err := p.DecodePayload([]byte(`{"eventType": "shopping_order_success", "slug": "/film/1"}`))
	require.ErrorContains(t, err, `needs "item"`, "an order is named by its item")
	_, err = p.DecodePayload([]byte(`{"eventType": "upload_started", "item": "/film/1"}`))
	require.ErrorContains(t, err, `needs "slug"`)

	ev, err := p.DecodePayload([]byte(`{"eventType": "catalog_changed", "slug": 5}`))
	require.NoError(t, err, "an undocumented type is kept (as ignored) whatever it carries")
	require.Empty(t, ev.Content.ID)
	ev, err = p.DecodePayload([]byte(`{"eventType": "catalog_changed", "item": "/film/2"}`))
	require.NoError(t, err)
	require.Equal(t, "/film/2", ev.Content.ID)
}
