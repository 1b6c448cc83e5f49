package jobs

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"reel"
	"reel/disk"
	"reel/sqlstore"
)

// transcodeFunc is a func-field fake of reel.Transcoder.
type transcodeFunc func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error)

func (f transcodeFunc) Transcode(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
	return f(ctx, req)
}

// stderrError carries a stderr tail like ffmpeg's exit errors.
type stderrError struct{ tail string }

func (e stderrError) Error() string      { return "ffmpeg: exit status 1" }
func (e stderrError) StderrTail() string { return e.tail }

type fixture struct {
	w       *TranscodeWorker
	videos  *sqlstore.Store
	outputs *disk.Store
	video   *reel.Video
}

func newFixture(t *testing.T, tr transcodeFunc) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "reel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	videos := sqlstore.New(db, nil)
	originals, _ := disk.New(filepath.Join(dir, "originals"))
	outputs, _ := disk.New(filepath.Join(dir, "outputs"))
	v := &reel.Video{ID: reel.NewID(), Status: reel.StatusUploading, OriginalKey: "x/original"}
	if err := videos.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	return &fixture{
		w: &TranscodeWorker{
			Videos: videos, Originals: originals, Outputs: outputs, Transcoder: tr,
			WorkDir: t.TempDir(), Limit: time.Minute, Logger: slog.New(slog.DiscardHandler),
		},
		videos: videos, outputs: outputs, video: v,
	}
}

func (f *fixture) work(attempt int) error {
	job := &river.Job[TranscodeArgs]{
		JobRow: &rivertype.JobRow{ID: 1, Attempt: attempt, MaxAttempts: 3},
		Args:   TranscodeArgs{VideoID: f.video.ID},
	}
	return f.w.Work(context.Background(), job)
}

func (f *fixture) get(t *testing.T) *reel.Video {
	t.Helper()
	v, err := f.videos.Video(context.Background(), f.video.ID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// writeLadder fakes ffmpeg's output folder.
func writeLadder(dir string) {
	os.MkdirAll(filepath.Join(dir, "360p"), 0o755)
	for _, f := range []string{"360p/index.m3u8", "360p/init.mp4", "360p/seg_00000.m4s", reel.PosterImage, "master.m3u8"} {
		os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644)
	}
}

func TestWorkPublishesReadyVideo(t *testing.T) {
	var sawInput string
	f := newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
		sawInput = req.Input
		req.Progress(0.5)
		writeLadder(req.OutputDir)
		return &reel.TranscodeResult{Duration: 9.9, Width: 640, Height: 360,
			Renditions: []reel.Rendition{{Name: "360p", Width: 640, Height: 360, Bandwidth: 1000}}}, nil
	})
	if err := f.work(1); err != nil {
		t.Fatal(err)
	}
	v := f.get(t)
	if v.Status != reel.StatusReady || v.Progress != 1 || v.Duration != 9.9 || len(v.Renditions) != 1 {
		t.Errorf("after Work: %+v", v)
	}
	if !strings.HasSuffix(sawInput, filepath.FromSlash("originals/x/original")) {
		t.Errorf("ffmpeg read %q, want the original's local path", sawInput)
	}
	for _, key := range []string{"master.m3u8", "360p/seg_00000.m4s", "poster.jpg"} {
		b, err := f.outputs.Open(context.Background(), reel.OutputPrefix(f.video.ID)+key)
		if err != nil {
			t.Errorf("output %s: %v", key, err)
			continue
		}
		b.Close()
	}
	if left, _ := os.ReadDir(f.w.WorkDir); len(left) != 0 {
		t.Errorf("work dir not cleaned: %v", left)
	}
}

func TestWorkBadSourceFailsOnce(t *testing.T) {
	f := newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
		return nil, reel.WrapError(reel.EINVALID, "The file is not a video ffmpeg can read.", stderrError{"moov atom not found"})
	})
	err := f.work(1)
	var cancel *river.JobCancelError
	if !errors.As(err, &cancel) {
		t.Fatalf("Work error = %v, want a JobCancel so River does not retry", err)
	}
	v := f.get(t)
	if v.Status != reel.StatusFailed || v.Error != "The file is not a video ffmpeg can read." || v.ErrorDetail != "moov atom not found" {
		t.Errorf("after a bad source: status %s, error %q, detail %q", v.Status, v.Error, v.ErrorDetail)
	}
}

