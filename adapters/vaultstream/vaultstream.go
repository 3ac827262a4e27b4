// Package vaultstream is the VaultStream adapter: its webhooks, signed
// `VaultStream-Signature: sha256=<hex>`, with a body of
// {"type": "...", "data": {...}} for the eight event types of VaultStream's
// automation guide.
package vaultstream

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// Name is the provider's name.
const Name = "vaultstream"

// EventTypes are the event types of the guide's table.
var EventTypes = []string{
	"content.uploaded", "content.transcoded", "content.deleted", "content.updated",
	"playback.started", "playback.completed", "user.provisioned", "user.deactivated",
}

// Provider is the VaultStream adapter.
type Provider struct {
	verifier adapters.HMACVerifier
}

var _ adapters.Provider = (*Provider)(nil)

// New returns the adapter; webhooks must be signed with one of the secrets.
func New(secrets ...string) *Provider {
	return &Provider{verifier: Verifier(secrets...)}
}

// Verifier returns VaultStream's signature scheme with the given secrets.
func Verifier(secrets ...string) adapters.HMACVerifier {
	return adapters.HMACVerifier{Header: "VaultStream-Signature", Prefix: "sha256=", Secrets: secrets}
}

// Name implements adapters.Provider.
func (p *Provider) Name() string { return Name }

// EventTypes implements adapters.Provider.
func (p *Provider) EventTypes() []string { return EventTypes }

// Unsupported implements adapters.Provider: VaultStream's API performs every action.
func (p *Provider) Unsupported() []string { return nil }

// Decode implements adapters.Provider.
func (p *Provider) Decode(header http.Header, body []byte) (engine.Event, error) {
	if err := p.verifier.Verify(header, body); err != nil {
		return engine.Event{}, err
	}
	return p.DecodePayload(body)
}

// DecodePayload implements adapters.Provider. The content is data.content_id,
// with data.title when the event carries one. A content event (every type of
// the guide but user.*) must name its content with a non-blank string; a
// user.* event has none, and an unknown type's is taken when it is a string.
func (p *Provider) DecodePayload(body []byte) (engine.Event, error) {
	obj, err := adapters.DecodeObject(body)
	if err != nil {
		return engine.Event{}, err
	}
	typ := adapters.String(obj, "type")
	if typ == "" {
		return engine.Event{}, fmt.Errorf("%w: no \"type\"", adapters.ErrMalformed)
	}
	data, ok := obj["data"].(map[string]any)
	if !ok {
		return engine.Event{}, fmt.Errorf("%w: \"data\" must be an object", adapters.ErrMalformed)
	}
	id := adapters.String(data, "content_id")
	if IsContentEvent(typ) {
		if id, err = adapters.ContentID(data, "content_id", "data.content_id", typ, "the content's id"); err != nil {
			return engine.Event{}, err
		}
	}
	return engine.Event{
		ID:       adapters.EventID(Name, body),
		Provider: Name,
		Type:     typ,
		Content: engine.Content{ID: id, Title: adapters.String(data, "title"),
			Metadata: map[string]any{}},
		Data: data,
	}, nil
}

// IsContentEvent reports whether an event type of the guide is about one
// content item: content.* and playback.*, not user.*.
func IsContentEvent(typ string) bool {
	return slices.Contains(EventTypes, typ) && !strings.HasPrefix(typ, "user.")
}
