package server

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/engine"
)

// EventLog is a store's decision log opened for reading only, beside a
// service that may be running on it: organizer impact reads the logged
// events and the recorded rulesets through it. It takes no lock, migrates
// nothing and writes nothing.
type EventLog struct {
	q     querier
	reg   *adapters.Registry
	close func()
}

// OpenEventLog opens the store of a service for reading: the SQLite file
// in dataDir, read-only, or the PostgreSQL at storeURL (when not empty)
// in read-only transactions. reg decodes the stored webhooks.
func OpenEventLog(ctx context.Context, dataDir, storeURL string, reg *adapters.Registry) (*EventLog, error) {
	if storeURL != "" {
		return openPostgresLog(ctx, storeURL, reg)
	}
	return openSQLiteLog(ctx, filepath.Join(dataDir, sqliteFile), reg)
}

// openSQLiteLog opens the file read-only, without the serve lock: SQLite's
// write-ahead log lets it read while the service writes.
func openSQLiteLog(ctx context.Context, path string, reg *adapters.Registry) (*EventLog, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no store at %s (is --data the directory organizer serve uses?): %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &EventLog{q: sqlQuerier{db}, reg: reg, close: func() { _ = db.Close() }}, nil
}

// openPostgresLog connects with every transaction read-only.
func openPostgresLog(ctx context.Context, url string, reg *adapters.Registry) (*EventLog, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("reading the PostgreSQL URL %s: %w", RedactURL(url), err)
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %w", RedactURL(url), err)
	}
	return &EventLog{q: pgxQuerier{pool}, reg: reg, close: pool.Close}, nil
}

// Close releases the connections.
func (l *EventLog) Close() { l.close() }

// LatestRuleset returns the ruleset the service loaded last, or
// ErrNoRecordedRuleset.
func (l *EventLog) LatestRuleset(ctx context.Context) (RecordedRuleset, error) {
	return latestRuleset(ctx, l.q)
}

// Impact re-decides the logged events of w with current and with proposed
// and reports what differs. No provider is called; nothing is written.
func (l *EventLog) Impact(ctx context.Context, current, proposed *engine.Ruleset, w ImpactWindow) (*ImpactReport, error) {
	return previewImpact(ctx, l.q, l.reg, current, proposed, w)
}
