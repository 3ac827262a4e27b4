package main

import "github.com/organizer-dev/organizer/engine"

// compileOptions declares the providers and the event types they send
// (SPEC section 3), so that check catches a misspelled event type and an
// action a provider cannot perform.
func compileOptions() []engine.Option {
	return []engine.Option{
		engine.EventTypes(
			"content.uploaded", "content.transcoded", "content.deleted", "content.updated",
			"playback.started", "playback.completed", "user.provisioned", "user.deactivated",
			"upload_started", "upload_completed", "ingestion_updated", "screener_updated", "shopping_order_success",
		),
		engine.Provider("vaultstream"),
		engine.Provider("shift72", "tags", "remove_tags", "visibility", "permissions"),
	}
}
