// Package adapters is the seam between organizer and the video platforms:
// verifying and decoding webhooks into engine events, fetching content for
// enrichment, and applying plans through each platform's API, with each
// provider in its own sub-package.
//
// So far it holds the webhook signature check both platforms use
// (HMACVerifier); the provider interface and the VaultStream and SHIFT72
// adapters follow (issue 3).
package adapters
