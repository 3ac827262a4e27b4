// Package shift72test is an in-memory SHIFT72 API simulator for tests and
// load tools, in the spirit of net/http/httptest.
//
// A Server answers the documented routes of SHIFT72's meta, pricing,
// content and users services (docs/providers.md lists them) over real
// HTTP: X-Auth-Token authentication with an empty-bodied 401, films and TV
// seasons by show_multiple (unknown ids left out, never a 404), bundles whose
// PUT items replaces the whole ordered list, read-only featured collections,
// geo-block rules, availabilities, the admin check (bouncer) and sign-in.
// Every other path, including the writes SHIFT72 does not publish (bundle
// creation, tags, publishing), answers 404 {"error":"The resource does not
// exist."}, so an adapter cannot come to rely on an endpoint that does not
// exist. Responses are JSON; X-Bypass-Cache is
// accepted and ignored.
//
// Admin routes (bouncer, bundle get and PUT items, geo_block) need the admin
// token, AdminToken unless WithAdminToken says otherwise; any other token (a
// plain user's, as from WithSignIn, or a wrong one) or none gets 401, as the
// bouncer docs say. Public routes serve anyone, treating any token but the
// admin's as the public, and show drafts and bundle statuses to the admin
// only.
//
// Tests seed the state (AddFilm, AddSeason, AddBundle, ...), read it back for
// assertions (Bundle, GeoRules, ...), inspect the request log (Requests,
// Writes, Reset), inject latency and scripted faults (429 with Retry-After,
// 5xx, hangs, 404), a fail rate (SetFailRate: 503 at random) and a rate
// limit (SetRateLimit: 429 with Retry-After), and send correctly signed
// webhooks (SendWebhook).
// NewUnstartedServer and Handler serve the simulator on an address of the
// caller's choosing, for load tools.
package shift72test
