package jobs

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// The heartbeat beats until stopped, and not once after stop returns: a
// late beat would find its piece done and cancel the work after it.
func TestHeartbeat(t *testing.T) {
	var beats atomic.Int32
	stop := heartbeat(context.Background(), 5*time.Millisecond, func() { beats.Add(1) })
	for deadline := time.Now().Add(10 * time.Second); beats.Load() < 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d beats in 10 s", beats.Load())
		}
	}
	stop()
	n := beats.Load()
	time.Sleep(30 * time.Millisecond)
	if beats.Load() != n {
		t.Errorf("%d beats after stop", beats.Load()-n)
	}
	stop() // twice is fine

	// Ending the context stops it too.
	ctx, cancel := context.WithCancel(context.Background())
	stop = heartbeat(ctx, time.Millisecond, func() {})
	cancel()
	stop()
}

func TestSegmentNumber(t *testing.T) {
	for rel, want := range map[string]int64{"360p/seg_00012.m4s": 12, "audio/seg_00000.m4s": 0, "seg_7.m4s": 7,
		"360p/init.mp4": -1, "360p/index.m3u8": -1, "360p/seg_x.m4s": -1, ".storyboard.rgb": -1} {
		n, ok := segmentNumber(rel)
		if !ok {
			n = -1
		}
		if n != want {
			t.Errorf("segmentNumber(%q) = %d, %v; want %d", rel, n, ok, want)
		}
	}
}
