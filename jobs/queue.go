// Package jobs runs reel's background work on River: the transcode job
// that follows every complete upload, and the periodic jobs (rescue of
// stalled transcodes, sweep of abandoned multipart uploads, expiry of
// resumable uploads). One river.Client[*sql.Tx] type serves both SQLite
// and PostgreSQL; the caller picks the driver.
//
// Every process that changes videos has a Queue, which inserts and
// cancels jobs and runs none. Processes that transcode also have a Runner
// (reel worker, and reel serve unless --workers 0). Both are River clients
// on the same database, so the video store can be built on the Queue
// before the workers are built on the store.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrate brings River's own tables up to date.
func Migrate(ctx context.Context, driver riverdriver.Driver[*sql.Tx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// Queue inserts and cancels jobs. It is an insert-only River client: it
// runs no job, takes no part in leader election and costs nothing idle.
type Queue struct {
	client *river.Client[*sql.Tx]
	// inserted, if set, is told of every insert (see SQLiteDriver).
	inserted func()
}

// NewQueue returns the queue on driver's database.
func NewQueue(driver riverdriver.Driver[*sql.Tx], log *slog.Logger) (*Queue, error) {
	if log != nil {
		log = slog.New(quieter{log.Handler()}) // River's Info is reel's Debug
	}
	client, err := river.NewClient(driver, &river.Config{Logger: log})
	if err != nil {
		return nil, err
	}
	q := &Queue{client: client}
	if d, ok := driver.(*SQLiteDriver); ok {
		q.inserted = d.jobInserted
	}
	return q, nil
}

// EnqueueTranscode inserts the transcode job of videoID within tx, at the
// priority its owner's backlog gives it (fair.go). It has the shape of
// sqlstore.EnqueueFunc.
func (q *Queue) EnqueueTranscode(ctx context.Context, tx *sql.Tx, videoID string) (int64, error) {
	priority, err := q.transcodePriority(ctx, tx, videoID)
	if err != nil {
		return 0, err
	}
	opts := TranscodeArgs{}.InsertOpts()
	opts.Priority = priority
	res, err := q.client.InsertTx(ctx, tx, TranscodeArgs{VideoID: videoID}, &opts)
	if err != nil {
		return 0, err
	}
	if q.inserted != nil {
		q.inserted()
	}
	return res.Job.ID, nil
}

// Cancel cancels the job: a queued job never runs, a running one is told
// to stop, in whichever process runs it. An unknown job is not an error.
func (q *Queue) Cancel(ctx context.Context, jobID int64) error {
	if jobID == 0 {
		return nil
	}
	_, err := q.client.JobCancel(ctx, jobID)
	if errors.Is(err, river.ErrNotFound) {
		return nil
	}
	if err == nil && q.inserted != nil {
		q.inserted() // the cancel notification, as soon as it commits
	}
	return err
}
