// Package pgtest gives tests a fresh PostgreSQL database: it creates
// reel_test_<unix time>_<random> on the server at 127.0.0.1:5432 (user postgres, trust
// auth, as on the development and CI machines) and drops it when the test
// ends. REEL_TEST_POSTGRES overrides the server's URL. Databases a killed
// run left behind are dropped by a later run once they are 3 hours old.
//
// If the server does not answer, New skips the test, unless
// REEL_REQUIRE_POSTGRES is set (make test sets it), in which case it
// fails, so a stopped server never turns into silently skipped tests.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultServer is the maintenance database of the test server.
const DefaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerEnv names the environment variable overriding DefaultServer.
const ServerEnv = "REEL_TEST_POSTGRES"

// RequireEnv names the environment variable that turns an unreachable
// server from a skipped test into a failed one.
const RequireEnv = "REEL_REQUIRE_POSTGRES"

// StartCommand starts Debian's PostgreSQL cluster when it is not running.
const StartCommand = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"

// Database is a database created for one test.
type Database struct {
	// URL is the database's postgres:// URL.
	URL string
	// Name is the database's name.
	Name string

	server string
}

// New creates a fresh database and drops it when the test ends.
func New(t testing.TB) *Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := Create(ctx)
	var down *ServerDownError
	if errors.As(err, &down) && os.Getenv(RequireEnv) == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Drop(); err != nil {
			t.Errorf("drop database %s: %v", d.Name, err)
		}
	})
	return d
}

// ServerDownError is Create's error when the server does not answer.
type ServerDownError struct {
	Server string
	Err    error
}

func (e *ServerDownError) Error() string {
	return fmt.Sprintf("PostgreSQL at %s does not answer: %v; start it with: %s", e.Server, e.Err, StartCommand)
}

func (e *ServerDownError) Unwrap() error { return e.Err }

// Create makes a fresh database on the test server (REEL_TEST_POSTGRES or
// DefaultServer), for callers other than tests, such as the benchmarks;
// the caller drops it with Drop.
func Create(ctx context.Context) (*Database, error) {
	server := os.Getenv(ServerEnv)
	if server == "" {
		server = DefaultServer
	}
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		return nil, &ServerDownError{Server: server, Err: err}
	}
	defer admin.Close(ctx)
	dropStale(ctx, admin)
	b := make([]byte, 4)
	rand.Read(b)
	// The name carries its creation time, so a later run can tell the
	// leftovers of a killed one from the databases of a running one.
	name := fmt.Sprintf("%s%d_%s", prefix, time.Now().Unix(), hex.EncodeToString(b))
	d := &Database{Name: name, server: server}
	u, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+d.Name); err != nil {
		return nil, fmt.Errorf("create database %s: %w", d.Name, err)
	}
	u.Path = "/" + d.Name
	d.URL = u.String()
	return d, nil
}

// prefix starts the name of every test database.
const prefix = "reel_test_"

// staleAfter is the age past which a test database is a leftover: no
// test runs this long, and a killed test binary skips its cleanups.
const staleAfter = 3 * time.Hour

// dropStale drops the test databases older than staleAfter that nobody is
// connected to. Errors are ignored: another run may be dropping them too.
func dropStale(ctx context.Context, admin *pgx.Conn) {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'reel\_test\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range names {
		created, _, ok := strings.Cut(strings.TrimPrefix(name, prefix), "_")
		sec, err := strconv.ParseInt(created, 10, 64)
		if !ok || err != nil || time.Since(time.Unix(sec, 0)) < staleAfter {
			continue
		}
		// Without FORCE: a database someone is connected to stays.
		admin.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize())
	}
}

// Drop removes the database, ending the connections still open to it.
func (d *Database) Drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, d.server)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, `DROP DATABASE IF EXISTS `+d.Name+` WITH (FORCE)`)
	return err
}

// Admin runs sql on the server's maintenance database, as the server's
// administrator: for fault tests that end or refuse connections.
func (d *Database) Admin(ctx context.Context, sql string, args ...any) error {
	admin, err := pgx.Connect(ctx, d.server)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// TerminateConnections ends every connection to the database but the
// caller's, as a server restart or a failover does.
func (d *Database) TerminateConnections(ctx context.Context) error {
	return d.Admin(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, d.Name)
}

// AllowConnections lets new connections in, or refuses them while
// allow is false, as a server that is down would.
func (d *Database) AllowConnections(ctx context.Context, allow bool) error {
	return d.Admin(ctx, fmt.Sprintf(`ALTER DATABASE %s ALLOW_CONNECTIONS %t`, d.Name, allow))
}
