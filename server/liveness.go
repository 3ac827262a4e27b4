package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// On PostgreSQL, replicas share the queue, so a job left running may be a
// live replica's. A replica proves it is alive by holding a session-level
// advisory lock, on a connection of its own, for as long as it runs: the
// database drops the lock the moment that session ends, which it does at
// once when the process dies (the system closes its socket), however it
// dies. Each replica is a row of organizer_workers naming its River client
// id (what River records in a job's attempted_by) and its lock's key. A job
// running under a client whose lock nobody holds is a dead process's: it is
// made available again at once (at start, and every reclaimInterval on
// every replica) instead of after rescue_after. Jobs of clients that are
// not in the table (none, unless an older version ran them) are left to
// River's rescuer.

// workerLockSpace is the first key of the replicas' advisory locks
// (pg_advisory_lock(workerLockSpace, key)); the migration lock uses 7411.
const workerLockSpace = 7412

// reclaimInterval is how often a replica looks for dead replicas' jobs.
const reclaimInterval = 5 * time.Second

// liveness is this replica's proof of life: the session holding its lock.
type liveness struct {
	id   string // the River client id
	key  int32
	url  string
	log  *slog.Logger
	mu   sync.Mutex
	conn *pgx.Conn
}

// newClientID is a River client id for this process: the host, the pid and
// random bits, under River's 100 characters.
func newClientID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r < '!' || r > '~' {
			return '_'
		}
		return r
	}, host)
	if len(host) > 60 {
		host = host[:60]
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("organizer-%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// registerLiveness takes this replica's lock and records it, before its
// River client starts: a row of organizer_workers always has its lock taken
// first, so a row whose lock is free is a dead replica's.
func registerLiveness(ctx context.Context, url string, pool *pgxpool.Pool, log *slog.Logger) (*liveness, error) {
	l := &liveness{id: newClientID(), url: url, log: log}
	if err := pool.QueryRow(ctx, `SELECT (nextval('organizer_worker_keys') % 2147483647)::integer`).Scan(&l.key); err != nil {
		return nil, fmt.Errorf("numbering this replica: %w", err)
	}
	if err := l.lock(ctx); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, `INSERT INTO organizer_workers (id, lock_key, started_at) VALUES ($1, $2, $3)`,
		l.id, l.key, time.Now().UnixMicro()); err != nil {
		l.close(ctx)
		return nil, fmt.Errorf("recording this replica: %w", err)
	}
	return l, nil
}

// lock opens the lock's session and takes the lock.
func (l *liveness) lock(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, l.url)
	if err != nil {
		return fmt.Errorf("connecting for this replica's liveness lock: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, workerLockSpace, l.key); err != nil {
		_ = conn.Close(ctx)
		return fmt.Errorf("taking this replica's liveness lock: %w", err)
	}
	l.mu.Lock()
	l.conn = conn
	l.mu.Unlock()
	return nil
}

// check makes sure the lock's session is still there, and takes the lock
// again in a new one if it is not: while it was gone, other replicas may
// have taken this one's running jobs for a dead replica's.
func (l *liveness) check(ctx context.Context) {
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	if conn != nil && conn.Ping(ctx) == nil {
		return
	}
	l.log.Error("lost the session that shows this replica is alive; its running attempts may be taken up by other replicas; taking the lock again", "client", l.id)
	if conn != nil {
		_ = conn.Close(ctx)
	}
	if err := l.lock(ctx); err != nil {
		l.log.Error("cannot take this replica's liveness lock again", "client", l.id, "error", err)
	}
}

// close ends the lock's session: the replica is gone.
func (l *liveness) close(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		_ = l.conn.Close(ctx)
		l.conn = nil
	}
}

// deadWorkers selects the replicas whose lock nobody holds.
const deadWorkers = `SELECT w.id FROM organizer_workers w WHERE NOT EXISTS (
	SELECT 1 FROM pg_locks l
	WHERE l.locktype = 'advisory' AND l.granted
	  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
	  AND l.classid = ` + "7412" + ` AND l.objid = w.lock_key::oid AND l.objsubid = 2)`

// reclaimDead makes the jobs that dead replicas left running available
// again, now, as River's rescuer would after rescue_after: the attempt
// stays counted, with an error entry, and River's rescue count goes up. One
// statement, which checks again, row by row, that the job is still running
// under the dead client: two replicas reclaiming at once, or a job taken up
// in between, cannot make a live attempt available. It then ends a dead
// replica's queue leadership and forgets the dead replicas.
func reclaimDead(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	tag, err := pool.Exec(ctx, `UPDATE river_job SET
		state = 'available',
		scheduled_at = now(),
		errors = array_append(errors, jsonb_build_object('at', now(), 'attempt', attempt,
			'error', 'interrupted: the replica running this attempt stopped; taken up again by another', 'trace', '')),
		metadata = metadata || jsonb_build_object('river:rescue_count',
			coalesce(CASE WHEN jsonb_typeof(metadata -> 'river:rescue_count') = 'number' THEN (metadata ->> 'river:rescue_count')::int END, 0) + 1)
		WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] IN (`+deadWorkers+`)`)
	if err != nil {
		return 0, fmt.Errorf("taking up the attempts of stopped replicas: %w", err)
	}
	if _, err := pool.Exec(ctx, `WITH gone AS (DELETE FROM river_leader WHERE leader_id IN (`+deadWorkers+`) RETURNING leader_id)
		SELECT pg_notify(current_schema() || '.river_leadership', json_build_object('action', 'resigned', 'leader_id', leader_id)::text) FROM gone`); err != nil {
		return 0, fmt.Errorf("ending a stopped replica's queue leadership: %w", err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM organizer_workers WHERE id IN (`+deadWorkers+`)
		AND id NOT IN (SELECT attempted_by[array_length(attempted_by, 1)] FROM river_job WHERE state = 'running' AND attempted_by IS NOT NULL)`); err != nil {
		return 0, fmt.Errorf("forgetting stopped replicas: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// watchLiveness keeps this replica's lock and takes up dead replicas'
// attempts every reclaimInterval, until ctx ends.
func watchLiveness(ctx context.Context, l *liveness, pool *pgxpool.Pool) {
	t := time.NewTicker(reclaimInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.check(ctx)
		n, err := reclaimDead(ctx, pool)
		switch {
		case err != nil && ctx.Err() == nil:
			l.log.Warn("cannot look for stopped replicas' attempts", "error", err)
		case n > 0:
			l.log.Info("attempts interrupted by a stopped replica are taken up again", "jobs", n)
		}
	}
}
