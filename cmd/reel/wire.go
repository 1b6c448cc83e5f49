package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/tus/tusd/v2/pkg/prometheuscollector"

	"reel"
	"reel/ffmpeg"
	"reel/health"
	"reel/jobs"
	"reel/metrics"
	"reel/s3"
	"reel/sqlstore"
	"reel/tus"
	"reel/web"
	"reel/webhook"
)

// coreFlags are the flags reel serve and reel worker share: the database,
// the stores, and how transcodes run. Both register them here, once.
type coreFlags struct {
	Data         string
	DB           string
	Originals    string
	Outputs      string
	PartSize     byteSize
	PartBuffers  int
	AbandonAfter time.Duration
	UploadExpiry time.Duration
	JobTimeout   time.Duration
	JobFactor    float64
	StallTimeout time.Duration
	// SplitAbove and ChunkDuration cut longer videos into pieces that
	// every worker encodes at once; ChunkDuration 0 disables splitting.
	SplitAbove    time.Duration
	ChunkDuration time.Duration
	// Threads bounds each encode's ffmpeg threads; 0 leaves them to ffmpeg.
	Threads int
	// Codecs are the video codecs of every ladder (--codecs), H.264 first.
	Codecs  string
	Encrypt bool
	// Downloads makes an MP4 and an M4A of every new video (--downloads).
	Downloads bool
	FFmpeg    string
	FFprobe   string
	LogLevel  string
	// WebhookAllowPrivate lets webhooks reach loopback and private addresses.
	WebhookAllowPrivate bool
	LogFormat           string
	// MetricsAddr, if set, is a listener of its own for /metrics,
	// /healthz and /readyz (ops.go).
	MetricsAddr     string
	ShutdownTimeout time.Duration
}

func (c *coreFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", "./data", "data `dir`: the SQLite database, local originals and outputs, the work folder of transcodes")
	registerDBFlag(fs, &c.DB)
	fs.StringVar(&c.Originals, "originals", "", "originals store: file:///path or s3://bucket/prefix?endpoint=... (default: DATA/originals)")
	fs.StringVar(&c.Outputs, "outputs", "", "outputs store, as --originals (default: DATA/outputs)")
	c.PartSize = s3.DefaultPartSize
	fs.Var(&c.PartSize, "part-size", "S3 multipart part size, the unit of the process-wide buffer pool")
	fs.IntVar(&c.PartBuffers, "part-buffers", s3.DefaultPoolBuffers, "S3 part buffers shared by all uploads of the process")
	fs.DurationVar(&c.AbandonAfter, "abandon-after", 48*time.Hour, "abort S3 multipart uploads left unfinished this long (at least the life of direct upload URLs)")
	fs.DurationVar(&c.UploadExpiry, "upload-expiry", tus.DefaultExpiry, "remove resumable (tus) uploads left unfinished this long after their creation")
	fs.DurationVar(&c.JobTimeout, "job-timeout", 6*time.Hour, "longest a single transcode may run")
	fs.Float64Var(&c.JobFactor, "job-timeout-factor", 10, "longest a transcode may run, in multiples of the source's duration")
	fs.DurationVar(&c.StallTimeout, "stall-timeout", 2*time.Minute, "retry a transcode whose progress stops for this long")
	fs.DurationVar(&c.SplitAbove, "split-above", 5*time.Minute, "split videos longer than this into pieces encoded by every worker at once")
	fs.DurationVar(&c.ChunkDuration, "chunk-duration", time.Minute, "length of each piece of a split video, rounded to whole 6 s segments (0: never split)")
	fs.IntVar(&c.Threads, "ffmpeg-threads", 0, "threads of each ffmpeg encode, whole or piece (0: ffmpeg's choice; 1: one core each)")
	fs.StringVar(&c.Codecs, "codecs", ffmpeg.H264, "video codecs of every ladder whose upload names none: h264, h264,hevc, h264,av1 or h264,hevc,av1 (players take the best they decode)")
	fs.BoolVar(&c.Encrypt, "encrypt", false, "encrypt every new video's segments with HLS AES-128, the key served only under a valid playback token")
	fs.BoolVar(&c.Downloads, "downloads", false, "make the downloads of every new video whose upload does not say: an MP4 of the top H.264 rung with the audio and an M4A of the audio, remuxed (not for encrypted videos)")
	fs.StringVar(&c.FFmpeg, "ffmpeg", "ffmpeg", "ffmpeg `command`")
	fs.StringVar(&c.FFprobe, "ffprobe", "ffprobe", "ffprobe `command`")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", false, "let webhooks reach loopback, private, link-local and metadata addresses")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log lines as text (key=value) or json")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "", "also serve /metrics, /healthz and /readyz, to anyone, on this `address` (such as 127.0.0.1:9090)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
}

