// Package blobcache keeps recently read blobs of a remote reel.BlobStore
// in a size-bounded folder on local disk, so that serving a popular
// segment costs one remote read, not one per player.
//
// Layout: the blob under key "a/b" is the file DIR/a/b; DIR/.tmp holds
// downloads in progress. The index of what is cached, and when it was last
// read, lives in memory and is rebuilt from the folder at start. Only keys
// the Cacheable func accepts are cached (immutable ones: a blob that may
// change, such as a growing playlist, must always be read afresh).
package blobcache

import (
	"container/list"
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"reel"
	"reel/disk"
)

// Store is a reel.BlobStore that reads through a local cache.
type Store struct {
	reel.BlobStore // the remote store, where writes and deletes go

	local     *disk.Store
	max       int64
	cacheable func(key string) bool

	mu       sync.Mutex
	size     int64
	lru      *list.List               // of *entry, most recently read first
	entries  map[string]*list.Element // key → element of lru
	inflight map[string]*fill         // downloads in progress, by key

	hits, misses atomic.Int64 // reads of cacheable keys, for Stats
}

type entry struct {
	key  string
	size int64
}

// fill is one download in progress; others wanting the same key wait.
type fill struct {
	done chan struct{}
	err  error
}

// New returns a cache of remote under dir holding at most max bytes.
func New(remote reel.BlobStore, dir string, max int64, cacheable func(key string) bool) (*Store, error) {
	local, err := disk.New(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{
		BlobStore: remote, local: local, max: max, cacheable: cacheable,
		lru: list.New(), entries: map[string]*list.Element{}, inflight: map[string]*fill{},
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load indexes the files already in the folder, oldest read last.
func (s *Store) load() error {
	type file struct {
		key  string
		size int64
		at   time.Time
	}
	var files []file
	root := s.local.Root()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files = append(files, file{filepath.ToSlash(rel), info.Size(), info.ModTime()})
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].at.After(files[j].at) })
	for _, f := range files {
		s.entries[f.key] = s.lru.PushBack(&entry{f.key, f.size})
		s.size += f.size
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evict()
	return nil
}

// Open returns the blob from the local copy, fetching it first on a miss.
func (s *Store) Open(ctx context.Context, key string) (reel.Blob, error) {
	if !s.cacheable(key) {
		return s.BlobStore.Open(ctx, key)
	}
	for first := true; ; first = false {
		if b, err := s.openLocal(ctx, key); err == nil {
			if first {
				s.hits.Add(1)
			}
			return b, nil
		}
		if first {
			s.misses.Add(1)
		}
		s.mu.Lock()
		f, ok := s.inflight[key]
		if !ok {
			f = &fill{done: make(chan struct{})}
			s.inflight[key] = f
			s.mu.Unlock()
			f.err = s.fetch(ctx, key)
			s.mu.Lock()
			delete(s.inflight, key)
			close(f.done)
		}
		s.mu.Unlock()
		<-f.done
		if f.err != nil {
			return nil, f.err
		}
	}
}

// Stats returns how many reads of cacheable keys found the local copy
// (hits) and how many had to fetch it first or wait for a fetch (misses).
func (s *Store) Stats() (hits, misses int64) {
	return s.hits.Load(), s.misses.Load()
}

// openLocal opens the cached copy and marks it recently read.
func (s *Store) openLocal(ctx context.Context, key string) (reel.Blob, error) {
	s.mu.Lock()
	el, ok := s.entries[key]
	if ok {
		s.lru.MoveToFront(el)
	}
	s.mu.Unlock()
	if !ok {
		return nil, reel.Errorf(reel.ENOTFOUND, "not cached")
	}
	b, err := s.local.Open(ctx, key)
	if err != nil {
		s.forget(key) // removed behind our back: fetch again
	}
	return b, err
}

// fetch copies the remote blob into the cache. It is not cancelled with
// the request that asked for it: others may be waiting for it.
func (s *Store) fetch(ctx context.Context, key string) error {
	ctx = context.WithoutCancel(ctx)
	b, err := s.BlobStore.Open(ctx, key)
	if err != nil {
		return err
	}
	defer b.Close()
	if b.Size() > s.max {
		return errTooBig
	}
	n, err := s.local.Put(ctx, key, b)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[key]; ok { // replaced: drop the old size
		s.size -= el.Value.(*entry).size
		s.lru.Remove(el)
	}
	s.entries[key] = s.lru.PushFront(&entry{key, n})
	s.size += n
	s.evict()
	return nil
}

// errTooBig: a blob larger than the whole cache is never cached.
var errTooBig = errors.New("blob larger than the cache")

// evict removes least recently read blobs until the cache fits. It runs
// with s.mu held.
func (s *Store) evict() {
	for s.size > s.max && s.lru.Len() > 1 {
		el := s.lru.Back()
		e := el.Value.(*entry)
		s.lru.Remove(el)
		delete(s.entries, e.key)
		s.size -= e.size
		s.local.Delete(context.Background(), e.key)
	}
}

func (s *Store) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[key]; ok {
		s.size -= el.Value.(*entry).size
		s.lru.Remove(el)
		delete(s.entries, key)
	}
}

// Put writes to the remote store and drops any cached copy.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	n, err := s.BlobStore.Put(ctx, key, r)
	s.drop(key)
	return n, err
}

// Delete deletes from the remote store and the cache.
func (s *Store) Delete(ctx context.Context, key string) error {
	s.drop(key)
	return s.BlobStore.Delete(ctx, key)
}

// DeletePrefix deletes from the remote store and the cache.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	s.mu.Lock()
	var keys []string
	for k := range s.entries {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	s.mu.Unlock()
	for _, k := range keys {
		s.drop(k)
	}
	return s.BlobStore.DeletePrefix(ctx, prefix)
}

func (s *Store) drop(key string) {
	s.forget(key)
	s.local.Delete(context.Background(), key)
}
