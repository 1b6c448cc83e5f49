package web

import (
	"context"
	"net/http"
	"sync"
	"time"

	"reel"
)

// A signed playback URL is a bearer capability until it expires, but
// /play/ also asks whether the video still exists and whether the token
// is still good for its visibility, so that deleting a video or making it
// private stops playback through reel within revocationDelay. The answer
// is cached per video for that long: one database query per video and
// process every few seconds, never one per segment.
//
// The rule for private videos: where the signer can mark tokens minted
// for a private video (privateSigner: the reel scheme), a private video
// plays only with such tokens, so every URL handed out while it was public
// or unlisted stops working when it turns private. Tokens minted while it
// was private were minted for its owner, viewers or admins. Schemes whose
// tokens cannot carry the mark (nginx, CloudFront, which an edge checks
// itself) are revoked by deletion only.

// revocationDelay is how long /play/ may go on serving a video after it
// was deleted or made private by another process.
const revocationDelay = 3 * time.Second

// maxPlayStates bounds the videos whose state is cached.
const maxPlayStates = 10_000

// privateSigner is the optional capability of signers whose tokens say
// whether they were minted for a private video (token.Signer).
type privateSigner interface {
	// SignPrivate is Sign for a private video.
	SignPrivate(videoID string, expires time.Time) string
	// MintedPrivate reports whether a verified token came from SignPrivate.
	MintedPrivate(token string) bool
}

// playAllowed checks, after the token, that the video may still be played
// with it: ENOTFOUND once deleted, EFORBIDDEN for a token minted before it
// turned private. Without a video store (a server that only delivers)
// there is nothing to check. If the database cannot answer, playback goes
// on: the token was valid, and an outage must not stop every player.
func (s *Server) playAllowed(r *http.Request, id string) error {
	if s.Videos == nil {
		return nil
	}
	st, err := s.playStates.get(id, func() (playState, error) { return s.loadPlayState(r.Context(), id) })
	if err != nil {
		s.Logger.Warn("play: video state unknown, serving on the token alone", "video", id, "err", err)
		return nil
	}
	if !st.exists {
		return reel.Errorf(reel.ENOTFOUND, "No such video.")
	}
	if ps, ok := s.Signer.(privateSigner); ok && st.private && !ps.MintedPrivate(r.PathValue("token")) {
		return reel.Errorf(reel.EFORBIDDEN, "This video is private now: its link was made before. Ask for a new one.")
	}
	return nil
}

func (s *Server) loadPlayState(ctx context.Context, id string) (playState, error) {
	v, err := s.Videos.Video(ctx, id)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		return playState{}, nil
	} else if err != nil {
		return playState{}, err
	}
	return playState{exists: true, private: v.Visibility == reel.VisibilityPrivate}, nil
}

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
// than the cache's ttl. Load errors are not cached.
func (c *playStateCache) get(id string, load func() (playState, error)) (playState, error) {
	c.mu.Lock()
	st, ok := c.items[id]
	c.mu.Unlock()
	if ok && time.Since(st.loaded) < c.ttl {
		return st, nil
	}
	st, err := load()
	if err != nil {
		return st, err
	}
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
	return st, nil
}

// forget drops the state of the video id, changed by this process.
func (c *playStateCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.items, id)
}
