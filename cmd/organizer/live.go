package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// apiClient returns the provider's API client from the environment
// (ORGANIZER_<PROVIDER>_API_URL and _API_TOKEN), or an error saying what to set.
func apiClient(provider string) (adapters.Client, error) {
	if !slices.Contains(providerNames, provider) {
		return nil, fmt.Errorf("unknown provider %q (known: %s)", provider, strings.Join(providerNames, ", "))
	}
	p := envProviders()[provider]
	if p.APIURL == "" || p.Token == "" {
		prefix := "ORGANIZER_" + strings.ToUpper(provider) + "_API_"
		return nil, fmt.Errorf("fetching from %s needs %sURL and %sTOKEN in the environment", provider, prefix, prefix)
	}
	c, _ := newClient(provider, p.APIURL, p.Token)
	return c, nil
}

// fetchEvent builds an event of the given type for an item as the platform
// has it now: a read, never a write.
func fetchEvent(ctx context.Context, provider, contentID, typ string) (engine.Event, error) {
	client, err := apiClient(provider)
	if err != nil {
		return engine.Event{}, err
	}
	content, err := client.Fetch(ctx, contentID)
	if err != nil {
		return engine.Event{}, fmt.Errorf("fetching %s from %s: %w", contentID, provider, err)
	}
	return engine.Event{ID: "dry-run", Provider: provider, Type: typ, Content: content, Data: map[string]any{}}, nil
}
