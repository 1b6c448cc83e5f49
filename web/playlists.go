package web

// The playlists /play/ serves, held in memory with their gzipped form.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// playlist is one cached playlist in both encodings.
type playlist struct {
	body, gzipped []byte
	final         bool // a media playlist with EXT-X-ENDLIST
	modTime       time.Time
	lastModified  string // modTime as the Last-Modified header spells it
	// etag names the content: a master rewritten within the second of
	// its last change (a caption added, then replaced) keeps its
	// Last-Modified, and a conditional GET must still see the change.
	// Weak: the gzipped and plain bodies share it.
	etag   string
	loaded time.Time
}

// changingTTL is how long a playlist that may still change is cached.
const changingTTL = 2 * time.Second

func newPlaylist(body []byte, modTime time.Time) *playlist {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level cannot fail
	zw.Write(body)
	zw.Close()
	final := bytes.Contains(body, []byte("#EXT-X-ENDLIST"))
	sum := sha256.Sum256(body)
	p := &playlist{body: body, gzipped: buf.Bytes(), final: final, modTime: modTime, loaded: time.Now(),
		etag: `W/"` + hex.EncodeToString(sum[:8]) + `"`}
	if !modTime.IsZero() {
		p.lastModified = modTime.UTC().Format(http.TimeFormat)
	}
	return p
}

// playlistCache holds up to max playlists, each for at most ttl.
type playlistCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	items map[string]*playlist
}

func newPlaylistCache(max int, ttl time.Duration) *playlistCache {
	return &playlistCache{max: max, ttl: ttl, items: make(map[string]*playlist)}
}

// get returns the cached playlist under key, loading it on a miss.
func (c *playlistCache) get(key string, load func() (*playlist, error)) (*playlist, error) {
	c.mu.Lock()
	p, ok := c.items[key]
	c.mu.Unlock()
	if ok && (time.Since(p.loaded) < changingTTL || p.final && time.Since(p.loaded) < c.ttl) {
		return p, nil
	}
	p, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.items) >= c.max {
		// Full: drop an arbitrary entry. Playlists are cheap to reload and
		// a map's order is random enough to spread the misses.
		for k := range c.items {
			delete(c.items, k)
			break
		}
	}
	c.items[key] = p
	return p, nil
}

// forget drops every playlist under prefix.
func (c *playlistCache) forget(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.items {
		if strings.HasPrefix(k, prefix) {
			delete(c.items, k)
		}
	}
}
