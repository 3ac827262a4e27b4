package vaultstream

// PayloadFields are the fields of each event type's data object, as
// VaultStream's automation guide documents them (testdata holds one payload
// of each). Rules read them as data.<field>.
var PayloadFields = map[string][]string{
	"content.uploaded":   {"content_id", "title", "size_bytes", "uploaded_by"},
	"content.transcoded": {"content_id", "variants", "duration_seconds"},
	"content.deleted":    {"content_id", "deleted_by", "deleted_at"},
	"content.updated":    {"content_id", "changed_fields"},
	"playback.started":   {"content_id", "viewer_id", "session_id"},
	"playback.completed": {"content_id", "viewer_id", "watch_time_seconds"},
	"user.provisioned":   {"user_id", "email", "role"},
	"user.deactivated":   {"user_id", "email"},
}

// PayloadFields implements adapters.DocumentedPayloads.
func (p *Provider) PayloadFields() map[string][]string { return PayloadFields }
