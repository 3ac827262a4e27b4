package shift72

// PayloadFields are the top-level fields of each webhook event's body, as
// SHIFT72's webhook documentation lists them (testdata holds its examples).
// The whole body is the event's data, so rules read them as data.<field>.
var PayloadFields = map[string][]string{
	"upload_started":    {"eventType", "uploadToken", "slug", "eventDatetime", "status"},
	"upload_completed":  {"eventType", "uploadToken", "slug", "eventDatetime", "status"},
	"ingestion_updated": {"eventType", "notify", "slug", "publish", "status", "updates"},
	"screener_updated":  {"eventType", "token", "slug", "status"},
	"shopping_order_success": {"eventType", "userId", "orderId", "item", "title", "amount", "currency",
		"ownership", "quality", "external_id", "external_id2"},
}

// PayloadFields implements adapters.DocumentedPayloads.
func (p *Provider) PayloadFields() map[string][]string { return PayloadFields }
