package server

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A kept statement gives the same answers as a fresh one: the same query
// again inside a loop over its own rows, more distinct statements than the
// cache holds, and a statement kept across a schema change.
func TestStmtCacheKeepsAnswersRight(t *testing.T) {
	ctx := context.Background()
	db, err := openCachingSQLite("file:" + filepath.Join(t.TempDir(), "cache.db"))
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection, so every statement meets its cache
	_, err = db.ExecContext(ctx, `CREATE TABLE t (n INTEGER)`)
	require.NoError(t, err)
	for n := range 3 {
		_, err := db.ExecContext(ctx, `INSERT INTO t (n) VALUES (?)`, n)
		require.NoError(t, err)
	}

	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	const q = `SELECT n FROM t WHERE n >= ? ORDER BY n`
	outer, err := tx.QueryContext(ctx, q, 0)
	require.NoError(t, err)
	var pairs []string
	for outer.Next() {
		var a int
		require.NoError(t, outer.Scan(&a))
		inner, err := tx.QueryContext(ctx, q, a) // the same text while the first is open
		require.NoError(t, err)
		for inner.Next() {
			var b int
			require.NoError(t, inner.Scan(&b))
			pairs = append(pairs, fmt.Sprint(a, b))
		}
		require.NoError(t, inner.Close())
	}
	require.NoError(t, outer.Close())
	require.NoError(t, tx.Commit())
	require.Equal(t, []string{"0 0", "0 1", "0 2", "1 1", "1 2", "2 2"}, pairs)

	for i := range stmtCacheSize + 50 { // more texts than the cache keeps
		var got int
		require.NoError(t, db.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + n FROM t WHERE n = 2`, i)).Scan(&got))
		require.Equal(t, i+2, got)
	}
	var sum int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT SUM(n) FROM t`).Scan(&sum))
	require.Equal(t, 3, sum)
	_, err = db.ExecContext(ctx, `ALTER TABLE t ADD COLUMN m INTEGER NOT NULL DEFAULT 5`)
	require.NoError(t, err)
	require.NoError(t, db.QueryRowContext(ctx, `SELECT SUM(n) FROM t`).Scan(&sum), "a kept statement survives a schema change")
	require.Equal(t, 3, sum)
}
