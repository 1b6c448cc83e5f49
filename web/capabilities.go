package web

import (
	"context"
	"io"
	"net/http"
	"time"

	"reel"
)

// Capabilities of stores and signers that only the web layer uses
// (declared beside their one consumer; see docs/decisions.md).

// SizedBlobStore is the optional capability of stores that plan a Put
// better knowing its size: exact, an upper bound (such as a request's
// Content-Length), or -1 for unknown.
type SizedBlobStore interface {
	PutSize(ctx context.Context, key string, r io.Reader, size int64) (int64, error)
}

// RequestSigner is the optional capability of Signers whose grant travels
// outside the path token, in query parameters or cookies (CloudFront
// signed URLs). The web layer then verifies whole requests and has the
// signer add the grant to every URI of the playlists it serves, since
// relative URIs do not inherit a query string.
type RequestSigner interface {
	reel.Signer
	// SignQuery returns the query string (without '?') granting playback
	// of every file under prefixURL, which ends in "/<video-id>/", until
	// expires.
	SignQuery(prefixURL, videoID string, expires time.Time) (string, error)
	// VerifyRequest is Verify for a whole request of a file of videoID;
	// the grant may be in r's query or cookies.
	VerifyRequest(r *http.Request, videoID string, now time.Time) error
	// RewritePlaylist returns playlist with the grant r carried in its
	// query added to every URI, or playlist itself if r had none there.
	RewritePlaylist(r *http.Request, playlist []byte) []byte
}

// privateSigner is the optional capability of signers whose tokens say
// whether they were minted for a private video (token.Signer).
type privateSigner interface {
	// SignPrivate is Sign for a private video.
	SignPrivate(videoID string, expires time.Time) string
	// MintedPrivate reports whether a verified token came from SignPrivate.
	MintedPrivate(token string) bool
}

// LocalBlobStore is the optional capability of stores whose blobs are
// plain files, so that ffmpeg can read them in place (posterFrame).
type LocalBlobStore interface {
	LocalPath(key string) string
}

// PresignedBlobStore is the optional capability of stores that hand out
// time-limited URLs for reading a blob, which ffmpeg can read directly
// (posterFrame).
type PresignedBlobStore interface {
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
}