func (c *coreFlags) validate() error {
	switch {
	case c.JobTimeout <= 0:
		return errors.New("--job-timeout must be positive")
	case c.JobFactor < 0:
		return errors.New("--job-timeout-factor must not be negative")
	case c.StallTimeout < time.Second:
		return errors.New("--stall-timeout must be at least 1s")
	case c.SplitAbove < 0 || c.ChunkDuration < 0 || c.Threads < 0:
		return errors.New("--split-above, --chunk-duration and --ffmpeg-threads must not be negative")
	case c.PartSize < s3.MinPartSize || c.PartBuffers < 3:
		return fmt.Errorf("--part-size must be at least %d bytes and --part-buffers at least 3", s3.MinPartSize)
	case c.AbandonAfter < web.DirectUploadTTL:
		return fmt.Errorf("--abandon-after must be at least %v, the life of direct upload URLs", web.DirectUploadTTL)
	case c.UploadExpiry < time.Minute || c.UploadExpiry >= c.AbandonAfter:
		// The sweep would abort the S3 multipart uploads of live ones.
		return fmt.Errorf("--upload-expiry must be at least 1m and less than --abandon-after (%v)", c.AbandonAfter)
	}
	switch {
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
	case c.ShutdownTimeout < 0:
		return errors.New("--shutdown-timeout must not be negative")
	}
	if _, err := ffmpeg.ParseCodecs(c.Codecs); err != nil {
		return fmt.Errorf("--%w", err)
	}
	var level slog.Level
	return level.UnmarshalText([]byte(c.LogLevel))
}

// logger returns the process's logger at --log-level.
func (c *coreFlags) logger() *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.LogLevel)) // checked by validate
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// parts are what serve and worker share, built complete in the order data
// flows: the database, the blob stores, the queue (inserting only), the
// video store on it, the upload service, then the workers on those.
type parts struct {
	log       *slog.Logger
	db        *database
	originals reel.BlobStore
	outputs   reel.BlobStore
	queue     *jobs.Queue
	videos    *sqlstore.Store
	uploads   *tus.Handler
	// webhooks sends webhook messages and checks receivers' URLs.
	webhooks *webhook.Sender
	// metrics is the process's registry; ready checks the database and
	// the stores for /readyz.
	metrics *metrics.Metrics
	ready   *health.Checker
	// runner runs transcodes and the periodic jobs; nil when the process
	// runs none (reel serve --workers 0).
	runner *jobs.Runner
	// release frees the process's work folder and closes the database.
	release func()
}

