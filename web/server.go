// Package web is reel's HTTP face: the REST API under /api/, signed HLS
// delivery under /play/ and the web page at /. Its answers are package
// api's JSON shapes, errors with the status api.Status gives their code.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"reel"
	"reel/api"
	"reel/metrics"
	"reel/video"
)

// Server holds what the handlers need. Set the fields, then call Handler.
type Server struct {
	Videos    reel.VideoStore
	Originals reel.BlobStore
	Outputs   reel.BlobStore
	Signer    reel.Signer
	Jobs      video.JobCanceler

	// MaxUploadSize is the largest original accepted, in bytes.
	MaxUploadSize int64
	// AllowOrigin is the Access-Control-Allow-Origin of /play/: "*" or one
	// origin.
	AllowOrigin string
	// PlaybackTTL is how long a signed playback URL stays valid.
	PlaybackTTL time.Duration
	// PublicURL, if set, is the base of the absolute URLs the API hands out
	// (such as https://video.example.com); otherwise the request's host.
	PublicURL string
	Logger    *slog.Logger

	// Hooks configures POST /api/hooks/s3 (S3 event notifications); an
	// empty Secret disables it.
	Hooks HookConfig

	// Access configures API keys, sessions, API CORS and rate limits
	// (auth.go); the zero value means none.
	Access AccessConfig

	// Uploads, if set, serves resumable uploads (tus) at /api/uploads/,
	// and removes a deleted video's unfinished upload.
	Uploads ResumableUploads

	// Webhooks configures /api/webhooks (webhooks.go); Events, if set,
	// serves each video's event log.
	Webhooks WebhookConfig
	Events   reel.VideoEventStore

	// Metrics, if set, counts requests and uploads and is served at
	// /metrics to loopback clients and admins (observe.go, ops.go).
	Metrics *metrics.Metrics
	// Ready, if set, answers /readyz (package health); otherwise /readyz
	// answers 200 like /healthz.
	Ready http.Handler

	// EmbedOrigins are the origins (https://blog.example.com) whose pages
	// may frame the embed page, /embed/{id}; none means any.
	EmbedOrigins []string

	// Frames, if set, takes the frame an owner picks as the poster by its
	// time (PUT /api/videos/{id}/poster with {"time": ...}).
	Frames Stiller

	// Now returns the current time; tests move it.
	Now func() time.Time

	auth       *guard         // set by protect, used by /metrics too
	videos     *video.Service // the use cases, on the fields above
	playlists  *playlistCache
	playStates *playStateCache
	page       *pageAssets // the web page, with its content hashes (page.go)
	captionMu  sync.Mutex  // caption edits of the master take turns (captions.go)
}

// error writes err as {"error": {"code": ..., "message": ...}}; internal
// errors are logged and their details kept from the client.
func (s *Server) error(w http.ResponseWriter, r *http.Request, err error) {
	code := reel.ErrorCode(err)
	if errors.Is(err, context.Canceled) {
		return // the client is gone; nobody reads the answer
	}
	status := api.Status(code)
	if status == http.StatusInternalServerError {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "client", ClientAddr(r, s.Access.TrustedProxies), "err", err)
	}
	s.json(w, status, api.ErrorResponse{Error: api.Error{Code: code, Message: reel.ErrorMessage(err)}})
}

func (s *Server) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// AccessConfig configures access control, the API's CORS and the rate
// limits. The zero value turns them off: every request acts as admin and
// nothing is limited, as embedding tests want; reel serve always sets Keys.
type AccessConfig struct {
	// Keys and Sessions hold the API keys and the web page's sessions;
	// with Keys nil there is no access control at all.
	Keys     reel.KeyStore
	Sessions reel.SessionStore
	// AllowOpen lets reel run open (every request as admin) while no
	// valid key exists. Set it only when listening on a loopback address.
	AllowOpen bool
	// SessionTTL is how long a sign-in lasts; 0 means a week.
	SessionTTL time.Duration

	// MaxPlaybackTTL caps the ?ttl= of playback URLs; 0 means PlaybackTTL.
	MaxPlaybackTTL time.Duration
	// APIAllowOrigin is the origin allowed to call the API cross-origin
	// with a bearer key ("*" for any); empty sends no CORS headers.
	APIAllowOrigin string

	// APIRate and APIBurst limit the API requests of each client (key or
	// IP address), per second; 0 means no limit.
	APIRate  float64
	APIBurst int
	// UploadRate and UploadBurst limit the uploads each client starts, per
	// minute; 0 means no limit.
	UploadRate  float64
	UploadBurst int

	// BodyTimeout is the longest a request body may go without a byte
	// before its read fails and the connection closes; 0 means no limit.
	BodyTimeout time.Duration
	// MaxConnsPerIP caps the connections of one client address, applied
	// by LimitListener; 0 means no cap.
	MaxConnsPerIP int

	// TrustedProxies are the peers whose X-Forwarded-For or Forwarded
	// header names the client (clientaddr.go); none by default.
	TrustedProxies []netip.Prefix
}

// HookConfig configures POST /api/hooks/s3, the endpoint for S3 event
// notifications: a file copied into the originals bucket gets a video and
// a transcode, as if uploaded through reel.
//
// Point the bucket's notifications for s3:ObjectCreated:* at it. MinIO:
//
//	mc admin config set myminio notify_webhook:reel \
//	  endpoint=https://video.example.com/api/hooks/s3 auth_token=SECRET
//	mc admin service restart myminio
//	mc event add myminio/media arn:minio:sqs::reel:webhook --event put --prefix originals/
//
// AWS S3 does not call URLs itself: have a function on its SQS, SNS or
// EventBridge notifications POST the notification's JSON here.
//
// By hand, as a test:
//
//	curl -s -X POST https://video.example.com/api/hooks/s3 \
//	  -H 'Authorization: Bearer SECRET' -H 'Content-Type: application/json' \
//	  -d '{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "media"},
//	       "object": {"key": "originals/holiday/my+clip.mp4", "size": 1048576}}}]}'
//
//	{"created": ["k3x9..."], "skipped": 0}
type HookConfig struct {
	// Secret is what senders present as "Authorization: Bearer <secret>".
	// Empty disables the endpoint: it answers 404.
	Secret string
	// Bucket is the originals store's bucket (required); events for
	// other buckets are ignored.
	Bucket string
	// Prefix is the originals store's prefix inside the bucket, "" or
	// ending in "/"; events for keys outside it are ignored.
	Prefix string
}

// ResumableUploads is the tus endpoint (tus.Handler): an http.Handler
// for /api/uploads/ that also removes a video's unfinished upload.
type ResumableUploads interface {
	http.Handler
	video.UploadRemover
}

// WebhookConfig configures /api/webhooks; the zero value serves none.
type WebhookConfig struct {
	Store reel.WebhookStore
	// CheckURL refuses a receiver's URL before it is stored (form, and
	// addresses unless private ones are allowed).
	CheckURL func(ctx context.Context, url string) error
}

// guard is the state of protect.
type guard struct {
	s       *Server
	cop     *http.CrossOriginProtection
	api     *limiter
	uploads *limiter

	mu        sync.Mutex
	hasKeys   bool
	checkedAt time.Time
}
