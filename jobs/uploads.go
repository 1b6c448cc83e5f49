package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// ExpireUploadsArgs are the arguments of the periodic removal of expired
// resumable uploads.
type ExpireUploadsArgs struct{}

// Kind names the job in River's table.
func (ExpireUploadsArgs) Kind() string { return "expire_uploads" }

// UploadExpirer removes expired resumable uploads and returns how many
// (tus.Store does: it aborts their multipart uploads, deletes their
// partial files and tails, their state and their videos).
type UploadExpirer interface {
	Expire(ctx context.Context) (int, error)
}

// ExpireUploadsWorker removes unfinished resumable uploads past their
// expiry, every Every on the leader.
type ExpireUploadsWorker struct {
	river.WorkerDefaults[ExpireUploadsArgs]

	Uploads UploadExpirer
	// Every is how often it runs; 0 means every 10 minutes.
	Every  time.Duration
	Logger *slog.Logger
}

// interval returns how often the job runs.
func (w *ExpireUploadsWorker) interval() time.Duration {
	if w.Every <= 0 {
		return 10 * time.Minute
	}
	return w.Every
}

// Work removes what expired.
func (w *ExpireUploadsWorker) Work(ctx context.Context, job *river.Job[ExpireUploadsArgs]) error {
	n, err := w.Uploads.Expire(ctx)
	if n > 0 {
		w.Logger.Info("removed expired uploads", "count", n)
	}
	return err
}
