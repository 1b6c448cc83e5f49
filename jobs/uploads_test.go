package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// expirerFunc is a hand-written fake of UploadExpirer.
type expirerFunc func(ctx context.Context) (int, error)

func (f expirerFunc) Expire(ctx context.Context) (int, error) { return f(ctx) }

func TestExpireUploadsWorker(t *testing.T) {
	calls := 0
	fail := errors.New("store down")
	w := &ExpireUploadsWorker{
		Uploads: expirerFunc(func(ctx context.Context) (int, error) {
			calls++
			if calls == 2 {
				return 1, fail
			}
			return 3, nil
		}),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if err := w.Work(context.Background(), &river.Job[ExpireUploadsArgs]{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(context.Background(), &river.Job[ExpireUploadsArgs]{}); !errors.Is(err, fail) {
		t.Errorf("Work = %v, want the store's error (River retries it)", err)
	}
	if calls != 2 {
		t.Errorf("Expire called %d times", calls)
	}
	if w.interval() != 10*time.Minute {
		t.Errorf("default interval %v", w.interval())
	}
	w.Every = time.Minute
	if w.interval() != time.Minute || (ExpireUploadsArgs{}).Kind() != "expire_uploads" {
		t.Error("interval or kind")
	}
}
