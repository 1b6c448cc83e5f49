package web

import (
	"bytes"
	"context"
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
