package jobs

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"

	"reel"
	"reel/disk"
	"reel/sqlstore"
)

// With one worker, owner A queues five videos, then owner B one while
// A's first is transcoding: B's starts next, not after A's whole backlog.
// On River on SQLite and on PostgreSQL.
func TestTranscodesFairAcrossOwners(t *testing.T) {
	onBothDatabases(t, fairAcrossOwners)
}

func fairAcrossOwners(t *testing.T, db *sql.DB, driver riverdriver.Driver[*sql.Tx]) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := sqlstore.Migrate(ctx, db, func(ctx context.Context) error { return Migrate(ctx, driver) }); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var started []string
	first := make(chan struct{}, 1)
	release := make(chan struct{})
	originals, _ := disk.New(filepath.Join(dir, "originals"))
	outputs, _ := disk.New(filepath.Join(dir, "outputs"))
	worker := &TranscodeWorker{
		Originals: originals, Outputs: outputs, WorkDir: t.TempDir(), Limit: time.Minute,
		Logger: slog.New(slog.DiscardHandler),
		Transcoder: transcodeFunc(func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
			mu.Lock()
			started = append(started, filepath.Base(filepath.Dir(req.Input)))
			mu.Unlock()
			select {
			case first <- struct{}{}:
			default:
			}
			<-release // the first holds the only worker until B has queued
			writeLadder(req.OutputDir)
			return &reel.TranscodeResult{Renditions: []reel.Rendition{{Name: "360p", Width: 640, Height: 360, Bandwidth: 1}}}, nil
		}),
	}
	queue, err := NewQueue(driver, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	videos := sqlstore.New(db, queue.EnqueueTranscode)
	worker.Videos = videos
	runner, err := NewRunner(driver, Config{Workers: 1, Transcode: worker, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		runner.Stop(stop)
	})

	enqueue := func(owner string) string {
		t.Helper()
		v := &reel.Video{ID: reel.NewID(), Owner: owner}
		v.OriginalKey = reel.OriginalKey(v.ID)
		if err := videos.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		if _, err := videos.Enqueue(ctx, v.ID, 1, nil); err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	var a []string
	for range 5 {
		a = append(a, enqueue("ownerA"))
	}
	select {
	case <-first:
	case <-time.After(60 * time.Second):
		t.Fatal("no transcode started within 60 s")
	}
	b := enqueue("ownerB")
	close(release)

	deadline := time.Now().Add(120 * time.Second)
	for {
		mu.Lock()
		n := len(started)
		mu.Unlock()
		if n == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 6 transcodes started within 120 s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	want := slices.Concat(a[:1], []string{b}, a[1:])
	if !slices.Equal(started, want) {
		t.Errorf("transcodes ran in the order %v\nwant %v (A's first, B's, then A's others)", started, want)
	}
}
