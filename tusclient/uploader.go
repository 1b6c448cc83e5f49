package tusclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultChunkSize is the size of one PATCH when Uploader.ChunkSize is 0.
const DefaultChunkSize = 64 << 20

// Uploader sends a file to an upload, chunk by chunk, retrying from the
// server's offset.
type Uploader struct {
	Client *Client
	// ChunkSize is the most bytes one PATCH carries; 0 means DefaultChunkSize.
	ChunkSize int64
	// MaxRetries is how many failures in a row, with no chunk accepted in
	// between, end the upload; 0 means 10.
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
	maxRetries := u.MaxRetries
	if maxRetries <= 0 {
		maxRetries = 10
	}
	backoff := u.Backoff
	if backoff == nil {
		backoff = Backoff
	}
	progress := u.Progress
	if progress == nil {
		progress = func(int64) {}
	}

	offset := int64(-1) // unknown: ask the server
	failures := 0
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
				offset, failures = next, 0
				progress(offset)
				continue
			}
			offset = -1 // the chunk may be lost, whole or in part
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		failures++
		if !Temporary(err) || failures > maxRetries {
			return err
		}
		wait := backoff(failures)
		if u.Retrying != nil {
			u.Retrying(err, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
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
