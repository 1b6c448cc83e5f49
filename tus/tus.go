// Package tus serves resumable uploads, tus 1.0 (https://tus.io), at
// /api/uploads/: core protocol and the creation, creation-with-upload,
// termination, expiration and checksum (sha1, sha256) extensions. tusd's
// handler (github.com/tus/tusd/v2/pkg/handler) speaks the protocol; this
// package gives it a data store that streams into reel's originals store
// with no local disk, a lock that works across processes, and a thin
// middleware for the two extensions tusd lacks (checksum, expiration).
//
// An upload IS a video: its id is the video's id, and creating the upload
// creates the video, status uploading, in the same transaction as the
// upload's state. The state (offset, multipart upload id, parts, expiry)
// lives in the database, so any reel process can take any request of an
// upload, and a restart loses nothing. When the last byte is durable the
// original is finalized and the transcode enqueued before the last PATCH
// is answered.
//
// Layout in the originals store, for video id ID:
//
//	ID/original           the original. On disk, the file grows in place,
//	                      each request appending at the recorded offset
//	                      (and cutting away bytes past it that a cut-off
//	                      request left) and fsyncing before the offset is
//	                      recorded. On S3, the object of a multipart
//	                      upload started at creation and completed when
//	                      the last byte arrives.
//	ID/original.tail.N    S3 only: the bytes received past the last whole
//	                      part (shorter than a part), kept as an object of
//	                      their own and read back in front of the next
//	                      request's bytes, so every byte a request brought
//	                      counts at once, even when clients send chunks
//	                      smaller than an S3 part. N grows with every
//	                      write: the database names the valid tail, and a
//	                      request cut off before it recorded its state
//	                      never overwrote it. The previous tail is deleted
//	                      once the new state is recorded.
//
// S3 parts are sized by the store (its PartSize of the declared length:
// whole buffers of the process's part pool), filled from the request body in
// pool buffers and sent with UploadPart, the store's PartsInFlight at a
// time, while the next one fills.
//
// Should a tail not be storable (S3 failing), the parts sent are recorded
// and the offset stops at the last part: the client sends those bytes
// again, at most one part. A chunk with a wrong checksum counts not at
// all: its parts are never recorded (a later request sends the same part
// numbers again, which replaces them) and on disk the file is cut back.
//
// Expiry: an unfinished upload expires a fixed time after its creation
// (Config.Expiry, 24h by default), before the sweep of abandoned S3
// multipart uploads could abort it under a live upload. Until removed it
// answers 410; Store.Expire, run periodically, aborts the multipart
// upload, deletes the partial file or tail and the video.
package tus

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
	expslog "golang.org/x/exp/slog"

	"reel"
)

// Config configures the tus endpoint.
type Config struct {
	Videos    reel.VideoStore
	Uploads   reel.UploadStore
	Originals reel.BlobStore // a *disk.Store or *s3.Store (see Appender, PartStore)

	// MaxSize is the largest upload accepted, in bytes; 0 means no limit.
	MaxSize int64
	// Expiry is how long after its creation an unfinished upload is
	// removed; 0 means 24h.
	Expiry time.Duration
	// BasePath is the path the handler is mounted at; "" means
	// /api/uploads/.
	BasePath string
	// PublicURL, if set, makes Location headers absolute
	// (PublicURL + BasePath + id); otherwise they are paths.
	PublicURL string
	// BodyTimeout is the longest a PATCH body may go without a byte
	// (tusd's NetworkTimeout); 0 means tusd's default, 60s. The bytes
	// received before it count.
	BodyTimeout time.Duration
	// LockTTL is the lease of an upload's lock: a process killed while
	// holding one frees it after this long; 0 means 10s.
	LockTTL time.Duration
	Logger  *slog.Logger
	// Now returns the current time for expiry; tests move it.
	Now func() time.Time
	// Caller, if set, returns who makes the request whose context it is
	// given (nil for an anonymous caller): a new upload's video is theirs,
	// created by the rules of video.New, which may refuse it (EINVALID
	// 400, EUNAUTHORIZED 401, EFORBIDDEN 403). Unset, uploads are
	// reel's own (video.System), as in tests.
	Caller func(ctx context.Context) *reel.Principal
}

