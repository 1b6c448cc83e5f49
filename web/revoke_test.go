package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reel"
	"reel/token"
)

// /play/ asks the video store about a video at most once per few seconds,
// whatever the number of segments; a change made elsewhere (another
// process: no forget here) is seen within seconds: private refuses the
// tokens minted before, deleted refuses all.
func TestPlayRevocationCached(t *testing.T) {
	var mu sync.Mutex
	state := &reel.Video{ID: attackVideo, Visibility: reel.VisibilityUnlisted}
	var lookups atomic.Int64
	videos := &videoFuncs{video: func(_ context.Context, id string) (*reel.Video, error) {
		lookups.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if state == nil || id != state.ID {
			return nil, reel.Errorf(reel.ENOTFOUND, "Video not found.")
		}
		v := *state
		return &v, nil
	}}
	store := &countingStore{files: map[string][]byte{attackVideo + "/v0/seg1.m4s": bytes.Repeat([]byte("s"), 100)}}
	signer, _ := token.New(bytes.Repeat([]byte{1}, 32))
	s := &Server{Videos: videos, Outputs: store, Signer: signer, AllowOrigin: "*", Now: func() time.Time { return attackNow }}
	h := s.Handler()
	expires := attackNow.Add(time.Hour)
	public := "/play/" + signer.Sign(attackVideo, expires) + "/" + attackVideo + "/v0/seg1.m4s"
	private := "/play/" + signer.SignPrivate(attackVideo, expires) + "/" + attackVideo + "/v0/seg1.m4s"

	for range 200 {
		if w := get(h, public); w.Code != http.StatusOK {
			t.Fatalf("segment: %d %s", w.Code, w.Body)
		}
	}
	if n := lookups.Load(); n > 5 {
		t.Errorf("%d video lookups for 200 segments", n)
	}

	mu.Lock()
	state.Visibility = reel.VisibilityPrivate
	mu.Unlock()
	waitCode(t, h, public, http.StatusForbidden)
	if w := get(h, private); w.Code != http.StatusOK {
		t.Errorf("token minted while private: %d %s", w.Code, w.Body)
	}

	mu.Lock()
	state = nil
	mu.Unlock()
	waitCode(t, h, private, http.StatusNotFound)
	waitCode(t, h, public, http.StatusNotFound)
}

// waitCode polls target until it answers want, for up to 30 s.
func waitCode(t *testing.T, h http.Handler, target string, want int) {
	t.Helper()
	start := time.Now()
	for {
		w := get(h, target)
		if w.Code == want {
			if d := time.Since(start); d > revocationDelay+time.Second {
				t.Errorf("%d only after %v", want, d)
			}
			return
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("GET %s: still %d after 30 s, want %d", target, w.Code, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// While the store fails, /play/ goes on with the last state known (a
// private video stays refused to old tokens), or on the token alone for a
// video it never saw, and asks the store once per few seconds, not once
// per segment.
func TestPlayRevocationStoreDown(t *testing.T) {
	var down atomic.Bool
	var lookups atomic.Int64
	videos := &videoFuncs{video: func(_ context.Context, id string) (*reel.Video, error) {
		lookups.Add(1)
		if down.Load() {
			return nil, errors.New("connection refused")
		}
		return &reel.Video{ID: id, Visibility: reel.VisibilityPrivate}, nil
	}}
	other := "bbbbbbbbbbbbbbbb"
	store := &countingStore{files: map[string][]byte{
		attackVideo + "/v0/seg1.m4s": []byte("segment"),
		other + "/v0/seg1.m4s":       []byte("segment"),
	}}
	signer, _ := token.New(bytes.Repeat([]byte{1}, 32))
	s := &Server{Videos: videos, Outputs: store, Signer: signer, AllowOrigin: "*", Now: func() time.Time { return attackNow },
		Logger: slog.New(slog.DiscardHandler)}
	h := s.Handler()
	expires := attackNow.Add(time.Hour)
	seg := func(id, tok string) string { return "/play/" + tok + "/" + id + "/v0/seg1.m4s" }
	old := seg(attackVideo, signer.Sign(attackVideo, expires))
	if w := get(h, old); w.Code != http.StatusForbidden {
		t.Fatalf("old token of a private video: %d", w.Code)
	}

	down.Store(true)
	before := lookups.Load()
	time.Sleep(revocationDelay) // the state known is now stale
	for range 100 {
		if w := get(h, old); w.Code != http.StatusForbidden {
			t.Fatalf("old token of a private video, store down: %d", w.Code)
		}
		if w := get(h, seg(other, signer.Sign(other, expires))); w.Code != http.StatusOK {
			t.Fatalf("a video never seen, store down: %d", w.Code)
		}
	}
	if n := lookups.Load() - before; n > 4 {
		t.Errorf("%d lookups for 200 segments while the store is down", n)
	}
}
