// Package adapters is the seam between organizer and the video platforms:
// verifying and decoding webhooks into engine events (Provider, Registry,
// HMACVerifier), reading content for enrichment and applying plans through
// each platform's API (Client, StateReader, Action, Result, CallError), and
// listing content for sweeps (Querier, Item). Each platform lives in its
// own sub-package with its API simulator beside it (vaultstream and
// vaultstreamtest, shift72 and shift72test); adapterstest is the
// conformance suite every client passes, and notify delivers the rules'
// notify actions under a destination policy.
package adapters
