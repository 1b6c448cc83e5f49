package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"reel"
	"reel/ffmpeg"
	"reel/jobs"
	"reel/s3"
	"reel/sqlstore"
	"reel/token"
	"reel/tus"
	"reel/web"
)

// ServeCommand runs the server: API, delivery, web page and, in the same
// process, the transcoding workers.
type ServeCommand struct {
	Data          string
	DB            string
	Addr          string
	Originals     string
	Outputs       string
	CacheSize     byteSize
	PartSize      byteSize
	PartBuffers   int
	AbandonAfter  time.Duration
	UploadExpiry  time.Duration
	HookSecret    string
	MaxUploadSize byteSize
	SigningKey    string
	Signing       signingConfig
	AllowOrigin   string
	PlaybackTTL   time.Duration
	PublicURL     string
	Workers       int
	JobTimeout    time.Duration
	JobFactor     float64
	StallTimeout  time.Duration
	Encrypt       bool
	FFmpeg        string
	FFprobe       string
	LogLevel      string
	Access        accessFlags

	// Lookup reads the environment; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
	// Ready, if set, receives the listener's address once serving.
	Ready func(addr string)
}

// ParseFlags reads flags, then REEL_* variables for flags not given, then
// validates.
func (c *ServeCommand) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("reel serve", flag.ContinueOnError)
	fs.StringVar(&c.Data, "data", "./data", "data `dir`: database, originals, outputs, signing key")
	registerDBFlag(fs, &c.DB)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen `address`")
	fs.StringVar(&c.Originals, "originals", "", "originals store: file:///path or s3://bucket/prefix?endpoint=... (default: DATA/originals)")
	fs.StringVar(&c.Outputs, "outputs", "", "outputs store, as --originals (default: DATA/outputs)")
	c.CacheSize = 10 << 30
	fs.Var(&c.CacheSize, "cache-size", "local disk cache of segments served from an S3 outputs store")
	c.PartSize = s3.DefaultPartSize
	fs.Var(&c.PartSize, "part-size", "S3 multipart part size, the unit of the process-wide buffer pool")
	fs.IntVar(&c.PartBuffers, "part-buffers", s3.DefaultPoolBuffers, "S3 part buffers shared by all uploads of the process")
	fs.DurationVar(&c.AbandonAfter, "abandon-after", 48*time.Hour, "abort S3 multipart uploads left unfinished this long (at least the life of direct upload URLs)")
	fs.DurationVar(&c.UploadExpiry, "upload-expiry", tus.DefaultExpiry, "remove resumable (tus) uploads left unfinished this long after their creation")
	fs.StringVar(&c.HookSecret, "hook-secret", "", "shared `secret` of POST /api/hooks/s3 (Authorization: Bearer ...); empty disables it")
	c.MaxUploadSize = 50 << 30
	fs.Var(&c.MaxUploadSize, "max-upload-size", "largest upload accepted (such as 50GiB)")
	fs.StringVar(&c.SigningKey, "signing-key", "", "`key` signing playback URLs, 32 bytes or more (default: generated once and kept in the database)")
	c.Signing.flags(fs)
	fs.StringVar(&c.AllowOrigin, "allow-origin", "*", "Access-Control-Allow-Origin of playback responses")
	fs.DurationVar(&c.PlaybackTTL, "playback-ttl", 6*time.Hour, "how long signed playback URLs stay valid")
	fs.StringVar(&c.PublicURL, "public-url", "", "base `URL` of playback links (default: the request's host)")
	fs.IntVar(&c.Workers, "workers", max(1, runtime.NumCPU()/2), "transcodes running at once in this process")
	fs.DurationVar(&c.JobTimeout, "job-timeout", 6*time.Hour, "longest a single transcode may run")
	fs.Float64Var(&c.JobFactor, "job-timeout-factor", 10, "longest a transcode may run, in multiples of the source's duration")
	fs.DurationVar(&c.StallTimeout, "stall-timeout", 2*time.Minute, "retry a transcode whose progress stops for this long")
	fs.BoolVar(&c.Encrypt, "encrypt", false, "encrypt every new video's segments with HLS AES-128, the key served only under a valid playback token")
	fs.StringVar(&c.FFmpeg, "ffmpeg", "ffmpeg", "ffmpeg `command`")
	fs.StringVar(&c.FFprobe, "ffprobe", "ffprobe", "ffprobe `command`")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	c.Access.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("reel serve takes no arguments, got %q", fs.Args())
	}
	lookup := c.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if err := envDefaults(fs, lookup); err != nil {
		return err
	}
	return c.validate()
}

