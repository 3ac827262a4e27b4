package vaultstream_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
)

// TestDecodeEveryEventType decodes one payload of each of the guide's eight
// event types, built from its table of fields, as VaultStream signs them.
func TestDecodeEveryEventType(t *testing.T) {
	want := map[string]struct{ content, title, field string }{
		"content.uploaded":   {"c_1001", "Onboarding 101: Security basics", "size_bytes"},
		"content.transcoded": {"c_1001", "", "duration_seconds"},
		"content.deleted":    {"c_1001", "", "deleted_by"},
		"content.updated":    {"c_1001", "", "changed_fields"},
		"playback.started":   {"c_1001", "", "session_id"},
		"playback.completed": {"c_1001", "", "watch_time_seconds"},
		"user.provisioned":   {"", "", "email"},
		"user.deactivated":   {"", "", "user_id"},
	}
	p := vaultstream.New("whsec_test")
	require.ElementsMatch(t, vaultstream.EventTypes, keys(want))
	for _, typ := range vaultstream.EventTypes {
		body, err := os.ReadFile(filepath.Join("testdata", typ+".json"))
		require.NoError(t, err)
		h := http.Header{"Vaultstream-Signature": {vaultstream.Verifier().SignatureHeader("whsec_test", body)}}
		ev, err := p.Decode(h, body)
		require.NoError(t, err, typ)
		w := want[typ]
		require.Equal(t, typ, ev.Type)
		require.Equal(t, "vaultstream", ev.Provider)
		require.Equal(t, w.content, ev.Content.ID, typ)
		require.Equal(t, w.title, ev.Content.Title, typ)
		require.Contains(t, ev.Data, w.field, typ)
		require.Equal(t, adapters.EventID("vaultstream", body), ev.ID, "the same bytes are the same event")
	}
}

func TestDecodeRejects(t *testing.T) {
	body, err := os.ReadFile("testdata/content.transcoded.json")
	require.NoError(t, err)
	p := vaultstream.New("whsec_test")
	sig := vaultstream.Verifier().SignatureHeader("whsec_test", body)
	flipped := append([]byte{}, body...)
	flipped[len(flipped)/2] ^= 1
	for name, c := range map[string]struct {
		h    http.Header
		body []byte
		want error
	}{
		"flipped byte":   {http.Header{"Vaultstream-Signature": {sig}}, flipped, adapters.ErrBadSignature},
		"wrong secret":   {http.Header{"Vaultstream-Signature": {vaultstream.Verifier().SignatureHeader("other", body)}}, body, adapters.ErrBadSignature},
		"missing header": {http.Header{}, body, adapters.ErrMissingSignature},
		"bare hex":       {http.Header{"Vaultstream-Signature": {sig[len("sha256="):]}}, body, adapters.ErrMalformedSignature},
	} {
		_, err := p.Decode(c.h, c.body)
		require.ErrorIs(t, err, c.want, name)
	}
	_, err = vaultstream.New().Decode(http.Header{"Vaultstream-Signature": {sig}}, body)
	require.ErrorIs(t, err, adapters.ErrNoSecret, "without a secret every webhook is refused")

	for name, bad := range map[string]string{
		"not JSON": `{"type": "content.uploaded", `, "a list": `[1, 2]`, "null": `null`, "no type": `{"data": {}}`,
		"data not an object": `{"type": "content.uploaded", "data": "x"}`, "two objects": `{"type":"a","data":{}} {}`,
	} {
		_, err := p.DecodePayload([]byte(bad))
		require.ErrorIs(t, err, adapters.ErrMalformed, name)
	}
}

func keys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A content event (content.*, playback.*) must name its content with a
// string: without one nothing could be organized, and a number is refused
// rather than guessed at. A user.* event has no content.
func TestDecodeRequiresContentID(t *testing.T) {
	p := vaultstream.New("whsec_test")
	for _, typ := range vaultstream.EventTypes {
		if !vaultstream.IsContentEvent(typ) {
			continue
		}
		for name, c := range map[string]struct{ data, msg string }{
			"missing":   {`{"title": "x"}`, `needs "data.content_id"`},
			"null":      {`{"content_id": null}`, `needs "data.content_id"`},
			"empty":     {`{"content_id": ""}`, `"data.content_id" of a ` + typ + ` event is empty`},
			"blank":     {`{"content_id": "  "}`, `is empty`},
			"a number":  {`{"content_id": 1001}`, `"data.content_id" of a ` + typ + ` event must be a string, not a number`},
			"a boolean": {`{"content_id": true}`, `must be a string`},
			"an object": {`{"content_id": {"id": "c_1"}}`, `must be a string, not an object`},
			"a list":    {`{"content_id": ["c_1"]}`, `must be a string, not a list`},
		} {
			body := []byte(`{"type": "` + typ + `", "data": ` + c.data + `}`)
			_, err := p.DecodePayload(body)
			require.ErrorIs(t, err, adapters.ErrMalformed, "%s %s", typ, name)
			require.ErrorContains(t, err, c.msg, "%s %s", typ, name)
			h := http.Header{"Vaultstream-Signature": {vaultstream.Verifier().SignatureHeader("whsec_test", body)}}
			_, err = p.Decode(h, body)
			require.ErrorIs(t, err, adapters.ErrMalformed, "%s %s", typ, name)
		}
	}
	for _, typ := range []string{"user.provisioned", "user.deactivated", "billing.renewed"} {
		ev, err := p.DecodePayload([]byte(`{"type": "` + typ + `", "data": {"content_id": 7}}`))
		require.NoError(t, err, "%s is not a content event", typ)
		require.Empty(t, ev.Content.ID, typ)
	}
	require.False(t, vaultstream.IsContentEvent("user.provisioned"))
	require.True(t, vaultstream.IsContentEvent("playback.started"))
}
