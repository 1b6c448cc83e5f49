package jobs

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"reel"
	"reel/sqlstore"
)

// process is what one reel process has of the queue: its own connection
// to the shared database file, its driver, queue and, if started, runner.
type process struct {
	db      *sql.DB
	driver  *SQLiteDriver
	queue   *Queue
	runner  *Runner
	expired atomic.Int64 // runs of the periodic expiry in this process
	stopped bool
}

// newProcess opens path as a process of its own would. quiet is the
// listener's slow poll, fetch the runner's fallback poll.
func newProcess(t *testing.T, path string, quiet, fetch time.Duration) *process {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := &process{db: db, driver: NewSQLiteDriver(db)}
	p.driver.quiet = quiet
	if err := Migrate(ctx, p.driver); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if p.queue, err = NewQueue(p.driver, log); err != nil {
		t.Fatal(err)
	}
	videos := sqlstore.New(db, p.queue.EnqueueTranscode)
	p.runner, err = NewRunner(p.driver, Config{
		Workers:   1,
		Transcode: &TranscodeWorker{Videos: videos, WorkDir: t.TempDir(), Limit: time.Minute, Logger: log},
		Rescue:    &RescueWorker{Videos: videos, After: time.Hour, Logger: log},
		Sweep:     &SweepWorker{Logger: log},
		ExpireUploads: &ExpireUploadsWorker{
			Uploads: expirerFunc(func(context.Context) (int, error) { p.expired.Add(1); return 0, nil }),
			Every:   time.Hour,
			Logger:  log,
		},
		PollInterval: fetch,
		Logger:       log,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *process) start(t *testing.T) {
	t.Helper()
	if err := p.runner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t) })
}

func (p *process) stop(t *testing.T) {
	if p.stopped {
		return
	}
	p.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.runner.Stop(ctx); err != nil {
		t.Errorf("stop runner: %v", err)
	}
}

// jobCount counts the jobs of kind in any state.
func jobCount(t *testing.T, db *sql.DB, kind string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM river_job WHERE kind = ?", kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds, failing the test after a generous
// minute: the machine may be busy.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after a minute", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Periodic jobs run once per cluster: of two runners on one database only
// River's elected leader schedules them, and when it stops the other
// takes over. A queue alone (reel serve --workers 0) schedules nothing.
func TestPeriodicJobsOncePerCluster(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reel.db")
	api := newProcess(t, path, 200*time.Millisecond, time.Second)
	time.Sleep(2 * time.Second)
	kind := ExpireUploadsArgs{}.Kind()
	if n := jobCount(t, api.db, kind); n != 0 {
		t.Fatalf("an insert-only queue scheduled %d periodic jobs", n)
	}

	a := newProcess(t, path, 200*time.Millisecond, time.Second)
	b := newProcess(t, path, 200*time.Millisecond, time.Second)
	a.start(t)
	b.start(t)
	runs := func() int64 { return a.expired.Load() + b.expired.Load() }
	waitFor(t, "the first run of the expiry", func() bool { return runs() > 0 })
	// Past River's election interval (5 s and jitter): a second leader
	// would have scheduled it on start by now.
	time.Sleep(12 * time.Second)
	if n, r := jobCount(t, api.db, kind), runs(); n != 1 || r != 1 {
		t.Fatalf("expiry scheduled %d times and run %d times by two runners, want once", n, r)
	}

	// The leader stops (it resigns): the other is elected and schedules
	// it on start.
	var id string
	if err := api.db.QueryRow("SELECT leader_id FROM river_leader").Scan(&id); err != nil {
		t.Fatal(err)
	}
	leader := a
	if b.runner.client.ID() == id {
		leader = b
	} else if a.runner.client.ID() != id {
		t.Fatalf("leader %q is neither runner", id)
	}
	leader.stop(t)
	waitFor(t, "the other runner to take over", func() bool { return runs() == 2 })
	if n := jobCount(t, api.db, kind); n != 2 {
		t.Errorf("expiry scheduled %d times after one change of leader, want 2", n)
	}
}

// A job inserted by this process starts at once although the runner polls
// slowly: the queue wakes the listener of the runner on the same driver.
// A job inserted by another process is seen at the listener's next poll.
func TestInsertNotifiesRunner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reel.db")
	p := newProcess(t, path, time.Hour, time.Hour)
	p.start(t)
	time.Sleep(time.Second) // past the runner's first fetch

	// The transcode of an unknown video completes at once: deleted while queued.
	enqueue := func(q *Queue, db *sql.DB) int64 {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		id, err := q.EnqueueTranscode(context.Background(), tx, reel.NewID())
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return id
	}
	completed := func(id int64) func() bool {
		return func() bool {
			var state string
			if err := p.db.QueryRow("SELECT state FROM river_job WHERE id = ?", id).Scan(&state); err != nil {
				t.Fatal(err)
			}
			return state == "completed"
		}
	}
	id := enqueue(p.queue, p.db)
	waitFor(t, "the job inserted in-process to run (both polls are an hour)", completed(id))

	other := newProcess(t, path, time.Hour, time.Hour)
	q := newProcess(t, path, 300*time.Millisecond, time.Hour) // reads the table often
	q.start(t)
	p.stop(t)
	id = enqueue(other.queue, other.db)
	waitFor(t, "the job inserted by another process to run", completed(id))
}
