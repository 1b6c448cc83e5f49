package sqlstore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"reel"
	"reel/pgtest"
	"reel/sqlstore"
	"reel/sqlstore/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, storetest.Backend{NewDSN: func(t testing.TB) string {
		return filepath.Join(t.TempDir(), "reel.db")
	}})
}

func TestPostgres(t *testing.T) {
	pgtest.New(t) // skips the whole suite at once when PostgreSQL is not running
	storetest.Run(t, storetest.Backend{NewDSN: func(t testing.TB) string {
		return pgtest.New(t).URL
	}})
}

func TestOpenNames(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, dsn := range []string{filepath.Join(dir, "a.db"), "sqlite:" + filepath.Join(dir, "b.db")} {
		db, err := sqlstore.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		if err := db.PingContext(ctx); err != nil || sqlstore.IsPostgres(db) {
			t.Errorf("Open(%q): ping %v, postgres %v", dsn, err, sqlstore.IsPostgres(db))
		}
		db.Close()
	}
	for _, dsn := range []string{"mysql://localhost/reel", "sqlite:", ""} {
		if db, err := sqlstore.Open(ctx, dsn); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
		}
	}
	// Nothing listens on port 1: one clear error naming the server, and no
	// password in it.
	_, err := sqlstore.Open(ctx, "postgres://reel:hunter2@127.0.0.1:1/reel?connect_timeout=5")
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at 127.0.0.1:1") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open of an unreachable server: %v", err)
	}
}

// A database that refuses connections, or ends them, makes the store's
// errors EUNAVAILABLE; once it is back, the same store works again.
func TestPostgresUnavailable(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.New(t)
	db, err := sqlstore.Open(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sqlstore.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	s := sqlstore.New(db, nil)
	v := &reel.Video{ID: reel.NewID(), OriginalKey: reel.NewID()}
	if err := s.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	if err := pg.AllowConnections(ctx, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.AllowConnections(context.Background(), true) })
	if err := pg.TerminateConnections(ctx); err != nil {
		t.Fatal(err)
	}
	// The pool's connections were ended: each fails once, then no new one
	// gets in. Every error on the way must be EUNAVAILABLE.
	for i := range 3 * sqlstore.MaxPostgresConns {
		if _, err := s.Video(ctx, v.ID); reel.ErrorCode(err) != reel.EUNAVAILABLE {
			t.Fatalf("Video while the database is gone (try %d): %v, want unavailable", i, err)
		}
	}
	if _, _, err := s.Videos(ctx, reel.VideoFilter{}); reel.ErrorCode(err) != reel.EUNAVAILABLE {
		t.Errorf("Videos while the database is gone: %v", err)
	}
	if _, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{}); reel.ErrorCode(err) != reel.EUNAVAILABLE {
		t.Errorf("UpdateVideo while the database is gone: %v", err)
	}
	if err := pg.AllowConnections(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Video(ctx, v.ID); err != nil || got.ID != v.ID {
		t.Errorf("Video after the database came back: %v, %v", got, err)
	}
}
