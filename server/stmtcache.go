package server

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
)

// SQLite parses every statement it runs. database/sql over modernc's driver
// prepares each call's statement anew and throws it away, so River's
// statements (fetching, completing and snoozing jobs, one statement per job
// on SQLite) and the store's were parsed on every call: a third of the
// service's CPU under load. The connections below keep their prepared
// statements, keyed by text, in a small LRU cache, so each is parsed once
// per connection. SQLite re-prepares a kept statement by itself if the
// schema changes.

// stmtCacheSize is how many statements a connection keeps. River's and the
// store's fixed statements are a few dozen; the rest is room for the
// multi-row inserts, whose text depends on the row count.
const stmtCacheSize = 256

// openCachingSQLite opens a database/sql pool over the registered "sqlite"
// driver whose connections keep their prepared statements.
func openCachingSQLite(dsn string) (*sql.DB, error) {
	probe, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	if err := probe.Close(); err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{drv: drv, dsn: dsn}), nil
}

type cachingConnector struct {
	drv driver.Driver
	dsn string
}

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	for _, need := range []bool{implements[driver.ConnBeginTx](conn), implements[driver.ConnPrepareContext](conn)} {
		if !need {
			_ = conn.Close()
			return nil, fmt.Errorf("the sqlite driver's connection %T lacks BeginTx or PrepareContext", conn)
		}
	}
	return &cachingConn{conn: conn, lru: list.New(), byQuery: map[string]*list.Element{}}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.drv }

func implements[T any](v any) bool { _, ok := v.(T); return ok }

// cachingConn is one SQLite connection with its kept statements.
// database/sql never uses a connection from two goroutines at once. It has
// no QueryContext or ExecContext on purpose: database/sql then prepares
// each call's statement here, and closes it when done, which returns it to
// the cache.
type cachingConn struct {
	conn    driver.Conn
	lru     *list.List // of *cachedStmt, most recently used first
	byQuery map[string]*list.Element
}

// cachedStmt is a kept statement. busy is true between its Prepare and its
// Close (which database/sql calls once the call's rows are closed); a
// second use meanwhile, say the same query inside a loop over the first's
// rows, gets a statement of its own.
type cachedStmt struct {
	driver.Stmt
	query string
	busy  bool
	owner *cachingConn // nil for a statement that is not kept
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if el, ok := c.byQuery[query]; ok {
		s := el.Value.(*cachedStmt)
		if !s.busy {
			s.busy = true
			c.lru.MoveToFront(el)
			return s, nil
		}
		st, err := c.prepare(ctx, query)
		if err != nil {
			return nil, err
		}
		return &cachedStmt{Stmt: st, query: query}, nil // used once, then closed
	}
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{Stmt: st, query: query, busy: true, owner: c}
	c.byQuery[query] = c.lru.PushFront(s)
	c.evict()
	return s, nil
}

func (c *cachingConn) prepare(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

// evict closes the least recently used statements beyond the cache's size
// that are not in use.
func (c *cachingConn) evict() {
	for el := c.lru.Back(); el != nil && c.lru.Len() > stmtCacheSize; {
		prev := el.Prev()
		if s := el.Value.(*cachedStmt); !s.busy {
			c.lru.Remove(el)
			delete(c.byQuery, s.query)
			_ = s.Stmt.Close()
		}
		el = prev
	}
}

// Close returns a kept statement to the cache, and closes one that is not
// kept.
func (s *cachedStmt) Close() error {
	if s.owner == nil {
		return s.Stmt.Close()
	}
	s.busy = false
	return nil
}

func (s *cachedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if st, ok := s.Stmt.(driver.StmtExecContext); ok {
		return st.ExecContext(ctx, args)
	}
	return nil, errors.New("the sqlite driver's statement lacks ExecContext")
}

func (s *cachedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if st, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return st.QueryContext(ctx, args)
	}
	return nil, errors.New("the sqlite driver's statement lacks QueryContext")
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

// Begin is the old form of BeginTx, which database/sql does not call here.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) Close() error {
	var errs []error
	for el := c.lru.Front(); el != nil; el = el.Next() {
		errs = append(errs, el.Value.(*cachedStmt).Stmt.Close())
	}
	c.lru.Init()
	clear(c.byQuery)
	return errors.Join(append(errs, c.conn.Close())...)
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}
