package blobcache_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"reel"
	"reel/blobcache"
	"reel/blobtest"
	"reel/disk"
)

// countingStore counts the opens that reach the remote store.
type countingStore struct {
	reel.BlobStore
	opens atomic.Int64
}

func (c *countingStore) Open(ctx context.Context, key string) (reel.Blob, error) {
	c.opens.Add(1)
	return c.BlobStore.Open(ctx, key)
}

func newCache(t *testing.T, max int64) (*blobcache.Store, *countingStore) {
	t.Helper()
	remote, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	counting := &countingStore{BlobStore: remote}
	c, err := blobcache.New(counting, t.TempDir(), max, func(key string) bool { return !strings.HasSuffix(key, ".m3u8") })
	if err != nil {
		t.Fatal(err)
	}
	return c, counting
}

func TestConformance(t *testing.T) {
	c, _ := newCache(t, 64<<20)
	blobtest.Run(t, c, "")
}

func read(t *testing.T, s reel.BlobStore, key string) string {
	t.Helper()
	b, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data, _ := io.ReadAll(b)
	return string(data)
}

func put(t *testing.T, s reel.BlobStore, key, data string) {
	t.Helper()
	if _, err := s.Put(context.Background(), key, strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}

// Hits are served locally; only a miss reaches the remote store.
func TestHitsStayLocal(t *testing.T) {
	c, remote := newCache(t, 1<<20)
	put(t, c, "v/360p/seg_00000.m4s", "segment")
	for range 5 {
		if got := read(t, c, "v/360p/seg_00000.m4s"); got != "segment" {
			t.Fatalf("read %q", got)
		}
	}
	if n := remote.opens.Load(); n != 1 {
		t.Errorf("%d remote opens for 5 reads, want 1", n)
	}
	if hits, misses := c.Stats(); hits != 4 || misses != 1 {
		t.Errorf("Stats() = %d hits, %d misses after 5 reads of one blob, want 4 and 1", hits, misses)
	}
	// Playlists are not cacheable: each read goes to the remote store.
	put(t, c, "v/master.m3u8", "#EXTM3U")
	read(t, c, "v/master.m3u8")
	read(t, c, "v/master.m3u8")
	if n := remote.opens.Load(); n != 3 {
		t.Errorf("%d remote opens after two playlist reads, want 3", n)
	}
}

// The least recently read blob goes first when the cache is full.
func TestEvictsLeastRecentlyRead(t *testing.T) {
	c, remote := newCache(t, 25)
	for _, k := range []string{"a", "b", "c"} {
		put(t, c, k, strings.Repeat(k, 10))
	}
	read(t, c, "a")
	read(t, c, "b")
	read(t, c, "a") // a is now more recent than b
	read(t, c, "c") // 30 bytes > 25: b goes
	before := remote.opens.Load()
	read(t, c, "a")
	read(t, c, "c")
	if n := remote.opens.Load() - before; n != 0 {
		t.Errorf("a and c should be cached, %d remote opens", n)
	}
	read(t, c, "b")
	if n := remote.opens.Load() - before; n != 1 {
		t.Errorf("b should have been evicted, %d remote opens", n)
	}
}

// Many players asking for the same uncached segment cause one fetch.
func TestConcurrentMissesFetchOnce(t *testing.T) {
	c, remote := newCache(t, 1<<20)
	put(t, c, "seg.m4s", strings.Repeat("x", 100_000))
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := read(t, c, "seg.m4s"); len(got) != 100_000 {
				t.Errorf("read %d bytes", len(got))
			}
		}()
	}
	wg.Wait()
	if n := remote.opens.Load(); n != 1 {
		t.Errorf("%d remote opens, want 1", n)
	}
}

// A restart keeps what was cached.
func TestIndexSurvivesRestart(t *testing.T) {
	remoteDir, cacheDir := t.TempDir(), t.TempDir()
	remote, _ := disk.New(remoteDir)
	counting := &countingStore{BlobStore: remote}
	all := func(string) bool { return true }
	c, _ := blobcache.New(counting, cacheDir, 1<<20, all)
	put(t, c, "k", "data")
	read(t, c, "k")
	c2, _ := blobcache.New(counting, cacheDir, 1<<20, all)
	read(t, c2, "k")
	if n := counting.opens.Load(); n != 1 {
		t.Errorf("%d remote opens across a restart, want 1", n)
	}
}
