package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations
var migrations embed.FS

// Open opens the database that dsn names, without migrating it: a
// postgres:// or postgresql:// URL, or a SQLite file as PATH or
// sqlite:PATH. A PostgreSQL server that does not answer is an error
// saying so.
func Open(ctx context.Context, dsn string) (*sql.DB, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if path == "" {
			return nil, errors.New("sqlite: needs a file path, as in sqlite:/var/lib/reel/reel.db")
		}
		return openSQLite(path)
	case strings.Contains(dsn, "://"):
		return nil, fmt.Errorf("database %q: want a postgres:// URL, sqlite:PATH or a file path", redact(dsn))
	case dsn == "":
		return nil, errors.New("no database given")
	}
	return openSQLite(dsn)
}

// OpenSQLite opens (creating if needed) the SQLite database at path and
// migrates it.
func OpenSQLite(ctx context.Context, path string) (*sql.DB, error) {
	db, err := openSQLite(path)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return db, nil
}

// openSQLite opens the SQLite database at path in WAL mode. SQLite allows
// one writer at a time and River's SQLite driver wants one connection, so
// the pool holds exactly one.
func openSQLite(path string) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(wal)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(normal)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// MaxPostgresConns bounds the connections one reel process opens to
// PostgreSQL, so that a few dozen processes fit in the server's default
// max_connections (100) with room left. River's listener takes one more.
const MaxPostgresConns = 10

// openPostgres opens a pool on url and checks that the server answers.
func openPostgres(ctx context.Context, url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL %s: %w", redact(url), err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(MaxPostgresConns)
	db.SetMaxIdleConns(MaxPostgresConns)
	// Idle connections are closed after a while, so that a restarted
	// server or a failover leaves no dead ones in the pool for long.
	db.SetConnMaxIdleTime(5 * time.Minute)
	ping, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ping); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s:%d (database %q): %w", cfg.Host, cfg.Port, cfg.Database, oneLine{err})
	}
	return db, nil
}

// oneLine is an error whose message, over several lines in pgx's connect
// errors (one per address tried), is shown on one.
type oneLine struct{ err error }

func (e oneLine) Error() string {
	s := strings.Join(strings.Fields(strings.ReplaceAll(e.err.Error(), "\n", "; ")), " ")
	return strings.ReplaceAll(s, ":; ", ": ")
}

func (e oneLine) Unwrap() error { return e.err }

// redact hides the password of a database URL.
func redact(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return dsn
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return dsn
}

// migrationLock is the key of the PostgreSQL advisory lock held while
// migrating: "reel" in ASCII.
const migrationLock = 0x7265656c

// Migrate brings reel's tables up to date on db's dialect, then runs each
// of then (River's migration, say) while still holding the lock. On
// PostgreSQL a session advisory lock makes processes that start at once
// migrate one after the other: the later ones find nothing left to do.
func Migrate(ctx context.Context, db *sql.DB, then ...func(context.Context) error) error {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	if isPostgres(db) {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		// The lock ends with the session too, should the unlock fail.
		defer c.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, db, sub)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return err
	}
	for _, f := range then {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
}
