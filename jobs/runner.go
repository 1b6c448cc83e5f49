package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// Config configures a Runner.
type Config struct {
	// Workers is how many transcodes run at once in this process; at
	// least 1.
	Workers int
	// Transcode does the work of transcode jobs.
	Transcode *TranscodeWorker
	// Rescue, if set, runs every Rescue.After/6 on the leader.
	Rescue *RescueWorker
	// Sweep, if set, runs hourly on the leader.
	Sweep *SweepWorker
	// ExpireUploads, if set, runs every ExpireUploads.Every on the leader.
	ExpireUploads *ExpireUploadsWorker
	// Webhook, if set, delivers webhook messages, WebhookWorkers at once
	// (at least 1), in a queue of their own.
	Webhook        *WebhookWorker
	WebhookWorkers int
	// PollInterval is how often idle workers look for new jobs besides
	// the notifications of inserts; 0 means River's default (1 s).
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Runner runs jobs: transcodes, and the periodic jobs while its process
// leads. Every Runner on a database takes part in River's leader election
// and the periodic jobs are scheduled by the leader alone, so they run
// once per cluster however many processes run.
type Runner struct {
	client *river.Client[*sql.Tx]
}

// NewRunner returns a runner on driver's database.
func NewRunner(driver riverdriver.Driver[*sql.Tx], cfg Config) (*Runner, error) {
	if cfg.Workers < 1 || cfg.Transcode == nil {
		return nil, errors.New("jobs: a runner needs Workers ≥ 1 and a Transcode worker")
	}
	rc := &river.Config{
		Logger:            cfg.Logger,
		FetchPollInterval: cfg.PollInterval,
		// Transcodes take as long as they take; the worker sets its own limit.
		JobTimeout: -1,
		// River re-queues a job that has run longer than this, taking its
		// worker for dead; a live transcode must never be taken for one.
		// A dead worker's video is rescued much sooner by RescueWorker.
		RescueStuckJobsAfter: cfg.Transcode.Limit + 15*time.Minute,
		Workers:              river.NewWorkers(),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
	}
	if cfg.PollInterval > 0 {
		rc.FetchCooldown = min(cfg.PollInterval, 100*time.Millisecond)
	}
	river.AddWorker(rc.Workers, cfg.Transcode)
	if cfg.Rescue != nil {
		river.AddWorker(rc.Workers, cfg.Rescue)
		rc.PeriodicJobs = append(rc.PeriodicJobs, periodic(max(cfg.Rescue.After/6, time.Second), RescueArgs{}))
	}
	if cfg.Sweep != nil {
		river.AddWorker(rc.Workers, cfg.Sweep)
		rc.PeriodicJobs = append(rc.PeriodicJobs, periodic(time.Hour, SweepArgs{}))
	}
	if cfg.ExpireUploads != nil {
		river.AddWorker(rc.Workers, cfg.ExpireUploads)
		rc.PeriodicJobs = append(rc.PeriodicJobs, periodic(cfg.ExpireUploads.interval(), ExpireUploadsArgs{}))
	}
	if cfg.Webhook != nil {
		river.AddWorker(rc.Workers, cfg.Webhook)
		rc.Queues[WebhookQueue] = river.QueueConfig{MaxWorkers: max(cfg.WebhookWorkers, 1)}
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, err
	}
	return &Runner{client: client}, nil
}

// Start starts working. It returns at once.
func (r *Runner) Start(ctx context.Context) error { return r.client.Start(ctx) }

// Stop stops fetching jobs and waits for running ones to finish, up to
// ctx's deadline, then cancels them: a cancelled transcode puts its video
// back in the queue, and River retries it in another runner or at the
// next start.
func (r *Runner) Stop(ctx context.Context) error {
	err := r.client.Stop(ctx)
	if ctx.Err() == nil {
		return err
	}
	cancelled, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	return r.client.StopAndCancel(cancelled)
}

// periodic runs a job with args every interval, and once when its runner
// becomes the leader.
func periodic(interval time.Duration, args river.JobArgs) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
