package adapters

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"

	"github.com/organizer-dev/organizer/engine"
)

// Provider is one video platform as far as its webhooks go: it verifies
// them, decodes them into engine events, and says which event types it
// sends and which actions it cannot perform.
type Provider interface {
	// Name is the provider's name in URLs and rule files: vaultstream, shift72.
	Name() string
	// EventTypes are the event types the platform sends.
	EventTypes() []string
	// Unsupported are the actions the platform's API cannot perform.
	Unsupported() []string
	// Decode verifies a webhook's signature, then decodes its body.
	Decode(header http.Header, body []byte) (engine.Event, error)
	// DecodePayload decodes a body without checking a signature, for
	// dry-runs and rule tests of payloads a person wrote down.
	DecodePayload(body []byte) (engine.Event, error)
}

// QuerySources is implemented by a Provider whose API client is a Querier:
// Sources names each source a sweep can query and the params it takes, such
// as {"catalog": {"created_before", "created_after"}}. The client's Query
// takes exactly these.
type QuerySources interface {
	Sources() map[string][]string
}

// DocumentedPayloads is implemented by a Provider that knows the fields of
// its webhooks' data per event type, so that check can warn about a rule
// reading a field that is not there.
type DocumentedPayloads interface {
	PayloadFields() map[string][]string
}

// Registry holds the providers organizer knows, by name.
type Registry struct {
	providers []Provider
}

// Register adds a provider; a second provider with the same name is an error.
func (r *Registry) Register(p Provider) error {
	if _, ok := r.Lookup(p.Name()); ok {
		return fmt.Errorf("provider %q is registered twice", p.Name())
	}
	r.providers = append(r.providers, p)
	return nil
}

// Lookup returns the provider with the given name.
func (r *Registry) Lookup(name string) (Provider, bool) {
	i := slices.IndexFunc(r.providers, func(p Provider) bool { return p.Name() == name })
	if i < 0 {
		return nil, false
	}
	return r.providers[i], true
}

// Names returns the registered providers' names, in registration order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.providers))
	for i, p := range r.providers {
		out[i] = p.Name()
	}
	return out
}

// Sources returns the query sources of the named provider, and false when
// it is unknown or has none.
func (r *Registry) Sources(provider string) (map[string][]string, bool) {
	p, ok := r.Lookup(provider)
	if !ok {
		return nil, false
	}
	qs, ok := p.(QuerySources)
	if !ok {
		return nil, false
	}
	return qs.Sources(), true
}

// CompileOptions declares every provider, with its event types, the
// actions it cannot perform, for a QuerySources the sources its schedules
// may query and, for a DocumentedPayloads, its payloads' fields, to
// engine.Load and engine.LoadFiles.
func (r *Registry) CompileOptions() []engine.Option {
	var opts []engine.Option
	for _, p := range r.providers {
		opts = append(opts, engine.EventTypes(p.EventTypes()...), engine.Provider(p.Name(), p.Unsupported()...))
		if qs, ok := p.(QuerySources); ok {
			opts = append(opts, engine.ProviderSources(p.Name(), qs.Sources()))
		}
		if dp, ok := p.(DocumentedPayloads); ok {
			opts = append(opts, engine.PayloadFields(p.Name(), dp.PayloadFields()))
		}
	}
	return opts
}

// DecodePayload decodes a payload with the named provider, as rule tests and
// dry-runs need it.
func (r *Registry) DecodePayload(provider string, payload []byte) (engine.Event, error) {
	p, ok := r.Lookup(provider)
	if !ok {
		return engine.Event{}, fmt.Errorf("unknown provider %q (known: %v)", provider, r.Names())
	}
	return p.DecodePayload(payload)
}

// EventID derives an event's id from its provider and raw body: neither
// platform sends a delivery id, so a redelivery of the same bytes is the
// same event.
func EventID(provider string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write(body)
	return provider + "_" + hex.EncodeToString(h.Sum(nil))[:32]
}
