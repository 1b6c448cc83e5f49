package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"reel/metrics"
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
	// Metrics, if set, counts jobs by kind and outcome and their wait in
	// the queue, from River's events.
	Metrics *metrics.Metrics
	// Logger gets River's records, its Info ones (start, stop, leader
	// election) lowered to Debug: they are River's business, not reel's.
	Logger *slog.Logger
}

// Runner runs jobs: transcodes, and the periodic jobs while its process
// leads. Every Runner on a database takes part in River's leader election
// and the periodic jobs are scheduled by the leader alone, so they run
// once per cluster however many processes run.
type Runner struct {
	client    *river.Client[*sql.Tx]
	transcode *TranscodeWorker
	events    <-chan *river.Event
	unsub     func()
	metrics   *metrics.Metrics
	counted   chan struct{} // closed once every event is counted
}

// NewRunner returns a runner on driver's database.
func NewRunner(driver riverdriver.Driver[*sql.Tx], cfg Config) (*Runner, error) {
	if cfg.Workers < 1 || cfg.Transcode == nil {
		return nil, errors.New("jobs: a runner needs Workers ≥ 1 and a Transcode worker")
	}
	var logger *slog.Logger
	if cfg.Logger != nil {
		logger = slog.New(quieter{cfg.Logger.Handler()})
	}
	rc := &river.Config{
		Logger:            logger,
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
	// Pieces and stitches of split videos share the transcodes' slots.
	river.AddWorker(rc.Workers, &PieceWorker{TranscodeWorker: cfg.Transcode})
	river.AddWorker(rc.Workers, &StitchWorker{TranscodeWorker: cfg.Transcode})
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
	r := &Runner{client: client, transcode: cfg.Transcode, metrics: cfg.Metrics, counted: make(chan struct{})}
	r.events, r.unsub = client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed)
	go r.count()
	return r, nil
}

// count turns River's events into metrics until the subscription ends.
func (r *Runner) count() {
	defer close(r.counted)
	for ev := range r.events {
		if ev.Job == nil {
			continue
		}
		var wait time.Duration
		if ev.JobStats != nil {
			wait = ev.JobStats.QueueWaitDuration
		}
		outcome := strings.TrimPrefix(string(ev.Kind), "job_")
		r.metrics.Job(ev.Job.Kind, outcome, wait)
	}
}

// Start starts working. It returns at once. Ending ctx does not stop the
// runner: Stop does, handing running transcodes back first.
func (r *Runner) Start(ctx context.Context) error {
	return r.client.Start(context.WithoutCancel(ctx))
}

// Stop hands running transcodes back to the queue at once, for another
// runner (or this one's next start) to take up without waiting for any
// stall timeout, and waits up to ctx's deadline for the jobs to have
// returned. Transcodes take minutes to hours: waiting for them to finish
// would hold up a deploy for as long, and redoing one costs less.
func (r *Runner) Stop(ctx context.Context) error {
	r.transcode.handBack.Store(true)
	err := r.client.StopAndCancel(ctx)
	r.unsub()
	<-r.counted
	return err
}

// quieter lowers River's Info records to Debug and keeps the others.
type quieter struct{ h slog.Handler }

func (q quieter) lower(l slog.Level) slog.Level {
	if l == slog.LevelInfo {
		return slog.LevelDebug
	}
	return l
}

func (q quieter) Enabled(ctx context.Context, l slog.Level) bool { return q.h.Enabled(ctx, q.lower(l)) }

func (q quieter) Handle(ctx context.Context, rec slog.Record) error {
	rec.Level = q.lower(rec.Level)
	return q.h.Handle(ctx, rec)
}

func (q quieter) WithAttrs(as []slog.Attr) slog.Handler { return quieter{q.h.WithAttrs(as)} }
func (q quieter) WithGroup(name string) slog.Handler    { return quieter{q.h.WithGroup(name)} }

// periodic runs a job with args every interval, and once when its runner
// becomes the leader.
func periodic(interval time.Duration, args river.JobArgs) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
