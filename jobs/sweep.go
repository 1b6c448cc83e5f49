package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"reel"
)

// SweepArgs are the arguments of the periodic sweep of abandoned uploads.
type SweepArgs struct{}

// Kind names the job in River's table.
func (SweepArgs) Kind() string { return "sweep_uploads" }

// staleAborter is the capability of stores whose unfinished uploads linger
// and bill their owner: S3's multipart uploads.
type staleAborter interface {
	AbortStale(ctx context.Context, olderThan time.Duration) (int, error)
}

// SweepWorker aborts multipart uploads left unfinished longer than After
// in each store that has them: uploads a crash cut off, and direct
// uploads a client never completed.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]

	Stores []reel.BlobStore
	After  time.Duration
	Logger *slog.Logger
}

// Work sweeps every store, going on past a failing one.
func (w *SweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	var errs []error
	for _, s := range w.Stores {
		a, ok := s.(staleAborter)
		if !ok {
			continue
		}
		n, err := a.AbortStale(ctx, w.After)
		if n > 0 {
			w.Logger.Info("aborted abandoned multipart uploads", "store", s, "count", n)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
