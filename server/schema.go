package server

import (
	"context"
	"fmt"
)

// The service's own tables, beside River's. organizer_events is the inbox
// (one row per distinct webhook, its id unique, so a redelivery is a no-op)
// and the decision log (the decision, per-action results, attempts).
// Columns never hold NULL, so both drivers scan them the same way.

var (
	sqliteSchema   = schema("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "BLOB")
	postgresSchema = append(schema("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BIGINT", "BYTEA"),
		// The replicas, each with the key of the advisory lock it holds
		// while it runs (liveness.go).
		`CREATE SEQUENCE IF NOT EXISTS organizer_worker_keys`,
		`CREATE TABLE IF NOT EXISTS organizer_workers (
	id         TEXT    NOT NULL PRIMARY KEY,
	lock_key   INTEGER NOT NULL,
	started_at BIGINT  NOT NULL
)`)
)

// schema is the tables' DDL with each database's names for an
// auto-increment key, a 64-bit integer and a byte string.
func schema(serial, int64, bytes string) []string {
	return []string{`
CREATE TABLE IF NOT EXISTS organizer_events (
	seq         ` + serial + `,
	id          TEXT    NOT NULL UNIQUE,
	provider    TEXT    NOT NULL,
	type        TEXT    NOT NULL,
	content_id  TEXT    NOT NULL,
	received_at ` + int64 + ` NOT NULL,
	payload     ` + bytes + ` NOT NULL,
	status      TEXT    NOT NULL,
	generation  INTEGER NOT NULL DEFAULT 0,
	attempts    INTEGER NOT NULL DEFAULT 0,
	ruleset     TEXT    NOT NULL DEFAULT '',
	decision    TEXT    NOT NULL DEFAULT '',
	results     TEXT    NOT NULL DEFAULT '',
	error       TEXT    NOT NULL DEFAULT '',
	updated_at  ` + int64 + ` NOT NULL,
	reason      TEXT    NOT NULL DEFAULT '',
	decided_at  ` + int64 + ` NOT NULL DEFAULT 0
)`,
		`CREATE INDEX IF NOT EXISTS organizer_events_content ON organizer_events (provider, content_id, seq)`,
		`CREATE INDEX IF NOT EXISTS organizer_events_status ON organizer_events (status, seq)`,
		// The events still pending, by item: what a job looks at to keep
		// one item's events in arrival order.
		// One row per notification of an event's decision: what became of
		// its delivery.
		`CREATE TABLE IF NOT EXISTS organizer_notifications (
	event_id    TEXT    NOT NULL,
	generation  INTEGER NOT NULL,
	idx         INTEGER NOT NULL,
	destination TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	error       TEXT    NOT NULL DEFAULT '',
	updated_at  ` + int64 + ` NOT NULL,
	PRIMARY KEY (event_id, generation, idx)
)`,
		// One row per run of a schedule, keyed by schedule and tick (or a
		// manual run's id): the first replica to insert a tick's row runs it.
		`CREATE TABLE IF NOT EXISTS organizer_sweeps (
	run_id      TEXT    NOT NULL PRIMARY KEY,
	schedule    TEXT    NOT NULL,
	tick        ` + int64 + ` NOT NULL,
	manual      INTEGER NOT NULL DEFAULT 0,
	status      TEXT    NOT NULL,
	started_at  ` + int64 + ` NOT NULL DEFAULT 0,
	finished_at ` + int64 + ` NOT NULL DEFAULT 0,
	updated_at  ` + int64 + ` NOT NULL,
	items       INTEGER NOT NULL DEFAULT 0,
	changed     INTEGER NOT NULL DEFAULT 0,
	unchanged   INTEGER NOT NULL DEFAULT 0,
	failed      INTEGER NOT NULL DEFAULT 0,
	message     TEXT    NOT NULL DEFAULT ''
)`,
		`CREATE INDEX IF NOT EXISTS organizer_sweeps_schedule ON organizer_sweeps (schedule, updated_at)`,
		// The decision log's history: a decision an event's replay,
		// approval, rejection or revert superseded, kept as it was. The
		// current decision stays on the event's row; an event decided once
		// has no row here.
		`CREATE TABLE IF NOT EXISTS organizer_decisions (
	event_id    TEXT    NOT NULL,
	generation  INTEGER NOT NULL,
	reason      TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	ruleset     TEXT    NOT NULL,
	decided_at  ` + int64 + ` NOT NULL,
	decision    TEXT    NOT NULL,
	results     TEXT    NOT NULL,
	PRIMARY KEY (event_id, generation)
)`,
		// One row: the time of the last readiness probe, a write that
		// shows the store takes writes (health.go).
		`CREATE TABLE IF NOT EXISTS organizer_heartbeat (
	id INTEGER NOT NULL PRIMARY KEY,
	at ` + int64 + ` NOT NULL
)`,
		`CREATE INDEX IF NOT EXISTS organizer_events_pending ON organizer_events (provider, content_id, seq) WHERE status IN ('queued', 'retrying')`,
		// The events of a time window, newest first: what an impact
		// preview re-decides.
		`CREATE INDEX IF NOT EXISTS organizer_events_received ON organizer_events (received_at)`,
		// One row per ruleset the service has loaded (at start or on a
		// reload), its rule files as JSON (path → text): what organizer
		// impact compares a proposed edit with when no service is asked.
		`CREATE TABLE IF NOT EXISTS organizer_rulesets (
	digest      TEXT    NOT NULL PRIMARY KEY,
	files       TEXT    NOT NULL,
	loaded_at   ` + int64 + ` NOT NULL
)`,
		`CREATE INDEX IF NOT EXISTS organizer_rulesets_loaded ON organizer_rulesets (loaded_at)`,
	}
}

// addedColumn is a column a later version added to a table that an older
// store already has: CREATE TABLE IF NOT EXISTS does not add it there.
type addedColumn struct{ table, column, ddl string }

// addedColumns lists them, oldest first. The DDL is the same for both
// databases.
var addedColumns = []addedColumn{
	{"organizer_events", "reason", `TEXT NOT NULL DEFAULT ''`},
	{"organizer_events", "decided_at", `BIGINT NOT NULL DEFAULT 0`},
}

// addColumns adds the columns an older store lacks, probing for each.
func addColumns(ctx context.Context, q querier) error {
	for _, c := range addedColumns {
		if r, err := q.query(ctx, `SELECT `+c.column+` FROM `+c.table+` LIMIT 0`); err == nil {
			r.Close()
			continue
		}
		if _, err := q.exec(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.column+` `+c.ddl); err != nil {
			return fmt.Errorf("adding %s.%s: %w", c.table, c.column, err)
		}
	}
	return nil
}
