package jobs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/hls"
)

// An encrypted video's segments are encrypted in the store, each with its
// sequence number as IV, whether published while encoding or at the end;
// its playlists name the key, and its master has no I-frame variants.
func TestPublishEncrypted(t *testing.T) {
	init := initSegmentFixture(t)
	var f *fixture
	f = newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
		planned := []reel.Rendition{{Name: "360p", Width: 640, Height: 360, Bandwidth: 900_000, FrameRate: 30}}
		req.Planned(planned)
		dir := filepath.Join(req.OutputDir, "360p")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "init_360p.mp4"), init, 0o644)
		os.WriteFile(filepath.Join(dir, "seg_00000.m4s"), []byte("segment 0"), 0o644)
		os.WriteFile(filepath.Join(dir, reel.MediaPlaylist), []byte(eventPlaylist), 0o644)
		deadline := time.Now().Add(5 * time.Second)
		for !f.get(t).Playable && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if early := f.read(t, "360p/index.m3u8"); !strings.Contains(early, `#EXT-X-KEY:METHOD=AES-128,URI="../enc.key"`) {
			t.Errorf("early playlist has no key:\n%s", early)
		}

		os.Rename(filepath.Join(dir, "init_360p.mp4"), filepath.Join(dir, reel.InitSegment))
		os.WriteFile(filepath.Join(dir, "seg_00001.m4s"), []byte("segment 1"), 0o644)
		os.WriteFile(filepath.Join(dir, reel.IFramePlaylist), []byte("#EXTM3U\n"), 0o644)
		final := strings.Replace(strings.Replace(eventPlaylist, "EVENT", "VOD", 1), "init_360p.mp4", reel.InitSegment, 1) +
			"#EXTINF:2.0,\nseg_00001.m4s\n#EXT-X-ENDLIST\n"
		os.WriteFile(filepath.Join(dir, reel.MediaPlaylist), []byte(final), 0o644)
		os.WriteFile(filepath.Join(req.OutputDir, reel.MasterPlaylist),
			[]byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n360p/index.m3u8\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"360p/iframes.m3u8\"\n"), 0o644)
		return &reel.TranscodeResult{Duration: 8, Renditions: planned}, nil
	})
	f.w.Encrypt = true
	if err := f.work(1); err != nil {
		t.Fatal(err)
	}
	key := []byte(f.read(t, reel.ContentKey))
	if len(key) != hls.KeySize {
		t.Fatalf("key of %d bytes", len(key))
	}
	for seq, want := range []string{"segment 0", "segment 1"} {
		enc := f.read(t, "360p/seg_0000"+string(rune('0'+seq))+".m4s")
		if enc == want {
			t.Fatalf("segment %d stored in the clear", seq)
		}
		got, err := hls.DecryptSegment(key, int64(seq), []byte(enc))
		if err != nil || string(got) != want {
			t.Errorf("segment %d decrypts to %q, %v", seq, got, err)
		}
	}
	if got := f.read(t, "360p/init.mp4"); got != string(init) {
		t.Error("init segment changed: it must stay in the clear")
	}
	pl, err := hls.ParseMedia([]byte(f.read(t, "360p/index.m3u8")))
	if err != nil || !pl.EndList || len(pl.Segments) != 2 {
		t.Fatalf("final playlist: %+v, %v", pl, err)
	}
	if got := f.read(t, "360p/index.m3u8"); strings.Count(got, "#EXT-X-KEY:") != 1 {
		t.Errorf("final playlist:\n%s", got)
	}
	if got := f.read(t, reel.MasterPlaylist); strings.Contains(got, "I-FRAME") {
		t.Errorf("master keeps I-frame variants:\n%s", got)
	}
	if _, err := f.outputs.Open(context.Background(), reel.OutputPrefix(f.video.ID)+"360p/iframes.m3u8"); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("I-frame playlist published: %v", err)
	}
}
