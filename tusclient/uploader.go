package tusclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// DefaultChunkSize is the size of one PATCH when Uploader.ChunkSize is 0.
// The server keeps only the PATCHes it answered (each checked whole
// against its checksum), so a client killed mid-chunk sends up to one
// chunk again: 8 MiB bounds that, and is one part of reel's S3 originals
// store by default, so each PATCH completes a part with no tail kept.
const DefaultChunkSize = 8 << 20

// maxRateLimited is how many 429 answers in a row end an upload.
const maxRateLimited = 100

// Uploader sends a file to an upload, chunk by chunk, retrying from the
// server's offset.
type Uploader struct {
	Client *Client
	// ChunkSize is the most bytes one PATCH carries; 0 means DefaultChunkSize.
	ChunkSize int64
	// MaxRetries is how many failures in a row, with no chunk accepted in
	// between, end the upload; 0 means 10. 429 answers are not failures:
	// the wait their Retry-After asks for is kept, and 100 in a row end
	// the upload.
	MaxRetries int
	// Backoff is the wait before the nth retry in a row (n from 1); nil
	// means 1s doubling up to 30s.
	Backoff func(n int) time.Duration
	// Progress, if set, is called with the bytes the server holds plus
	// those of the current chunk sent so far. It goes back after a chunk
	// is lost.
	Progress func(offset int64)
	// Retrying, if set, is told of each failure that will be retried.
	Retrying func(err error, wait time.Duration)
}

// Backoff is the default wait before the nth retry in a row: 1s doubling
// up to 30s.
func Backoff(n int) time.Duration {
	d := time.Second << min(n-1, 5)
	return min(d, 30*time.Second)
}

// Temporary reports whether err may go away on retry: network errors,
// 5xx, 409 (offset mismatch: ask again), 423 (locked by a request still
// running on the server), 429 and a checksum mismatch.
func Temporary(err error) bool {
	if err == nil || errors.Is(err, ErrGone) || errors.Is(err, context.Canceled) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusConflict, http.StatusLocked, http.StatusTooManyRequests, StatusChecksumMismatch:
			return true
		}
		return se.Status >= 500
	}
	var re *readError
	return !errors.As(err, &re) // anything else is the network's
}

// readError is a failure to read the local file: no retry helps.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// Resume sends src (size bytes) to the upload at uploadURL, starting from
// the offset the server reports, until the server holds all of it.
func (u *Uploader) Resume(ctx context.Context, uploadURL string, src io.ReaderAt, size int64) error {
	chunk := u.ChunkSize
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	progress := u.Progress
	if progress == nil {
		progress = func(int64) {}
	}

	offset := int64(-1) // unknown: ask the server
	r := u.retrier()
	for {
		var err error
		if offset < 0 {
			var length int64
			offset, length, err = u.Client.Offset(ctx, uploadURL)
			if err == nil && length >= 0 && length != size {
				return fmt.Errorf("the server's upload is %d bytes, the file %d: it changed", length, size)
			}
			if err == nil && offset > size {
				return fmt.Errorf("the server holds %d bytes of a %d byte file", offset, size)
			}
			if err == nil {
				progress(offset)
			} else {
				offset = -1
			}
		}
		if err == nil {
			if offset == size {
				return nil
			}
			n := min(chunk, size-offset)
			from := offset
			var next int64
			next, err = u.Client.Patch(ctx, uploadURL, readerAt{src}, from, n, func(sent int64) { progress(from + sent) })
			if err == nil {
				offset = next
				r.reset()
				progress(offset)
				continue
			}
			offset = -1 // the chunk may be lost, whole or in part
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := r.wait(ctx, err, Temporary); err != nil {
			return err
		}
	}
}

// Create creates an upload of size bytes as Client.Create does, retrying
// while the server refuses for now: 429 after its Retry-After, 502, 503
// and 504 with backoff, and connections refused. Other failures are not
// retried: the server may have created the upload, and a second POST
// would make a second video.
func (u *Uploader) Create(ctx context.Context, size int64, meta map[string]string) (string, error) {
	r := u.retrier()
	for {
		loc, err := u.Client.Create(ctx, size, meta)
		if err == nil || ctx.Err() != nil {
			return loc, err
		}
		if err := r.wait(ctx, err, notCreated); err != nil {
			return "", err
		}
	}
}

// notCreated reports whether err proves the server created no upload.
func notCreated(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// retrier counts failures in a row and waits before each retry.
type retrier struct {
	u                 *Uploader
	failures, limited int
}

func (u *Uploader) retrier() *retrier { return &retrier{u: u} }

// reset starts the counts over after a success.
func (r *retrier) reset() { r.failures, r.limited = 0, 0 }

// wait returns err if it is not to be retried (retryable says which are,
// besides 429), else waits before the retry: a 429's Retry-After (its own
// count, so a busy server's limits never use up the retries meant for
// failures), else the backoff, or a longer Retry-After of a 503.
func (r *retrier) wait(ctx context.Context, err error, retryable func(error) bool) error {
	u := r.u
	backoff := u.Backoff
	if backoff == nil {
		backoff = Backoff
	}
	maxRetries := u.MaxRetries
	if maxRetries <= 0 {
		maxRetries = 10
	}
	var se *StatusError
	isStatus := errors.As(err, &se)
	var wait time.Duration
	if isStatus && se.Status == http.StatusTooManyRequests {
		if r.limited++; r.limited > maxRateLimited {
			return err
		}
		wait = se.RetryAfter
		if wait <= 0 {
			wait = backoff(r.limited)
		}
	} else {
		if r.failures++; !retryable(err) || r.failures > maxRetries {
			return err
		}
		wait = backoff(r.failures)
		if isStatus && se.RetryAfter > wait {
			wait = se.RetryAfter
		}
	}
	if u.Retrying != nil {
		u.Retrying(err, wait)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
		return nil
	}
}

// readerAt marks the local file's read errors as such, so they are not
// taken for the network's.
type readerAt struct{ r io.ReaderAt }

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = &readError{err}
	}
	return n, err
}
