// Package vaultstreamtest is a VaultStream API simulator for tests and load
// tools, in the spirit of net/http/httptest: an in-memory platform that
// answers every path of the contract in ../API.md with its exact JSON shapes,
// status codes and error bodies.
//
// NewServer starts it on a loopback port; New builds one without a listener,
// to serve its Handler on an address of one's choosing. Seed it with
// AddContent, AddFolder and AddTeam, point a client at URL with the bearer
// token of WithToken (DefaultToken otherwise), and assert on its state
// (Content, Folders, Jobs) and on its request log (Requests, Writes).
//
// Faults can be injected while it runs: a latency for every request
// (SetLatency), a queue of scripted failures (Fail): 429 with Retry-After,
// 5xx, 404, or a hang until the client gives up; a fraction of requests
// failing with 503 at random (SetFailRate) and a rate limit answering 429
// with Retry-After (SetRateLimit).
//
// SendWebhook posts a webhook signed as VaultStream signs them.
package vaultstreamtest