// build opens and builds the parts for a process running workers
// transcodes at once (0: none). upload carries the tus settings only the
// HTTP side has; build fills in the stores.
func (c *coreFlags) build(ctx context.Context, log *slog.Logger, workers int, upload tus.Config) (_ *parts, err error) {
	// Only transcoding needs ffmpeg: an API process runs without.
	for _, tool := range []string{c.FFmpeg, c.FFprobe} {
		if _, err := exec.LookPath(tool); err != nil && workers > 0 {
			return nil, fmt.Errorf("%s not found: install ffmpeg (Debian: apt-get install ffmpeg) or pass --ffmpeg/--ffprobe", tool)
		}
	}
	if err := os.MkdirAll(c.Data, 0o755); err != nil {
		return nil, err
	}
	p := &parts{log: log, metrics: metrics.New()}
	var closers []func()
	p.release = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			p.release()
		}
	}()

	// Migrated, reel's tables and River's.
	if p.db, err = openDatabase(ctx, c.Data, c.DB); err != nil {
		return nil, err
	}
	closers = append(closers, func() { p.db.Close() })
	driver := p.db.River

	// One pool of part buffers bounds the memory of every S3 upload.
	pool := s3.NewPartPool(int64(c.PartSize), c.PartBuffers)
	if p.originals, err = openStore(ctx, "originals", cmp.Or(c.Originals, filepath.Join(c.Data, "originals")), pool); err != nil {
		return nil, err
	}
	if p.outputs, err = openStore(ctx, "outputs", cmp.Or(c.Outputs, filepath.Join(c.Data, "outputs")), pool); err != nil {
		return nil, err
	}

	p.ready = health.New(log,
		health.Check{Name: "database", Probe: p.db.SQL.PingContext},
		health.Store("originals", p.originals), health.Store("outputs", p.outputs))
	if err := p.metrics.RegisterDB(p.db.SQL, "reel"); err != nil {
		return nil, err
	}

	if p.queue, err = jobs.NewQueue(driver, log.With("component", "river")); err != nil {
		return nil, err
	}
	p.videos = sqlstore.New(p.db.SQL, p.queue.EnqueueTranscode).WithAnnounce(p.queue.AnnounceWebhooks).WithCancel(p.queue.CancelTx)
	p.webhooks = webhook.NewSender(c.WebhookAllowPrivate)
	upload.Videos, upload.Uploads, upload.Originals = p.videos, p.videos, p.originals
	upload.Expiry, upload.Logger = c.UploadExpiry, log
	if p.uploads, err = tus.New(upload); err != nil {
		return nil, err
	}
	if err := p.metrics.Register(prometheuscollector.New(p.uploads.Metrics)); err != nil {
		return nil, err
	}
	if workers == 0 {
		return p, nil
	}

	work, free, err := claimWorkDir(filepath.Join(c.Data, "work"))
	if err != nil {
		return nil, err
	}
	closers = append(closers, free)
	codecs, _ := ffmpeg.ParseCodecs(c.Codecs) // checked by validate
	p.runner, err = jobs.NewRunner(driver, jobs.Config{
		Workers: workers,
		Transcode: &jobs.TranscodeWorker{
			Videos:       p.videos,
			Events:       p.videos,
			Originals:    p.originals,
			Outputs:      p.outputs,
			Transcoder:   &ffmpeg.Transcoder{FFmpeg: c.FFmpeg, FFprobe: c.FFprobe, Threads: c.Threads, Logger: log},
			WorkDir:      work,
			Limit:        c.JobTimeout,
			LimitFactor:  c.JobFactor,
			StallTimeout: c.StallTimeout,
			Encrypt:      c.Encrypt,
			// The defaults of videos that do not choose their own.
			Codecs:        codecs,
			Downloads:     c.Downloads,
			SplitAbove:    c.SplitAbove,
			ChunkDuration: c.ChunkDuration,
			Pieces:        p.videos,
			Queue:         p.queue,
			Metrics:       p.metrics,
			Logger:        log,
		},
		// A live transcode touches its video every second, or its own
		// watchdog cancels it within 1.25 stall timeouts (the watchdog
		// ticks every quarter of one): a video untouched for 1.5 has lost
		// its worker. Checked every quarter, it is requeued within 1.75.
		Rescue: &jobs.RescueWorker{Videos: p.videos, Pieces: p.videos, Queue: p.queue,
			After: c.StallTimeout * 3 / 2, Logger: log},
		Sweep:         &jobs.SweepWorker{Stores: []reel.BlobStore{p.originals, p.outputs}, After: c.AbandonAfter, Logger: log},
		ExpireUploads: &jobs.ExpireUploadsWorker{Uploads: p.uploads, Logger: log},
		Webhook:       &jobs.WebhookWorker{Webhooks: p.videos, Sender: p.webhooks, Logger: log},
		// Deliveries mostly wait on the network.
		WebhookWorkers: 4,
		PollInterval:   p.db.pollInterval(),
		Metrics:        p.metrics,
		Logger:         log.With("component", "river"),
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// stopRunner stops the runner, if any: running transcodes are cancelled at
// once and handed back to the queue, available to another runner (or this
// one's next start) without costing an attempt; stopping waits up to 10 s
// for them to have returned.
func (p *parts) stopRunner(ctx context.Context) error {
	if p.runner == nil {
		return nil
	}
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return p.runner.Stop(grace)
}