func (c *ServeCommand) validate() error {
	switch {
	case c.MaxUploadSize <= 0:
		return errors.New("--max-upload-size must be positive")
	case c.PlaybackTTL < time.Minute:
		return errors.New("--playback-ttl must be at least 1m")
	case c.Workers < 0:
		return errors.New("--workers must not be negative")
	case c.JobTimeout <= 0:
		return errors.New("--job-timeout must be positive")
	case c.JobFactor < 0:
		return errors.New("--job-timeout-factor must not be negative")
	case c.StallTimeout < time.Second:
		return errors.New("--stall-timeout must be at least 1s")
	case c.PartSize < s3.MinPartSize || c.PartBuffers < 3:
		return fmt.Errorf("--part-size must be at least %d bytes and --part-buffers at least 3", s3.MinPartSize)
	case c.AbandonAfter < web.DirectUploadTTL:
		return fmt.Errorf("--abandon-after must be at least %v, the life of direct upload URLs", web.DirectUploadTTL)
	case c.UploadExpiry < time.Minute || c.UploadExpiry >= c.AbandonAfter:
		// The sweep would abort the S3 multipart uploads of live ones.
		return fmt.Errorf("--upload-expiry must be at least 1m and less than --abandon-after (%v)", c.AbandonAfter)
	case c.AllowOrigin == "":
		return errors.New("--allow-origin must not be empty")
	case c.SigningKey != "" && len(c.SigningKey) < token.MinKeySize:
		return fmt.Errorf("--signing-key must be at least %d bytes", token.MinKeySize)
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return errors.New("--public-url must start with http:// or https://")
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if err := c.Access.validate(c.PlaybackTTL); err != nil {
		return err
	}
	if err := c.Signing.validate(); err != nil {
		return err
	}
	var level slog.Level
	return level.UnmarshalText([]byte(c.LogLevel))
}

// Run serves until ctx ends, then shuts down gracefully.
func (c *ServeCommand) Run(ctx context.Context) error {
	var level slog.Level
	level.UnmarshalText([]byte(c.LogLevel)) // checked by validate
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	for _, tool := range []string{c.FFmpeg, c.FFprobe} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: install ffmpeg (Debian: apt-get install ffmpeg) or pass --ffmpeg/--ffprobe", tool)
		}
	}
	if err := os.MkdirAll(c.Data, 0o755); err != nil {
		return err
	}

	db, err := openDatabase(ctx, c.Data, c.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, queue, err := c.open(ctx, db, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	if err := secureByDefault(ctx, srv, ln.Addr(), c.Data, log); err != nil {
		ln.Close()
		return err
	}
	httpSrv := &http.Server{
		Handler: srv.Handler(),
		// Slow clients may not hold connections open with headers, but an
		// upload of many gigabytes may take hours: no whole-request timeout.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if err := queue.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	log.Info("reel serving", "addr", "http://"+ln.Addr().String(), "data", c.Data, "workers", c.Workers)
	if c.Ready != nil {
		c.Ready(ln.Addr().String())
	}

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(web.LimitListener(ln, c.Access.MaxConnsPerIP, c.Access.trusted)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	httpSrv.Shutdown(shutdown)
	// Running transcodes are cancelled; River retries them on the next start.
	return queue.Stop(shutdown)
}

// open builds the stores, the queue and the HTTP server on db.
func (c *ServeCommand) open(ctx context.Context, db *database, log *slog.Logger) (*web.Server, *jobs.Queue, error) {
	// One pool of part buffers bounds the memory of every S3 upload.
	pool := s3.NewPartPool(int64(c.PartSize), c.PartBuffers)
	originals, err := openStore(ctx, "originals", cmp.Or(c.Originals, filepath.Join(c.Data, "originals")), pool)
	if err != nil {
		return nil, nil, err
	}
	outputs, err := openStore(ctx, "outputs", cmp.Or(c.Outputs, filepath.Join(c.Data, "outputs")), pool)
	if err != nil {
		return nil, nil, err
	}
	served, err := cachedOutputs(outputs, c.Data, int64(c.CacheSize))
	if err != nil {
		return nil, nil, err
	}
	hooks := web.HookConfig{Secret: c.HookSecret}
	if st, ok := originals.(*s3.Store); ok {
		hooks.Bucket, hooks.Prefix = st.Bucket(), st.Prefix()
	} else if c.HookSecret != "" {
		return nil, nil, errors.New("--hook-secret needs an s3:// originals store")
	}
	key, err := c.signingKey(ctx, db.SQL, log)
	if err != nil {
		return nil, nil, err
	}
	signer, err := c.Signing.signer(key)
	if err != nil {
		return nil, nil, err
	}
	// Transcodes write to a work folder first; leftovers of a crash go.
	workDir := filepath.Join(c.Data, "work")
	os.RemoveAll(workDir)
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return nil, nil, err
	}

	worker := &jobs.TranscodeWorker{
		Originals:    originals,
		Outputs:      outputs,
		Transcoder:   &ffmpeg.Transcoder{FFmpeg: c.FFmpeg, FFprobe: c.FFprobe, Logger: log},
		WorkDir:      workDir,
		Limit:        c.JobTimeout,
		LimitFactor:  c.JobFactor,
		StallTimeout: c.StallTimeout,
		Encrypt:      c.Encrypt,
		Logger:       log,
	}
	// A live transcode touches its video every second; one untouched for
	// twice the stall timeout has lost its worker.
	rescue := &jobs.RescueWorker{After: 2 * c.StallTimeout, Logger: log}
	sweep := &jobs.SweepWorker{Stores: []reel.BlobStore{originals, outputs}, After: c.AbandonAfter, Logger: log}
	expire := &jobs.ExpireUploadsWorker{Logger: log}
	queue, err := jobs.New(db.River, jobs.Config{
		Workers: c.Workers, Transcode: worker, Rescue: rescue, Sweep: sweep, PollInterval: db.pollInterval(),
		Logger: log.With("component", "river"),

		ExpireUploads: expire,
	})
	if err != nil {
		return nil, nil, err
	}
	videos := sqlstore.New(db.SQL, queue.EnqueueTranscode)
	worker.Videos, rescue.Videos = videos, videos
	uploads, err := tus.New(tus.Config{
		Videos: videos, Uploads: videos, Originals: originals, MaxSize: int64(c.MaxUploadSize),
		Expiry: c.UploadExpiry, PublicURL: c.PublicURL, Logger: log,
		Prepare: web.UploadOwner, BodyTimeout: c.Access.BodyTimeout,
	})
	if err != nil {
		return nil, nil, err
	}
	expire.Uploads = uploads

	return &web.Server{
		Videos:        videos,
		Originals:     originals,
		Outputs:       served,
		Hooks:         hooks,
		Signer:        signer,
		Jobs:          queue,
		MaxUploadSize: int64(c.MaxUploadSize),
		AllowOrigin:   c.AllowOrigin,
		PlaybackTTL:   c.PlaybackTTL,
		PublicURL:     c.PublicURL,
		Logger:        log,
		Uploads:       uploads,
		Access:        c.Access.config(videos),
	}, queue, nil
}

// signingKey returns the configured key, or else the one kept in the
// database, which the first process to start creates, so that every
// process signs and verifies with the same key and URLs survive restarts.
// A DATA/signing.key from before the key moved into the database becomes
// the database's key if it has none yet, so the URLs it signed stay valid.
func (c *ServeCommand) signingKey(ctx context.Context, db *sql.DB, log *slog.Logger) ([]byte, error) {
	if c.SigningKey != "" {
		return []byte(c.SigningKey), nil
	}
	path := filepath.Join(c.Data, "signing.key")
	var candidate string
	b, err := os.ReadFile(path)
	if err == nil {
		candidate = strings.TrimSpace(string(b))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	fromFile := candidate != ""
	if !fromFile {
		raw := make([]byte, 32)
		rand.Read(raw)
		candidate = hex.EncodeToString(raw)
	}
	key, err := sqlstore.New(db, nil).SigningKey(ctx, candidate)
	if err != nil {
		return nil, err
	}
	if fromFile && key != candidate {
		log.Warn("the data dir's signing.key differs from the signing key in the database; signing with the database's (pass the file's key in --signing-old-keys to keep the URLs it signed valid)", "file", path)
	}
	return []byte(key), nil
}
