package disk

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"reel"
)

// Resumable uploads write an original in place, request by request: each
// request appends at the offset the database records, so a file may hold
// bytes past that offset (a request cut off before its offset was
// recorded), which the next Append cuts away first.

// Append writes what r yields to the blob under key from offset on,
// creating the file if needed, and flushes it to stable storage before
// returning the number of bytes written. Bytes past offset that a cut-off
// earlier write left are discarded first. A file shorter than offset is
// an error: bytes recorded as received are missing.
func (s *Store) Append(ctx context.Context, key string, offset int64, r io.Reader) (int64, error) {
	p, err := s.path(key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return 0, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() < offset {
		return 0, reel.Errorf(reel.EINTERNAL, "blob %q holds %d bytes, fewer than the %d recorded", key, fi.Size(), offset)
	}
	if fi.Size() > offset {
		if err := f.Truncate(offset); err != nil {
			return 0, err
		}
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.Copy(f, contextReader{ctx, r})
	if err != nil {
		return n, err
	}
	if err := f.Sync(); err != nil {
		return n, err
	}
	return n, f.Close()
}

// Truncate cuts the blob under key to size bytes, dropping what a request
// wrote that must not count (a chunk whose checksum did not match).
func (s *Store) Truncate(key string, size int64) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Truncate(p, size); errors.Is(err, fs.ErrNotExist) {
		return reel.Errorf(reel.ENOTFOUND, "blob %q not found", key)
	} else if err != nil {
		return err
	}
	return nil
}
