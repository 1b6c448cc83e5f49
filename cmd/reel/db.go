package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"reel/jobs"
	"reel/sqlstore"
)

// database is the database a reel command works on, migrated, with
// River's driver on it. Every command that touches the database (serve,
// keys, migrate, worker) opens it with openDatabase.
type database struct {
	SQL *sql.DB
	// River is the job queue's driver: riversqlite on SQLite,
	// riverdatabasesql on PostgreSQL. Both work on *sql.Tx, so one
	// river.Client type and one enqueue path serve both.
	River riverdriver.Driver[*sql.Tx]
	// Postgres is set for a postgres:// database.
	Postgres bool

	listener *pgxpool.Pool
}

// registerDBFlag adds --db to fs.
func registerDBFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "db", "", "database: a SQLite `file` or sqlite:FILE, or a postgres://user@host/db URL shared by many reel processes (default: DATA/reel.db)")
}

// openDatabase opens the database dsn names, or DATA/reel.db when dsn is
// empty, and brings reel's and River's tables up to date under one
// migration lock, so that processes starting at once migrate one after
// the other.
func openDatabase(ctx context.Context, data, dsn string) (*database, error) {
	if dsn == "" {
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, err
		}
		dsn = filepath.Join(data, "reel.db")
	}
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	d := &database{SQL: db, Postgres: sqlstore.IsPostgres(db)}
	if d.Postgres {
		// River listens for new jobs (LISTEN/NOTIFY) on a connection of
		// its own, taken from a pgx pool, and does everything else on
		// the database/sql pool: idle workers wait instead of polling.
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("database listener: %w", err)
		}
		cfg.MinConns, cfg.MaxConns = 0, 2
		if d.listener, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			db.Close()
			return nil, fmt.Errorf("database listener: %w", err)
		}
		d.River = riverdatabasesql.NewWithPgxListener(db, d.listener)
	} else {
		// River's SQLite driver with a listener that polls its
		// notification table slowly while idle (jobs.SQLiteDriver).
		d.River = jobs.NewSQLiteDriver(db)
	}
	err = sqlstore.Migrate(ctx, db, func(ctx context.Context) error { return jobs.Migrate(ctx, d.River) })
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("migrate the database: %w", err)
	}
	return d, nil
}

// pollInterval is how often idle workers look for new jobs. A
// notification wakes them as soon as a job is inserted (on PostgreSQL by
// LISTEN/NOTIFY, on SQLite through River's notification table, read at
// once after an insert in the same process), so the poll is only the
// fallback for a lost one.
func (d *database) pollInterval() time.Duration {
	if d.Postgres {
		return 2 * time.Second
	}
	return 5 * time.Second
}

// Close closes the pools.
func (d *database) Close() error {
	if d.listener != nil {
		d.listener.Close()
	}
	return d.SQL.Close()
}
