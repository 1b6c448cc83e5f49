package pgtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestNewAndStale(t *testing.T) {
	ctx := context.Background()
	d := New(t)
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		t.Fatalf("connect to the new database: %v", err)
	}
	conn.Close(ctx)

	// A leftover of a run killed four hours ago goes at the next New; a
	// database of a run still going stays.
	old := fmt.Sprintf("%s%d_deadbeef", prefix, time.Now().Add(-4*time.Hour).Unix())
	if err := d.Admin(ctx, `CREATE DATABASE `+old); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Admin(context.Background(), `DROP DATABASE IF EXISTS `+old) })
	New(t)
	admin, err := pgx.Connect(ctx, d.server)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var oldLeft, liveLeft bool
	err = admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1),
		EXISTS (SELECT 1 FROM pg_database WHERE datname = $2)`, old, d.Name).Scan(&oldLeft, &liveLeft)
	if err != nil || oldLeft || !liveLeft {
		t.Errorf("after New: leftover kept %v, live database kept %v, %v", oldLeft, liveLeft, err)
	}
}
