package main

import (
	"os"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/server"
)

// providerNames are the platforms organizer knows.
var providerNames = []string{vaultstream.Name, shift72.Name}

// envProviders are the platforms' settings from the environment, read as
// serve reads them (server.Config.LoadEnv).
func envProviders() map[string]server.ProviderConfig {
	var c server.Config
	c.LoadEnv(os.Getenv, providerNames...)
	return c.Providers
}

// providers registers the platforms organizer knows, with their webhook
// secrets from the environment (unset: every webhook is refused).
func providers() *adapters.Registry {
	env := envProviders()
	return registry(func(name string) string { return env[name].Secret })
}

// registry registers the platforms with the webhook secret setting of each:
// one secret, or a comma-separated list while rotating, any of which may
// sign a webhook (server.SplitSecrets).
func registry(secret func(provider string) string) *adapters.Registry {
	var r adapters.Registry
	for _, p := range []adapters.Provider{
		vaultstream.New(server.SplitSecrets(secret(vaultstream.Name))...),
		shift72.New(server.SplitSecrets(secret(shift72.Name))...),
	} {
		if err := r.Register(p); err != nil {
			panic(err) // two built-in providers with one name is a programming error
		}
	}
	return &r
}

// newClient returns a platform's API client.
func newClient(provider, url, token string) (adapters.Client, bool) {
	switch provider {
	case vaultstream.Name:
		return vaultstream.NewClient(url, token), true
	case shift72.Name:
		return shift72.NewClient(url, token), true
	}
	return nil, false
}

// compileOptions declares the providers, the event types they send and the
// actions they cannot perform, so that check catches a misspelled event type
// and an action a provider cannot perform.
func compileOptions() []engine.Option {
	return providers().CompileOptions()
}
