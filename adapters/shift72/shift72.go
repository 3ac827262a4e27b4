// Package shift72 is the SHIFT72 adapter: its webhooks, signed
// `X-Shift-Signature: <hex>` (no prefix), whose flat JSON bodies name their
// type in eventType and their content by slug (or item, for orders).
package shift72

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// Name is the provider's name.
const Name = "shift72"

// EventTypes are the documented webhook events.
var EventTypes = []string{"upload_started", "upload_completed", "ingestion_updated", "screener_updated", "shopping_order_success"}

// Provider is the SHIFT72 adapter.
type Provider struct {
	verifier adapters.HMACVerifier
}

var _ adapters.Provider = (*Provider)(nil)

// New returns the adapter; webhooks must be signed with one of the secrets.
func New(secrets ...string) *Provider {
	return &Provider{verifier: Verifier(secrets...)}
}

// Verifier returns SHIFT72's signature scheme with the given secrets.
func Verifier(secrets ...string) adapters.HMACVerifier {
	return adapters.HMACVerifier{Header: "X-Shift-Signature", Secrets: secrets}
}

// Name implements adapters.Provider.
func (p *Provider) Name() string { return Name }

// EventTypes implements adapters.Provider.
func (p *Provider) EventTypes() []string { return EventTypes }

// Unsupported implements adapters.Provider: SHIFT72's public API has no
// tags, visibility or per-team permissions (docs/providers.md).
func (p *Provider) Unsupported() []string {
	return []string{"tags", "remove_tags", "visibility", "permissions"}
}

// Decode implements adapters.Provider.
func (p *Provider) Decode(header http.Header, body []byte) (engine.Event, error) {
	if err := p.verifier.Verify(header, body); err != nil {
		return engine.Event{}, err
	}
	return p.DecodePayload(body)
}

// DecodePayload implements adapters.Provider. The whole body is the event's
// data; the content is the slug, or the item of a shopping order. Every
// documented event type is about one content item, so it must name it with
// a non-blank string; an unknown type's slug (or item) is taken when it is
// a string.
func (p *Provider) DecodePayload(body []byte) (engine.Event, error) {
	obj, err := adapters.DecodeObject(body)
	if err != nil {
		return engine.Event{}, err
	}
	typ := adapters.String(obj, "eventType")
	if typ == "" {
		return engine.Event{}, fmt.Errorf("%w: no \"eventType\"", adapters.ErrMalformed)
	}
	var id string
	if field := ContentField(typ); field != "" {
		if id, err = adapters.ContentID(obj, field, field, typ, "the content's slug"); err != nil {
			return engine.Event{}, err
		}
	} else if id = adapters.String(obj, "slug"); id == "" {
		id = adapters.String(obj, "item")
	}
	return engine.Event{
		ID:       adapters.EventID(Name, body),
		Provider: Name,
		Type:     typ,
		Content:  engine.Content{ID: id, Title: adapters.String(obj, "title"), Metadata: map[string]any{}},
		Data:     obj,
	}, nil
}

// ContentField is the field that names the content of a documented event
// type: item for a shopping order, slug for the others; "" for a type
// SHIFT72 does not document.
func ContentField(typ string) string {
	switch {
	case typ == "shopping_order_success":
		return "item"
	case slices.Contains(EventTypes, typ):
		return "slug"
	}
	return ""
}