// DefaultExpiry is how long an unfinished upload lives by default.
const DefaultExpiry = 24 * time.Hour

// Handler is the tus endpoint: an http.Handler for BasePath and below,
// and the store behind it, whose Expire the periodic job runs.
type Handler struct {
	*Store
	http.Handler
	// Metrics are tusd's counters of requests, errors, bytes received and
	// uploads created, finished and terminated.
	Metrics handler.Metrics
}

// New returns the tus endpoint. Mount it at BasePath for every method:
//
//	mux.Handle("/api/uploads/", h)
func New(cfg Config) (*Handler, error) {
	if cfg.Videos == nil || cfg.Uploads == nil || cfg.Originals == nil {
		return nil, fmt.Errorf("tus: Videos, Uploads and Originals are required")
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = DefaultExpiry
	}
	if cfg.BasePath == "" {
		cfg.BasePath = "/api/uploads/"
	}
	cfg.BasePath = "/" + strings.Trim(cfg.BasePath, "/") + "/"
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	store, err := newStore(cfg)
	if err != nil {
		return nil, err
	}

	composer := handler.NewStoreComposer()
	composer.UseCore(store)
	composer.UseTerminater(store)
	composer.UseLocker(store.locks)

	tusd, err := handler.NewHandler(handler.Config{
		StoreComposer:        composer,
		MaxSize:              cfg.MaxSize,
		BasePath:             cfg.BasePath,
		DisableDownload:      true, // originals are read through /api/videos, not here
		DisableConcatenation: true,
		// CORS is the API's, decided in front of this handler (reel's web
		// package, --api-allow-origin): tusd adds none of its own.
		Cors:   &handler.CorsConfig{Disable: true},
		Logger: expslog.New(logHandler{cfg.Logger.Handler()}),
		// The last PATCH finalizes the original and enqueues the
		// transcode: give that time to finish when the client is gone.
		GracefulRequestCompletionTimeout: 30 * time.Second,
		NetworkTimeout:                   cfg.BodyTimeout,
	})
	if err != nil {
		return nil, err
	}
	mw := &middleware{
		next:      http.StripPrefix(strings.TrimSuffix(cfg.BasePath, "/"), tusd),
		basePath:  cfg.BasePath,
		publicURL: strings.TrimSuffix(cfg.PublicURL, "/"),
	}
	return &Handler{Store: store, Handler: mw, Metrics: tusd.Metrics}, nil
}

// logHandler passes tusd's records (golang.org/x/exp/slog) to reel's
// log/slog handler, one level lower: tusd logs every request and chunk at
// Info, which is reel's Debug.
type logHandler struct{ h slog.Handler }

func lower(l expslog.Level) slog.Level {
	if l <= expslog.LevelInfo {
		return slog.Level(l) - 4
	}
	return slog.Level(l)
}

func (l logHandler) Enabled(ctx context.Context, level expslog.Level) bool {
	return l.h.Enabled(ctx, lower(level))
}

func (l logHandler) Handle(ctx context.Context, r expslog.Record) error {
	rec := slog.NewRecord(r.Time, lower(r.Level), "tus: "+r.Message, r.PC)
	r.Attrs(func(a expslog.Attr) bool {
		rec.AddAttrs(slog.Any(a.Key, a.Value.Any()))
		return true
	})
	return l.h.Handle(ctx, rec)
}

func (l logHandler) WithAttrs(attrs []expslog.Attr) expslog.Handler {
	as := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		as[i] = slog.Any(a.Key, a.Value.Any())
	}
	return logHandler{l.h.WithAttrs(as)}
}

func (l logHandler) WithGroup(name string) expslog.Handler { return logHandler{l.h.WithGroup(name)} }
