// Package disk stores blobs as files under a root folder.
//
// Layout: the blob under key "a/b/c" is the file ROOT/a/b/c. A blob being
// written lives at ROOT/.tmp/put-<random> and is renamed into place once
// complete, so readers never see half a file and a crash leaves only
// temp files, which Open and the store's keys never name (keys never start
// with a dot). Temp files stay on the same file system as their final
// place, so the rename is atomic.
//
// The writer of a temp file holds an exclusive flock(2) on it until the
// rename; the kernel drops the lock when its process dies, even by
// SIGKILL. New removes every temp file whose lock it can take: those of
// Puts that a crash cut short, never those another process sharing the
// folder is still writing.
package disk

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"reel"
)

// Store is a reel.BlobStore on the local file system.
type Store struct {
	root string
}

// New returns a store rooted at dir, creating it if needed.
func New(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(abs, ".tmp"), 0o755); err != nil {
		return nil, err
	}
	s := &Store{root: abs}
	s.removeAbandoned()
	return s, nil
}

// removeAbandoned deletes the temp files no live Put holds locked: those
// of Puts cut short by a crash. Where locks are not available
// (lockExclusive fails for another reason), it falls back to removing
// files untouched for an hour, as a Put in progress writes continuously.
func (s *Store) removeAbandoned() {
	tmp := filepath.Join(s.root, ".tmp")
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		p := filepath.Join(tmp, e.Name())
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			continue // gone since, or not ours to open
		}
		switch err := tryLock(f); {
		case err == nil:
			// No writer holds it: the writer is dead. Its name is random
			// and unique, so no new writer can have taken it meanwhile.
			os.Remove(p)
		case errors.Is(err, errLocked):
			// A live Put, in this process or another sharing the folder.
		default:
			if fi, err := f.Stat(); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.Remove(p)
			}
		}
		f.Close() // also releases our lock
	}
}

// createTemp creates a temp file under root/.tmp locked for writing. A
// file removed between its creation and its locking (by a New that took
// the free lock first) is created again.
func (s *Store) createTemp() (*os.File, error) {
	for {
		f, err := os.CreateTemp(filepath.Join(s.root, ".tmp"), "put-*")
		if err != nil {
			return nil, err
		}
		if err := lockExclusive(f); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			f.Close()
			os.Remove(f.Name())
			return nil, err
		}
		// Still under its name once locked: then no cleaner can remove it.
		fi, err1 := f.Stat()
		li, err2 := os.Stat(f.Name())
		if err1 == nil && err2 == nil && os.SameFile(fi, li) {
			return f, nil
		}
		f.Close()
	}
}

// Root returns the folder the store keeps its files in.
func (s *Store) Root() string { return s.root }

// path returns the file path of key, refusing keys that would escape root.
func (s *Store) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.HasPrefix(key, ".") ||
		strings.Contains(key, "\\") || strings.Contains(key, "\x00") || !fs.ValidPath(key) {
		return "", reel.Errorf(reel.EINVALID, "invalid blob key %q", key)
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// LocalPath returns the file path of the blob under key.
func (s *Store) LocalPath(key string) string {
	p, err := s.path(key)
	if err != nil {
		return ""
	}
	return p
}

// Put streams r into a temp file and renames it to key once r is done.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	dst, err := s.path(key)
	if err != nil {
		return 0, err
	}
	f, err := s.createTemp()
	if err != nil {
		return 0, err
	}
	// Any early return removes the temp file: nothing half-written remains.
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, contextReader{ctx, r})
	if err != nil {
		return n, err
	}
	if err := f.Close(); err != nil {
		return n, err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return n, err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return n, err
	}
	done = true
	return n, nil
}

// Open opens the blob under key.
func (s *Store) Open(ctx context.Context, key string) (reel.Blob, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, reel.Errorf(reel.ENOTFOUND, "blob %q not found", key)
	} else if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, reel.Errorf(reel.ENOTFOUND, "blob %q not found", key)
	}
	return &blob{File: f, info: fi}, nil
}

// Delete removes the blob under key and any folders it leaves empty.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s.pruneEmpty(filepath.Dir(p))
	return nil
}

// DeletePrefix removes every blob whose key starts with prefix. Prefixes
// end at a folder boundary ("id/"), the only kind reel uses.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	dir, err := s.path(strings.TrimSuffix(prefix, "/"))
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	s.pruneEmpty(filepath.Dir(dir))
	return nil
}

// pruneEmpty removes empty folders from dir up to, not including, root.
func (s *Store) pruneEmpty(dir string) {
	for dir != s.root && strings.HasPrefix(dir, s.root) {
		if os.Remove(dir) != nil {
			return // not empty, or gone
		}
		dir = filepath.Dir(dir)
	}
}

// blob is an open file with its stat.
type blob struct {
	*os.File
	info fs.FileInfo
}

func (b *blob) Size() int64 { return b.info.Size() }

func (b *blob) ModTime() time.Time { return b.info.ModTime() }

// OSFile returns the open file itself: net/http sends an *os.File with
// sendfile(2), which it cannot do through a wrapper.
func (b *blob) OSFile() *os.File { return b.File }

// contextReader fails reads once ctx is done, so a cancelled Put stops.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
