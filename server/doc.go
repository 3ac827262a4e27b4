// Package server is the running organizer service.
//
// A webhook is verified over its raw bytes, decoded, and stored with its
// job in one transaction before it is answered (writer.go: group commit,
// one transaction for the writes that arrive together). River runs the
// jobs on the same database, SQLite by default or PostgreSQL shared by
// several replicas (backend.go: one code path, two drivers). Each event is
// enriched from its platform, evaluated with the ruleset in force
// (rulewatch), its decision recorded, its actions applied idempotently and
// the results recorded (pipeline.go); failures snooze, back off or
// dead-letter. The decision log lives in the service's own table
// (store.go, schema.go) and is served by the admin API (api.go) with
// probes and Prometheus metrics (http.go, metrics.go).
package server
