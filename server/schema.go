package server

// The service's own tables, beside River's. organizer_events is the inbox
// (one row per distinct webhook, its id unique, so a redelivery is a no-op)
// and the decision log (the decision, per-action results, attempts).
// Columns never hold NULL, so both drivers scan them the same way.

var (
	sqliteSchema   = schema("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "BLOB")
	postgresSchema = schema("BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BIGINT", "BYTEA")
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
	updated_at  ` + int64 + ` NOT NULL
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
		`CREATE INDEX IF NOT EXISTS organizer_events_pending ON organizer_events (provider, content_id, seq) WHERE status IN ('queued', 'retrying')`,
	}
}
