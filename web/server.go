// Package web is reel's HTTP face: the REST API under /api/, signed HLS
// delivery under /play/ and the web page at /. Its answers are package
// api's JSON shapes, errors with the status api.Status gives their code.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"reel"
	"reel/api"
)

//go:embed static
var static embed.FS

// JobCanceler cancels a video's transcode job when the video is deleted.
type JobCanceler interface {
	Cancel(ctx context.Context, jobID int64) error
}

// Server holds what the handlers need. Set the fields, then call Handler.
type Server struct {
	Videos    reel.VideoStore
	Originals reel.BlobStore
	Outputs   reel.BlobStore
	Signer    reel.Signer
	Jobs      JobCanceler

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

	// Uploads, if set, serves resumable uploads (tus) at /api/uploads/.
	Uploads http.Handler

	// Now returns the current time; tests move it.
	Now func() time.Time

	playlists  *playlistCache
	playStates *playStateCache
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
