// Package jobs runs reel's background work on River: the transcode job
// that follows every complete upload. One river.Client[*sql.Tx] serves both
// SQLite (riversqlite) and PostgreSQL (riverdatabasesql); the caller picks
// the driver.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

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

// Config configures a Queue.
type Config struct {
	// Workers is how many transcodes run at once in this process; 0 makes
	// an insert-only queue that runs no jobs.
	Workers int
	// Transcode does the work of transcode jobs; unused when Workers is 0.
	Transcode *TranscodeWorker
	// Rescue, if set, runs every Rescue.After/2 on the leader.
	Rescue *RescueWorker
	// Sweep, if set, runs hourly on the leader.
	Sweep *SweepWorker
	// ExpireUploads, if set, runs every ExpireUploads.Every on the leader.
	ExpireUploads *ExpireUploadsWorker
	// PollInterval is how often idle workers look for new jobs.
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Queue inserts jobs and, with workers, runs them.
type Queue struct {
	client  *river.Client[*sql.Tx]
	working bool
}

// New returns a queue on driver's database.
func New(driver riverdriver.Driver[*sql.Tx], cfg Config) (*Queue, error) {
	rc := &river.Config{
		Logger:            cfg.Logger,
		FetchPollInterval: cfg.PollInterval,
		// Transcodes take as long as they take; the worker sets its own limit.
		JobTimeout: -1,
	}
	if cfg.PollInterval > 0 {
		rc.FetchCooldown = min(cfg.PollInterval, 100*time.Millisecond)
	}
	if cfg.Workers > 0 {
		// River re-queues a job that has run longer than this, taking its
		// worker for dead; a live transcode must never be taken for one.
		rc.RescueStuckJobsAfter = cfg.Transcode.Limit + 15*time.Minute
		workers := river.NewWorkers()
		river.AddWorker(workers, cfg.Transcode)
		if cfg.Rescue != nil {
			river.AddWorker(workers, cfg.Rescue)
			rc.PeriodicJobs = append(rc.PeriodicJobs, periodic(max(cfg.Rescue.After/2, time.Second), RescueArgs{}))
		}
		if cfg.Sweep != nil {
			river.AddWorker(workers, cfg.Sweep)
			rc.PeriodicJobs = append(rc.PeriodicJobs, periodic(time.Hour, SweepArgs{}))
		}
		if cfg.ExpireUploads != nil {
			river.AddWorker(workers, cfg.ExpireUploads)
			rc.PeriodicJobs = append(rc.PeriodicJobs, periodic(cfg.ExpireUploads.interval(), ExpireUploadsArgs{}))
		}
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, err
	}
	return &Queue{client: client, working: cfg.Workers > 0}, nil
}

// Start starts the workers, if any. It returns at once.
func (q *Queue) Start(ctx context.Context) error {
	if !q.working {
		return nil
	}
	return q.client.Start(ctx)
}

// Stop waits for running jobs to finish, up to ctx's deadline, then
// cancels them; cancelled transcodes are retried by the next process.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.working {
		return nil
	}
	return q.client.Stop(ctx)
}

// periodic runs a job with args every interval, and once at start.
func periodic(interval time.Duration, args river.JobArgs) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
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
	return res.Job.ID, nil
}

// Cancel cancels the job: a queued job never runs, a running one is told
// to stop. An unknown job is not an error.
func (q *Queue) Cancel(ctx context.Context, jobID int64) error {
	if jobID == 0 {
		return nil
	}
	_, err := q.client.JobCancel(ctx, jobID)
	if errors.Is(err, river.ErrNotFound) {
		return nil
	}
	return err
}
