package server

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is the little SQL the store needs, the same over database/sql
// (SQLite) and pgx (PostgreSQL). Statements use $1-style parameters and
// SQL both databases accept.
type querier interface {
	exec(ctx context.Context, query string, args ...any) (int64, error)
	query(ctx context.Context, query string, args ...any) (rows, error)
}

// rows is a result set, as both drivers iterate it.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// sqlQuerier runs statements through database/sql: a *sql.DB or *sql.Tx.
type sqlQuerier struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

func (q sqlQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.db.ExecContext(ctx, positional(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.db.QueryContext(ctx, positional(query), args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

// positional rewrites $1, $2, … $n to ? when they appear once each and in
// that order, and returns other statements unchanged. SQLite treats $1 as a
// named parameter and finds each by a linear search of the statement's
// names, which makes a multi-row insert of the intake's size spend more
// time binding than writing; a ? is bound by position.
func positional(query string) string {
	if !strings.Contains(query, "$") {
		return query
	}
	var sb strings.Builder
	sb.Grow(len(query))
	next := 1
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '\'' { // a literal is copied as it is
			end := strings.IndexByte(query[i+1:], '\'')
			if end < 0 {
				return query
			}
			sb.WriteString(query[i : i+end+2])
			i += end + 1
			continue
		}
		if c != '$' {
			sb.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(query) && query[j] >= '0' && query[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(query[i+1 : j]); err != nil || n != next {
			return query
		}
		next++
		sb.WriteByte('?')
		i = j - 1
	}
	return sb.String()
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// pgxQuerier runs statements through pgx: a pool or a pgx.Tx.
type pgxQuerier struct {
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

func (q pgxQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.db.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgxQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// queryOne scans the first row of a query; found is false when there is none.
func queryOne(ctx context.Context, q querier, query string, args []any, dest ...any) (found bool, err error) {
	r, err := q.query(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer r.Close()
	if !r.Next() {
		return false, r.Err()
	}
	if err := r.Scan(dest...); err != nil {
		return false, err
	}
	return true, r.Err()
}
