package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"reel/blobcache"
	"reel/ffmpeg"
	"reel/s3"
	"reel/sqlstore"
	"reel/token"
	"reel/tus"
	"reel/web"
)

// ServeCommand runs the server: API, delivery, web page and, unless
// --workers 0, transcoding workers in the same process.
type ServeCommand struct {
	coreFlags
	Addr          string
	CacheSize     byteSize
	HookSecret    string
	MaxUploadSize byteSize
	SigningKey    string
	Signing       signingConfig
	AllowOrigin   string
	EmbedOrigins  string
	embedOrigins  []string // EmbedOrigins parsed; nil for any
	PlaybackTTL   time.Duration
	PublicURL     string
	Workers       int
	Access        accessFlags

	// Lookup reads the environment; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
	// Ready, if set, receives the listener's address once serving.
	Ready func(addr string)
}

// serveAbout is the help's description of reel serve.
const serveAbout = `Runs the server: the API under /api/, signed HLS delivery under /play/,
the web page, and (unless --workers 0) transcoding workers. With no flags
it keeps everything in ./data: a SQLite database, originals and outputs.`

// cmdLine returns reel serve's flags, bound to c's fields.
func (c *ServeCommand) cmdLine() *cmdLine {
	cl := newCmdLine("reel serve", "reel serve [flags]", serveAbout)
	fs := cl.FlagSet
	c.coreFlags.register(fs)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen `address`")
	c.CacheSize = 10 << 30
	fs.Var(&c.CacheSize, "cache-size", "local disk cache of segments served from an S3 outputs store")
	fs.StringVar(&c.HookSecret, "hook-secret", "", "shared `secret` of POST /api/hooks/s3 (Authorization: Bearer ...); empty disables it")
	c.MaxUploadSize = 50 << 30
	fs.Var(&c.MaxUploadSize, "max-upload-size", "largest upload accepted (such as 50GiB)")
	fs.StringVar(&c.SigningKey, "signing-key", "", "`key` signing playback URLs, 32 bytes or more (default: generated once and kept in the database)")
	c.Signing.flags(fs)
	fs.StringVar(&c.AllowOrigin, "allow-origin", "*", "Access-Control-Allow-Origin of playback responses")
	fs.StringVar(&c.EmbedOrigins, "embed-origins", "*", "`origins` whose pages may frame the embed page /embed/{id}, comma-separated (such as https://blog.example.com), or * for any")
	fs.DurationVar(&c.PlaybackTTL, "playback-ttl", 6*time.Hour, "how long signed playback URLs stay valid")
	fs.StringVar(&c.PublicURL, "public-url", "", "base `URL` of playback links (default: the request's host)")
	fs.IntVar(&c.Workers, "workers", max(1, runtime.NumCPU()/2), "transcodes running at once in this process (0: none, reel worker runs them)")
	c.Access.register(fs)
	return cl
}

// ParseFlags reads flags, then REEL_* variables for flags not given, then
// validates.
func (c *ServeCommand) ParseFlags(args []string) error {
	cl := c.cmdLine()
	fs := cl.FlagSet
	rest, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{msg: fmt.Sprintf("reel serve takes no arguments, got %q", rest), hint: flagHint("reel serve")}
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
	if err := c.coreFlags.validate(); err != nil {
		return err
	}
	switch {
	case c.MaxUploadSize <= 0:
		return errors.New("--max-upload-size must be positive")
	case c.PlaybackTTL < time.Minute:
		return errors.New("--playback-ttl must be at least 1m")
	case c.Workers < 0:
		return errors.New("--workers must not be negative")
	case c.AllowOrigin == "":
		return errors.New("--allow-origin must not be empty")
	case c.SigningKey != "" && len(c.SigningKey) < token.MinKeySize:
		return fmt.Errorf("--signing-key must be at least %d bytes", token.MinKeySize)
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return errors.New("--public-url must start with http:// or https://")
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	origins, err := parseEmbedOrigins(c.EmbedOrigins)
	if err != nil {
		return err
	}
	c.embedOrigins = origins
	if err := c.Access.validate(c.PlaybackTTL); err != nil {
		return err
	}
	return c.Signing.validate()
}

// Run serves until ctx ends, then shuts down gracefully.
func (c *ServeCommand) Run(ctx context.Context) error {
	log := c.logger()
	p, err := c.build(ctx, log, c.Workers, tus.Config{
		MaxSize: int64(c.MaxUploadSize), PublicURL: c.PublicURL, Caller: web.Caller,
		BodyTimeout: c.Access.BodyTimeout,
	})
	if err != nil {
		return err
	}
	defer p.release()

	// The address decides whether reel may run open (no key yet): listen
	// first, then build the server with its access settings complete.
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return listenError(err, c.Addr, "addr")
	}
	open, err := secureByDefault(ctx, p.videos, ln.Addr(), keysFlag(c.Data, c.DB), log)
	if err != nil {
		ln.Close()
		return err
	}
	srv, err := c.server(ctx, p, open)
	if err != nil {
		ln.Close()
		return err
	}
	active := &sync.WaitGroup{} // handlers running, for shutdown
	handler := srv.Handler()
	httpSrv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			active.Add(1)
			defer active.Done()
			handler.ServeHTTP(w, r)
		}),
		// Slow clients may not hold connections open with headers, but an
		// upload of many gigabytes may take hours: no whole-request timeout.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	_, stopOps, err := serveOps(c.MetricsAddr, p)
	if err != nil {
		ln.Close()
		return err
	}
	if p.runner != nil {
		if err := p.runner.Start(ctx); err != nil {
			ln.Close()
			return fmt.Errorf("start workers: %w", err)
		}
	}
	log.Info("reel serving", "addr", "http://"+ln.Addr().String(), "data", c.Data, "workers", c.Workers)
	if c.Ready != nil {
		c.Ready(ln.Addr().String())
	}

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(web.LimitListener(ln, c.Access.MaxConnsPerIP, c.Access.trusted)) }()
	select {
	case err := <-errc:
		p.stopRunner(ctx)
		stopOps(ctx)
		return err
	case <-ctx.Done():
	}
	return c.shutdown(ctx, httpSrv, active, p, stopOps)
}

