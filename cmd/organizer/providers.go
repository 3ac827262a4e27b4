package main

import (
	"os"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/engine"
)

// providers registers the platforms organizer knows, with their webhook
// secrets from the environment (unset: every webhook is refused).
func providers() *adapters.Registry {
	var r adapters.Registry
	for _, p := range []adapters.Provider{
		vaultstream.New(os.Getenv("ORGANIZER_VAULTSTREAM_WEBHOOK_SECRET")),
		shift72.New(os.Getenv("ORGANIZER_SHIFT72_WEBHOOK_SECRET")),
	} {
		if err := r.Register(p); err != nil {
			panic(err) // two built-in providers with one name is a programming error
		}
	}
	return &r
}

// compileOptions declares the providers, the event types they send and the
// actions they cannot perform, so that check catches a misspelled event type
// and an action a provider cannot perform.
func compileOptions() []engine.Option {
	return providers().CompileOptions()
}
