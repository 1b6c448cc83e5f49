package web

// The per-video state /play/ checks after the token (revoke.go), cached
// for revocationDelay.

import (
	"context"
	"errors"
	"sync"
	"time"
)

// maxPlayStates bounds the videos whose state is cached.
const maxPlayStates = 10_000

// playState is what /play/ knows of a video.
type playState struct {
	exists, private bool
	loaded          time.Time
}

// playStateCache holds the states of up to max videos, each for ttl.
type playStateCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	items map[string]playState
}

func newPlayStateCache(max int, ttl time.Duration) *playStateCache {
	return &playStateCache{max: max, ttl: ttl, items: make(map[string]playState)}
}

// get returns the state of the video id, loading it when absent or older
// than the cache's ttl. When the load fails, it returns the error with
// the last state known, or else one that lets the video play, and keeps
// that for ttl: a database outage costs one query and one error per video
// every ttl, not one per segment. A cancelled request's failure is not
// kept.
func (c *playStateCache) get(id string, load func() (playState, error)) (playState, error) {
	c.mu.Lock()
	old, ok := c.items[id]
	c.mu.Unlock()
	if ok && time.Since(old.loaded) < c.ttl {
		return old, nil
	}
	st, err := load()
	if errors.Is(err, context.Canceled) {
		return st, err
	} else if err != nil {
		st = playState{exists: true}
		if ok {
			st = old
		}
	}
	c.put(id, st)
	return st, err
}

// put stores st as the state of the video id, loaded now.
func (c *playStateCache) put(id string, st playState) {
	st.loaded = time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.items) >= c.max {
		// Full: drop the expired entries, or else an arbitrary one.
		for k, old := range c.items {
			if time.Since(old.loaded) >= c.ttl {
				delete(c.items, k)
			}
		}
		for k := range c.items {
			if len(c.items) < c.max {
				break
			}
			delete(c.items, k)
		}
	}
	c.items[id] = st
}

// forget drops the state of the video id, changed by this process.
func (c *playStateCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, id)
}
