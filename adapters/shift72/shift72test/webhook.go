package shift72test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/organizer-dev/organizer/adapters/shift72"
)

// SignatureHeader is the header SHIFT72 signs webhooks in.
const SignatureHeader = "X-Shift-Signature"

// WebhookBody returns payload as a webhook body: []byte, json.RawMessage
// and string as they are, anything else encoded as JSON.
func WebhookBody(payload any) ([]byte, error) {
	switch p := payload.(type) {
	case []byte:
		return p, nil
	case json.RawMessage:
		return p, nil
	case string:
		return []byte(p), nil
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encoding the webhook payload: %w", err)
	}
	return body, nil
}

// Signature returns the X-Shift-Signature SHIFT72 sends for body: the
// lower-case hex HMAC-SHA256 of the raw body under secret.
func Signature(secret string, body []byte) string {
	return shift72.Verifier().SignatureHeader(secret, body)
}

// NewWebhookRequest returns a POST of payload (see WebhookBody) to url,
// signed as SHIFT72 signs it, with Content-Type: application/json.
func NewWebhookRequest(ctx context.Context, url, secret string, payload any) (*http.Request, error) {
	body, err := WebhookBody(payload)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Signature(secret, body))
	return req, nil
}

// SendWebhook posts payload (see WebhookBody) to url with http.DefaultClient,
// signed with secret as SHIFT72 signs it. The caller closes the response's
// body.
func SendWebhook(ctx context.Context, url, secret string, payload any) (*http.Response, error) {
	req, err := NewWebhookRequest(ctx, url, secret, payload)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

// Event returns a minimal webhook payload of the type about slug, shaped as
// documented: eventType and slug, or item (and title) for a
// shopping_order_success.
func Event(eventType, slug string) map[string]any {
	if eventType == "shopping_order_success" {
		return map[string]any{"eventType": eventType, "item": slug, "title": "Simulated order", "userId": 99, "orderId": 11}
	}
	return map[string]any{"eventType": eventType, "slug": slug, "status": "completed"}
}
