package vaultstreamtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/organizer-dev/organizer/adapters/vaultstream"
)

// SignatureHeader is the header VaultStream signs webhooks in.
const SignatureHeader = "VaultStream-Signature"

// Sign returns the VaultStream-Signature value for body signed with
// secret: "sha256=<hex>".
func Sign(secret string, body []byte) string {
	return vaultstream.Verifier().SignatureHeader(secret, body)
}

// WebhookBody returns a webhook's body, {"type": eventType, "data": data}.
// A nil data is sent as {}.
func WebhookBody(eventType string, data map[string]any) ([]byte, error) {
	if data == nil {
		data = map[string]any{}
	}
	body, err := json.Marshal(struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}{eventType, data})
	if err != nil {
		return nil, fmt.Errorf("vaultstreamtest: encoding a %s webhook: %w", eventType, err)
	}
	return body, nil
}

// NewWebhookRequest returns a POST of body to url, signed with secret, for
// sending raw bodies (a testdata file, a tampered body) with one's own
// client.
func NewWebhookRequest(ctx context.Context, url, secret string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("vaultstreamtest: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(secret, body))
	return req, nil
}

// SendWebhook posts a webhook of eventType carrying data to url, signed
// with secret as VaultStream signs them, with http.DefaultClient. The
// caller closes the response's body.
func SendWebhook(ctx context.Context, url, secret, eventType string, data map[string]any) (*http.Response, error) {
	body, err := WebhookBody(eventType, data)
	if err != nil {
		return nil, err
	}
	req, err := NewWebhookRequest(ctx, url, secret, body)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("vaultstreamtest: sending a %s webhook: %w", eventType, err)
	}
	return resp, nil
}
