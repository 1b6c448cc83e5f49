package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
)

// The store's queries are written once, with SQLite's ? placeholders and
// SQL that both dialects read the same way (ON CONFLICT, RETURNING,
// booleans, Unix-microsecond integers for times). On PostgreSQL, conn and
// txn rewrite the placeholders to $1, $2, ... before a query reaches the
// driver, so there is one code path for both databases.

// isPostgres reports whether db talks to PostgreSQL through pgx's
// database/sql driver.
func isPostgres(db *sql.DB) bool {
	_, ok := db.Driver().(*stdlib.Driver)
	return ok
}

// IsPostgres reports whether db is a PostgreSQL database opened by Open.
func IsPostgres(db *sql.DB) bool { return isPostgres(db) }

// rebind turns the ? placeholders of query into $1, $2, ... when pg is
// set. A ? inside a quoted string or identifier is left alone.
func rebind(pg bool, query string) string {
	if !pg || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte // the quote character we are inside of, or 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// conn is the store's database: a *sql.DB whose queries are rebound for
// its dialect.
type conn struct {
	db *sql.DB
	pg bool
}

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, rebind(c.pg, query), args...)
}

func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.db.QueryContext(ctx, rebind(c.pg, query), args...)
}

func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.db.QueryRowContext(ctx, rebind(c.pg, query), args...)
}

// BeginTx starts a transaction whose queries are rebound too.
func (c conn) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	t, err := c.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{Tx: t, pg: c.pg}, nil
}

// txn is a transaction of conn. The embedded *sql.Tx is what the job queue
// inserts into, so the job commits with the change that caused it.
type txn struct {
	*sql.Tx
	pg bool
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, rebind(t.pg, query), args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, rebind(t.pg, query), args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, rebind(t.pg, query), args...)
}