// shutdown stops gracefully: the listener closes at once; running
// transcodes go back to the queue at once, for another worker; in-flight
// requests get --shutdown-timeout to finish, then their connections are
// closed (an interrupted tus upload resumes on another process: its
// offset is in the store and the database). The probes and metrics go last.
func (c *ServeCommand) shutdown(ctx context.Context, httpSrv *http.Server, active *sync.WaitGroup, p *parts, stopOps func(context.Context)) error {
	log := p.log
	log.Info("shutting down", "timeout", c.ShutdownTimeout)
	stopped := make(chan error, 1)
	go func() { stopped <- p.stopRunner(ctx) }()

	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(grace); err != nil {
		log.Warn("requests still running at the shutdown timeout; closing their connections", "err", err)
		httpSrv.Close()
		// Their handlers now fail to read or write; give them a moment to
		// save what they received and free their uploads' locks, so that
		// the client resumes elsewhere without waiting for a lease.
		returned := make(chan struct{})
		go func() { active.Wait(); close(returned) }()
		select {
		case <-returned:
		case <-time.After(5 * time.Second):
		}
	}
	err := <-stopped
	last, cancelLast := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancelLast()
	stopOps(last)
	log.Info("stopped")
	return err
}

// server builds the HTTP side on the shared parts; open lets it run open
// (see secureByDefault).
func (c *ServeCommand) server(ctx context.Context, p *parts, open bool) (*web.Server, error) {
	served, err := cachedOutputs(p.outputs, c.Data, int64(c.CacheSize))
	if err != nil {
		return nil, err
	}
	if cache, ok := served.(*blobcache.Store); ok {
		if err := p.metrics.RegisterCache(cache.Stats); err != nil {
			return nil, err
		}
	}
	hooks := web.HookConfig{Secret: c.HookSecret}
	if st, ok := p.originals.(*s3.Store); ok {
		hooks.Bucket, hooks.Prefix = st.Bucket(), st.Prefix()
	} else if c.HookSecret != "" {
		return nil, errors.New("--hook-secret needs an s3:// originals store")
	}
	key, err := c.signingKey(ctx, p.db.SQL, p.log)
	if err != nil {
		return nil, err
	}
	signer, err := c.Signing.signer(key)
	if err != nil {
		return nil, err
	}
	access := c.Access.config(p.videos)
	access.AllowOpen = open
	// A poster chosen by its time is a frame ffmpeg takes; an API process
	// without ffmpeg takes posters as pictures only.
	var frames web.Stiller
	if haveTools(c.FFmpeg, c.FFprobe) {
		frames = &ffmpeg.Transcoder{FFmpeg: c.FFmpeg, FFprobe: c.FFprobe, Logger: p.log}
	}
	return &web.Server{
		Frames:        frames,
		Videos:        p.videos,
		Originals:     p.originals,
		Outputs:       served,
		Hooks:         hooks,
		Signer:        signer,
		Jobs:          p.queue,
		MaxUploadSize: int64(c.MaxUploadSize),
		AllowOrigin:   c.AllowOrigin,
		EmbedOrigins:  c.embedOrigins,
		PlaybackTTL:   c.PlaybackTTL,
		PublicURL:     c.PublicURL,
		Logger:        p.log,
		Uploads:       p.uploads,
		Access:        access,
		Webhooks:      web.WebhookConfig{Store: p.videos, CheckURL: p.webhooks.CheckURL},
		Events:        p.videos,
		Metrics:       p.metrics,
		Ready:         p.ready,
	}, nil
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

// haveTools reports whether every program is found on PATH (or at its path).
func haveTools(programs ...string) bool {
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			return false
		}
	}
	return true
}

// parseEmbedOrigins reads --embed-origins: "*" (any site, nil) or
// origins separated by commas, each a scheme and host with no path, as
// CSP's frame-ancestors takes them.
func parseEmbedOrigins(v string) ([]string, error) {
	if strings.TrimSpace(v) == "*" {
		return nil, nil
	}
	var out []string
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSuffix(strings.TrimSpace(o), "/")
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" ||
			u.Fragment != "" || u.User != nil || strings.ContainsAny(o, " ;'\"") {
			return nil, fmt.Errorf("--embed-origins must be * or origins such as https://blog.example.com separated by commas, got %q", o)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}
