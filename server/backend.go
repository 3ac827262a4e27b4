package server

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	_ "modernc.org/sqlite" // the embedded store's driver, pure Go
)

// backend is one database holding both the service's tables and River's
// queue: the embedded SQLite file or a shared PostgreSQL. Everything above
// it is the same code for both.
type backend interface {
	// inTx runs fn in one transaction; enqueue inserts River jobs in it,
	// so an event and its job are committed together or not at all.
	inTx(ctx context.Context, fn func(q querier, enqueue enqueueFunc) error) error
	reader() querier // queries of the admin API
	start(ctx context.Context) error
	stop(ctx context.Context) error
	ping(ctx context.Context) error
	close()
	kind() string    // "sqlite" or "postgres"
	committers() int // write transactions that may run at once
}

type enqueueFunc func(ctx context.Context, jobs []river.InsertManyParams) error

// riverBackend is a backend over one of River's drivers.
type riverBackend[TTx any] struct {
	name     string
	parallel int
	client   *river.Client[TTx]
	begin    func(ctx context.Context) (TTx, querier, error)
	end      func(ctx context.Context, tx TTx, commit bool) error
	r        querier
	pinger   func(ctx context.Context) error
	closer   func()
	// background, if set, runs from start until stop.
	background func(ctx context.Context)
	stopBg     context.CancelFunc
}

func (b *riverBackend[TTx]) inTx(ctx context.Context, fn func(q querier, enqueue enqueueFunc) error) error {
	tx, q, err := b.begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning a transaction: %w", err)
	}
	enqueue := func(ctx context.Context, jobs []river.InsertManyParams) error {
		if len(jobs) == 0 {
			return nil
		}
		if _, err := b.client.InsertManyFastTx(ctx, tx, jobs); err != nil {
			return fmt.Errorf("enqueueing %d jobs: %w", len(jobs), err)
		}
		return nil
	}
	if err := fn(q, enqueue); err != nil {
		_ = b.end(context.WithoutCancel(ctx), tx, false)
		return err
	}
	if err := b.end(ctx, tx, true); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

func (b *riverBackend[TTx]) reader() querier { return b.r }
func (b *riverBackend[TTx]) start(ctx context.Context) error {
	if err := b.client.Start(ctx); err != nil {
		return err
	}
	if b.background != nil {
		bg, cancel := context.WithCancel(ctx)
		b.stopBg = cancel
		go b.background(bg)
	}
	return nil
}

func (b *riverBackend[TTx]) stop(ctx context.Context) error {
	err := b.client.Stop(ctx)
	if b.stopBg != nil {
		b.stopBg()
	}
	return err
}

func (b *riverBackend[TTx]) ping(ctx context.Context) error { return b.pinger(ctx) }
func (b *riverBackend[TTx]) close()                         { b.closer() }
func (b *riverBackend[TTx]) kind() string                   { return b.name }
func (b *riverBackend[TTx]) committers() int                { return b.parallel }

// queueSettings are the River settings the service derives from its config.
type queueSettings struct {
	workers        int
	maxAttempts    int
	jobTimeout     time.Duration
	rescueAfter    time.Duration
	queueRetention time.Duration
	logger         *slog.Logger
	clientID       string // River's id of this process ("" lets River choose)
}

func (s queueSettings) riverConfig(workers *river.Workers) *river.Config {
	keep := s.queueRetention // the service's own table is the record; River's rows are working state
	return &river.Config{
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: s.workers}},
		Workers:                     workers,
		MaxAttempts:                 s.maxAttempts,
		JobTimeout:                  s.jobTimeout,
		RescueStuckJobsAfter:        s.rescueAfter,
		FetchCooldown:               10 * time.Millisecond,
		FetchPollInterval:           50 * time.Millisecond,
		CompletedJobRetentionPeriod: keep,
		CancelledJobRetentionPeriod: keep,
		// Finite on purpose: riversqlite v0.47.0 deletes discarded jobs when
		// this is -1, instead of keeping them for ever. Dead letters live in
		// organizer_events anyway.
		DiscardedJobRetentionPeriod: keep,
		Logger:                      s.logger,
		ID:                          s.clientID,
	}
}

