package jobs

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel"
)

// initSegmentFixture is an fMP4 init segment from a real transcode, for
// its avcC box.
func initSegmentFixture(t *testing.T) []byte {
	t.Helper()
	matches, _ := filepath.Glob("../hls/testdata/*init*.mp4")
	if len(matches) == 0 {
		t.Skip("no init segment fixture in hls/testdata")
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const eventPlaylist = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-MAP:URI="init_360p.mp4"
#EXTINF:6.000000,
seg_00000.m4s
`

// The video becomes playable, with a master and the first segments in
// the store, while the transcoder is still running; the end result is
// the finished folder.
func TestPublishWhileEncoding(t *testing.T) {
	init := initSegmentFixture(t)
	var f *fixture
	var early string
	f = newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
		planned := []reel.Rendition{{Name: "360p", Width: 640, Height: 360, Bandwidth: 900_000, FrameRate: 30}}
		req.Planned(planned)
		dir := filepath.Join(req.OutputDir, "360p")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "init_360p.mp4"), init, 0o644)
		os.WriteFile(filepath.Join(dir, "seg_00000.m4s"), []byte("segment 0"), 0o644)
		os.WriteFile(filepath.Join(dir, "seg_00001.m4s"), []byte("segment 1, being written"), 0o644)
		os.WriteFile(filepath.Join(dir, reel.MediaPlaylist), []byte(eventPlaylist), 0o644)

		// Wait, as ffmpeg would still be encoding, until the video plays.
		deadline := time.Now().Add(5 * time.Second)
		for !f.get(t).Playable {
			if time.Now().After(deadline) {
				t.Error("video not playable while encoding")
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		early = f.read(t, "360p/index.m3u8")
		if m := f.read(t, reel.MasterPlaylist); !strings.Contains(m, "RESOLUTION=640x360") || !strings.Contains(m, `CODECS="avc1.`) {
			t.Errorf("early master:\n%s", m)
		}

		// Finish as the transcoder does: renamed init, VOD playlist, master.
		os.Rename(filepath.Join(dir, "init_360p.mp4"), filepath.Join(dir, reel.InitSegment))
		final := strings.Replace(eventPlaylist, "EVENT", "VOD", 1)
		final = strings.Replace(final, "init_360p.mp4", reel.InitSegment, 1) + "#EXTINF:2.0,\nseg_00001.m4s\n#EXT-X-ENDLIST\n"
		os.WriteFile(filepath.Join(dir, reel.MediaPlaylist), []byte(final), 0o644)
		os.WriteFile(filepath.Join(req.OutputDir, reel.MasterPlaylist), []byte("#EXTM3U\nfinal\n"), 0o644)
		return &reel.TranscodeResult{Duration: 8, Renditions: planned}, nil
	})
	if err := f.work(1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(early, `#EXT-X-MAP:URI="init.mp4"`) || !strings.Contains(early, "EVENT") || strings.Contains(early, "seg_00001") {
		t.Errorf("early playlist:\n%s", early)
	}
	if v := f.get(t); v.Status != reel.StatusReady || !v.Playable {
		t.Errorf("after Work: %s playable=%v", v.Status, v.Playable)
	}
	if got := f.read(t, reel.MasterPlaylist); got != "#EXTM3U\nfinal\n" {
		t.Errorf("final master: %q", got)
	}
	if got := f.read(t, "360p/seg_00001.m4s"); got != "segment 1, being written" {
		t.Errorf("last segment: %q", got)
	}
	if got := f.read(t, "360p/index.m3u8"); !strings.Contains(got, "#EXT-X-ENDLIST") {
		t.Errorf("final playlist:\n%s", got)
	}
}

func (f *fixture) read(t *testing.T, key string) string {
	t.Helper()
	b, err := f.outputs.Open(context.Background(), reel.OutputPrefix(f.video.ID)+key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer b.Close()
	data, _ := io.ReadAll(b)
	return string(data)
}
