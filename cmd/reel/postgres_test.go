package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"reel/pgtest"
)

// TestPostgresEndToEnd runs the end-to-end test on reel serve --db
// postgres://...: uploads, River's jobs on PostgreSQL, transcodes to
// ready, playback; and an API key created with reel keys on the same
// database guards it.
func TestPostgresEndToEnd(t *testing.T) {
	pg := pgtest.New(t)
	s := startServer(t, "--db", pg.URL)
	endToEnd(t, s)

	// A key created in the database ends open mode for every process.
	var out bytes.Buffer
	keys := &KeysCommand{Out: &out, Lookup: func(string) (string, bool) { return "", false }}
	if err := keys.Run(context.Background(), []string{"create", "--db", pg.URL, "--name", "ci", "--role", "viewer"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	secret := lines[len(lines)-1]
	resp, body := s.get(s.url+"/api/videos", "Authorization", "Bearer "+secret)
	mustStatus(t, "list with the key", resp, body, http.StatusOK)
	out.Reset()
	if err := keys.Run(context.Background(), []string{"list", "--db", pg.URL}); err != nil || !strings.Contains(out.String(), "ci") {
		t.Errorf("keys list on PostgreSQL: %v\n%s", err, out.String())
	}
}

func TestMigrateCommand(t *testing.T) {
	ctx := context.Background()
	noEnv := func(string) (string, bool) { return "", false }
	data := t.TempDir()
	var out bytes.Buffer
	if err := (&MigrateCommand{Out: &out, Lookup: noEnv}).Run(ctx, []string{"--data", data}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "reel.db")); err != nil || !strings.Contains(out.String(), "SQLite") {
		t.Errorf("reel migrate on the data dir: %v, %q", err, out.String())
	}
	// An unreachable server: an error naming it, and a non-zero exit.
	err := (&MigrateCommand{Out: io.Discard, Lookup: noEnv}).Run(ctx, []string{"--db", "postgres://postgres@127.0.0.1:1/reel"})
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at 127.0.0.1:1") || strings.Contains(err.Error(), "\n") {
		t.Errorf("reel migrate on an unreachable server: %v; want one line saying so", err)
	}

	pg := pgtest.New(t)
	// REEL_DB names the database like --db. Twice: the second finds
	// nothing to do.
	env := func(k string) (string, bool) { return pg.URL, k == "REEL_DB" }
	for range 2 {
		out.Reset()
		if err := (&MigrateCommand{Out: &out, Lookup: env}).Run(ctx, []string{"--data", t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "PostgreSQL") {
			t.Errorf("reel migrate with REEL_DB printed %q", out.String())
		}
	}
}

// Processes sharing a database share the signing key the first of them
// created, whatever their data dirs hold; a data dir's signing.key from
// before keys moved into the database becomes the database's key.
func TestSigningKeyInDatabase(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	key := func(data, dsn string) string {
		t.Helper()
		db, err := openDatabase(ctx, data, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		k, err := (&ServeCommand{coreFlags: coreFlags{Data: data}}).signingKey(ctx, db.SQL, log)
		if err != nil {
			t.Fatal(err)
		}
		return string(k)
	}

	pg := pgtest.New(t)
	a, b := key(t.TempDir(), pg.URL), key(t.TempDir(), pg.URL)
	if len(a) < 32 || a != b {
		t.Errorf("two processes on one database sign with %q and %q, want one key", a, b)
	}

	legacy := t.TempDir()
	old := "an-old-signing-key-from-the-data-dir-0123"
	if err := os.WriteFile(filepath.Join(legacy, "signing.key"), []byte(old+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := key(legacy, ""); got != old {
		t.Errorf("signing key with a signing.key file = %q, want the file's %q", got, old)
	}
	os.Remove(filepath.Join(legacy, "signing.key"))
	if got := key(legacy, ""); got != old {
		t.Errorf("signing key after the file went = %q, want the database's copy %q", got, old)
	}
	if got := key(t.TempDir(), ""); got == old || len(got) < 32 {
		t.Errorf("a new data dir's signing key = %q", got)
	}
}

// Processes starting at once on an empty database take turns migrating
// (goose's tables and River's): every one of them starts.
func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range cap(errs) {
		data := t.TempDir()
		wg.Go(func() {
			db, err := openDatabase(ctx, data, pg.URL)
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a process starting with the others: %v", err)
		}
	}
}