// openSQLite opens the embedded store: one file, WAL, synchronous=FULL so
// a commit survives power loss, one writing connection as riversqlite
// advises, and a separate pool for the admin API's reads.
func openSQLite(ctx context.Context, path string, s queueSettings, workers *river.Workers, phases *startup) (backend, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	unlock, err := lockStore(path)
	if err != nil {
		return nil, err
	}
	pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)"
	wdb, err := openCachingSQLite("file:" + path + "?" + pragmas + "&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		unlock()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	rdb, err := openCachingSQLite("file:" + path + "?" + pragmas + "&_pragma=query_only(1)")
	if err != nil {
		_ = wdb.Close()
		unlock()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(4)
	closeAll := func() { _ = rdb.Close(); _ = wdb.Close(); unlock() }
	// The first connection replays the write-ahead log a crash left.
	if err := wdb.PingContext(ctx); err != nil {
		closeAll()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	phases.done("open_store")
	driver := riversqlite.New(wdb)
	if err := migrate(ctx, driver, sqliteSchema, sqlQuerier{wdb}, nil); err != nil {
		closeAll()
		return nil, fmt.Errorf("preparing %s: %w", path, err)
	}
	phases.done("migrate")
	// The lock is ours: jobs left running and a leader still recorded are
	// a crashed process's (recovery.go).
	n, err := recoverInterrupted(ctx, driver.GetExecutor())
	if err == nil {
		_, err = releaseDeadLeader(ctx, driver.GetExecutor())
	}
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("preparing %s: %w", path, err)
	}
	if n > 0 && s.logger != nil {
		s.logger.Info("attempts interrupted by a stop are taken up again", "jobs", n)
	}
	phases.done("recover")
	client, err := river.NewClient(driver, s.riverConfig(workers))
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("starting the queue: %w", err)
	}
	return &riverBackend[*sql.Tx]{
		name: "sqlite", parallel: 1, client: client,
		begin: func(ctx context.Context) (*sql.Tx, querier, error) {
			tx, err := wdb.BeginTx(ctx, nil)
			return tx, sqlQuerier{tx}, err
		},
		end: func(_ context.Context, tx *sql.Tx, commit bool) error {
			if commit {
				return tx.Commit()
			}
			return tx.Rollback()
		},
		r:      sqlQuerier{rdb},
		pinger: rdb.PingContext,
		closer: closeAll,
	}, nil
}

// lockStore makes sure one service at a time uses an SQLite store: two
// would each run their own queue and workers on the same file. The lock
// is a file beside the store, held while the service runs; the system
// releases it when the process ends, however it ends.
func lockStore(path string) (unlock func(), err error) {
	lock := flock.New(path + ".lock")
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking the store %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("the store %s is in use by another organizer serve (it holds %s): "+
			"stop that one, or give this one its own --data directory; to share one store between replicas use PostgreSQL (--store postgres://…)",
			path, lock.Path())
	}
	return func() { _ = lock.Unlock() }, nil
}

// openPostgres opens a PostgreSQL store that several replicas share.
func openPostgres(ctx context.Context, url string, s queueSettings, workers *river.Workers, phases *startup) (backend, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	phases.done("open_store")
	driver := riverpgxv5.New(pool)
	// Replicas starting together take turns at the schema.
	lock := func(ctx context.Context) (func(), error) {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7411)"); err != nil {
			conn.Release()
			return nil, err
		}
		return func() {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7411)")
			conn.Release()
		}, nil
	}
	if err := migrate(ctx, driver, postgresSchema, pgxQuerier{pool}, lock); err != nil {
		pool.Close()
		return nil, fmt.Errorf("preparing the PostgreSQL schema: %w", err)
	}
	phases.done("migrate")
	// Jobs left running by replicas that are gone are taken up now, and
	// every few seconds by every replica (liveness.go).
	log := s.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	live, err := registerLiveness(ctx, url, pool, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	closeAll := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = pool.Exec(ctx, `DELETE FROM organizer_workers WHERE id = $1`, live.id)
		live.close(ctx)
		pool.Close()
	}
	n, err := reclaimDead(ctx, pool)
	if err != nil {
		closeAll()
		return nil, err
	}
	if n > 0 {
		log.Info("attempts interrupted by a stopped replica are taken up again", "jobs", n)
	}
	s.clientID = live.id
	client, err := river.NewClient(driver, s.riverConfig(workers))
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("starting the queue: %w", err)
	}
	return &riverBackend[pgx.Tx]{
		background: func(ctx context.Context) { watchLiveness(ctx, live, pool) },
		name:       "postgres", parallel: 4, client: client,
		begin: func(ctx context.Context) (pgx.Tx, querier, error) {
			tx, err := pool.Begin(ctx)
			return tx, pgxQuerier{tx}, err
		},
		end: func(ctx context.Context, tx pgx.Tx, commit bool) error {
			if commit {
				return tx.Commit(ctx)
			}
			return tx.Rollback(ctx)
		},
		r:      pgxQuerier{pool},
		pinger: pool.Ping,
		closer: closeAll,
	}, nil
}

// migrate brings River's tables and the service's own up to date, under
// lock when one is given.
func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], schema []string, q querier, lock func(context.Context) (func(), error)) error {
	if lock != nil {
		unlock, err := lock(ctx)
		if err != nil {
			return fmt.Errorf("taking the migration lock: %w", err)
		}
		defer unlock()
	}
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrating River's tables: %w", err)
	}
	for _, stmt := range schema {
		if _, err := q.exec(ctx, stmt); err != nil {
			return fmt.Errorf("creating organizer's tables: %w", err)
		}
	}
	return addColumns(ctx, q)
}
