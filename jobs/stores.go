package jobs

import (
	"context"
	"time"
)

// Capabilities of originals stores that the transcode worker alone uses
// (declared beside their one consumer; see docs/decisions.md).

// LocalBlobStore is the optional capability of stores whose blobs are plain
// files, so that ffmpeg can read them in place.
type LocalBlobStore interface {
	// LocalPath returns the file path of the blob under key.
	LocalPath(key string) string
}

// PresignedBlobStore is the optional capability of stores that hand out
// time-limited URLs for reading a blob, which ffmpeg can read directly.
type PresignedBlobStore interface {
	// PresignGet returns a URL that reads the blob under key until ttl passes.
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
}