func TestWorkTransientFailureRetries(t *testing.T) {
	boom := errors.New("disk hiccup")
	f := newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
		return nil, boom
	})
	if err := f.work(1); !errors.Is(err, boom) {
		t.Fatalf("attempt 1: %v, want %v returned for River to retry", err, boom)
	}
	if v := f.get(t); v.Status != reel.StatusQueued {
		t.Errorf("after a transient failure: %s, want queued", v.Status)
	}
	// The last attempt gives up and says so.
	err := f.work(3)
	var cancel *river.JobCancelError
	if !errors.As(err, &cancel) {
		t.Fatalf("last attempt: %v, want a JobCancel", err)
	}
	if v := f.get(t); v.Status != reel.StatusFailed || v.Error == "" || v.ErrorDetail != "disk hiccup" {
		t.Errorf("after the last attempt: %s %q %q", v.Status, v.Error, v.ErrorDetail)
	}
}

func TestWorkDeletedVideoStopsQuietly(t *testing.T) {
	var f *fixture
	f = newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
		f.videos.DeleteVideo(context.Background(), f.video.ID)
		req.Progress(1) // finds the video gone and cancels ctx
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err := f.work(1); err != nil {
		t.Errorf("Work on a video deleted mid-transcode = %v, want nil", err)
	}
}

// A transcode whose progress stops advancing is cancelled and retried,
// even though ffmpeg keeps reporting the same value.
func TestWatchdogCancelsStalledTranscode(t *testing.T) {
	f := newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
		for {
			req.Progress(0.3) // stuck at 30 %
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	f.w.StallTimeout = 100 * time.Millisecond
	start := time.Now()
	err := f.work(1)
	if err == nil || !strings.Contains(err.Error(), "stopped making progress") {
		t.Fatalf("Work = %v, want a stall error for River to retry", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stall noticed after %v", d)
	}
	if v := f.get(t); v.Status != reel.StatusQueued {
		t.Errorf("after a stall: %s, want queued for the retry", v.Status)
	}
	// On the last attempt the user learns why.
	err = f.work(3)
	if v := f.get(t); v.Status != reel.StatusFailed || v.Error != "Transcoding stopped making progress." {
		t.Errorf("last attempt: %v; video %s %q", err, v.Status, v.Error)
	}
}

// A transcode may run at most LimitFactor times the source's duration.
func TestTranscodeLimitRelativeToDuration(t *testing.T) {
	f := newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
		req.Started(0.1) // a 0.1 s source
		for p := 0.0; ; p += 0.001 {
			req.Progress(p) // advancing, so never stalled, but slow
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	f.w.LimitFactor = 2
	f.w.StallTimeout = 0
	err := f.work(1)
	if err == nil || !strings.Contains(err.Error(), "took longer than allowed") {
		t.Fatalf("Work = %v, want the time limit", err)
	}
}

// A job whose video was requeued under a newer job does nothing.
func TestSupersededJobDoesNothing(t *testing.T) {
	called := false
	f := newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
		called = true
		return nil, errors.New("must not run")
	})
	job := &river.Job[TranscodeArgs]{
		JobRow: &rivertype.JobRow{ID: 7, Attempt: 1, MaxAttempts: 3},
		Args:   TranscodeArgs{VideoID: f.video.ID},
	}
	f.video.JobID = 8
	f.w.Videos = jobIDStore{f.videos, 8}
	if err := f.w.Work(context.Background(), job); err != nil || called {
		t.Errorf("superseded job: err %v, transcoder called %v", err, called)
	}
}

// jobIDStore reports every video as belonging to job id.
type jobIDStore struct {
	*sqlstore.Store
	id int64
}

func (s jobIDStore) Video(ctx context.Context, id string) (*reel.Video, error) {
	v, err := s.Store.Video(ctx, id)
	if v != nil {
		v.JobID = s.id
	}
	return v, err
}
