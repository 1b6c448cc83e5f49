package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"reel"
	"reel/pgtest"
	"reel/sqlstore"
)

// The video's state change and its River job commit together, on both
// databases and River drivers: a job exists for every queued video, and a
// transaction that fails after inserting its job leaves no job behind.
func TestEnqueueWithStateChange(t *testing.T) {
	onBothDatabases(t, enqueueWithStateChange)
}

// onBothDatabases runs test on a fresh SQLite database with River's SQLite
// driver and on a fresh PostgreSQL database with River's database/sql
// driver listening through pgx, as reel serve and reel worker open them.
func onBothDatabases(t *testing.T, test func(t *testing.T, db *sql.DB, driver riverdriver.Driver[*sql.Tx])) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "reel.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, db, riversqlite.New(db))
	})
	t.Run("postgres", func(t *testing.T) {
		pg := pgtest.New(t)
		db, err := sqlstore.Open(context.Background(), pg.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		listener, err := pgxpool.New(context.Background(), pg.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(listener.Close)
		test(t, db, riverdatabasesql.NewWithPgxListener(db, listener))
	})
}

func enqueueWithStateChange(t *testing.T, db *sql.DB, driver riverdriver.Driver[*sql.Tx]) {
	ctx := context.Background()
	if err := sqlstore.Migrate(ctx, db, func(ctx context.Context) error { return Migrate(ctx, driver) }); err != nil {
		t.Fatal(err)
	}
	q, err := NewQueue(driver, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := sqlstore.New(db, q.EnqueueTranscode)
	jobsOf := func(id string) []int64 {
		t.Helper()
		res, err := q.client.JobList(ctx, river.NewJobListParams().Kinds(TranscodeArgs{}.Kind()).First(100))
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, j := range res.Jobs {
			if containsVideo(j.EncodedArgs, id) {
				ids = append(ids, j.ID)
			}
		}
		return ids
	}

	v := &reel.Video{ID: reel.NewID(), OriginalKey: reel.NewID()}
	if err := store.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	if ids := jobsOf(v.ID); len(ids) != 0 {
		t.Fatalf("an uploading video has jobs %v", ids)
	}
	queued, err := store.Enqueue(ctx, v.ID, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ids := jobsOf(v.ID); len(ids) != 1 || ids[0] != queued.JobID {
		t.Fatalf("after Enqueue: jobs %v, video's job %d", ids, queued.JobID)
	}
	if _, err := store.Enqueue(ctx, v.ID, 100, nil); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("second Enqueue: %v, want conflict", err)
	}

	// Created queued: the job is inserted first, then the row, which
	// fails on the taken original; the job goes with the rollback.
	w := &reel.Video{ID: reel.NewID(), OriginalKey: v.OriginalKey, Status: reel.StatusQueued}
	if err := store.CreateVideo(ctx, w); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Fatalf("CreateVideo on a taken original: %v, want conflict", err)
	}
	if ids := jobsOf(w.ID); len(ids) != 0 {
		t.Errorf("a video that was never created has jobs %v", ids)
	}
	if ids := jobsOf(v.ID); len(ids) != 1 {
		t.Errorf("jobs of the first video: %v, want one", ids)
	}
}

// containsVideo reports whether a transcode job's JSON args name id.
func containsVideo(args []byte, id string) bool {
	var a TranscodeArgs
	return json.Unmarshal(args, &a) == nil && a.VideoID == id
}
