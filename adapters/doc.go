// Package adapters is the seam between organizer and the video platforms:
// decoding and verifying webhooks into engine events, fetching content for
// enrichment, and applying plans through each platform's API. Each provider
// lives in its own sub-package. The adapters themselves arrive with issue 3;
// until then organizer evaluates rules but applies nothing.
package adapters
