package ffmpeg_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"reel"
	"reel/ffmpeg"
	"reel/hls"
)

// TestWholeTimeline transcodes a clip with subtitles whole, with an H.264,
// an HEVC and an AV1 rung and its audio, and checks that every rendition starts on
// one timeline as a player that ignores empty edits (Chromium's MSE,
// through hls.js) sees it: no init segment has an empty edit (a whole
// encode's had x264's B-frame delay, 0.08 s at 25 fps, as one in every
// rendition, and Chromium played the audio and the AV1 variant that much
// ahead of the H.264 picture); each rendition presents its first frame or
// sample within one frame of the H.264 rung's, by the hls package and by
// ffprobe; each video rendition's first decode time, which hls.js takes
// as its initPTS, is that presentation start; and the subtitles'
// X-TIMESTAMP-MAP names it as MPEGTS, so cues show with their frames.
func TestWholeTimeline(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("transcodes a generated clip")
	}
	srt := filepath.Join(t.TempDir(), "en.srt")
	if err := os.WriteFile(srt, []byte("1\n00:00:02,000 --> 00:00:03,000\nTwo seconds in\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const frame = 0.04 // 25 fps
	input := generate(t, "timeline.mkv", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", sine,
		"-i", srt, "-t", "8", "-map", "0", "-map", "1", "-map", "2",
		"-c:v", x264, "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s", "srt", "-metadata:s:s:0", "language=eng")
	codecs, err := ffmpeg.ParseCodecs("h264,hevc,av1")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	res, err := (&ffmpeg.Transcoder{Codecs: codecs}).Transcode(context.Background(), reel.TranscodeRequest{Input: input, OutputDir: out})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Renditions) != 4 {
		t.Fatalf("renditions %v, want 180p, 180p-hevc, 180p-av1 and audio", names(res.Renditions))
	}
	var start, probed float64 // the H.264 rung's, the first rendition
	for i, r := range res.Renditions {
		s := firstFragment(t, filepath.Join(out, r.Name))
		if s.emptyEdit {
			t.Errorf("%s: the init segment's edit list starts with an empty edit", r.Name)
		}
		p := packetTimes(t, filepath.Join(out, r.Name, reel.MediaPlaylist))[0]
		t.Logf("%s: presented from %.4f s (ffprobe %.4f s), decoded from %.4f s", r.Name, s.start, p, s.decode)
		if i == 0 {
			start, probed = s.start, p
			if s.start < frame/2 {
				t.Errorf("%s presents its first frame at %v s: x264's B-frame delay is gone, so this test checks nothing", r.Name, s.start)
			}
		}
		if math.Abs(s.start-start) > frame {
			t.Errorf("%s presents its first %s at %.4f s, the H.264 rung at %.4f s", r.Name, map[bool]string{true: "sample", false: "frame"}[r.IsAudio()], s.start, start)
		}
		if math.Abs(p-probed) > frame {
			t.Errorf("ffprobe: %s starts at %.4f s, the H.264 rung at %.4f s", r.Name, p, probed)
		}
		if !r.IsAudio() && math.Abs(s.decode-s.start) > 1e-3 {
			t.Errorf("%s: first fragment decodes at %.4f s (hls.js's initPTS), presents at %.4f s", r.Name, s.decode, s.start)
		}
	}
	// The subtitles: cue time 0 is the H.264 rung's first frame.
	vtt := readFile(t, filepath.Join(out, "subs1"), "seg_00000.vtt")
	m := regexp.MustCompile(`^WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:(\d+),LOCAL:00:00:00.000\n`).FindStringSubmatch(vtt)
	if m == nil {
		t.Fatalf("subtitle segment:\n%s", vtt)
	}
	if ts, _ := strconv.ParseInt(m[1], 10, 64); ts != int64(math.Round(start*90000)) {
		t.Errorf("MPEGTS %d (%.4f s), the video starts at %.4f s", ts, float64(ts)/90000, start)
	}
}

// fragmentStart is when a rendition's first fragment starts, in seconds.
type fragmentStart struct {
	start     float64 // presentation of its first sample (hls.PresentationStart)
	decode    float64 // its decode time (tfdt)
	emptyEdit bool    // the init segment's edit list starts with an empty edit
}

// firstFragment reads the first fragment of the rendition in dir.
func firstFragment(t *testing.T, dir string) fragmentStart {
	t.Helper()
	pl := playlist(t, filepath.Dir(dir), filepath.Base(dir))
	init, err := os.ReadFile(filepath.Join(dir, pl.Map))
	if err != nil {
		t.Fatal(err)
	}
	seg, err := os.ReadFile(filepath.Join(dir, pl.Segments[0].URI))
	if err != nil {
		t.Fatal(err)
	}
	tracks, err := hls.ParseInit(init)
	if err != nil {
		t.Fatal(err)
	}
	frags, err := hls.ReadFragments(bytes.NewReader(seg), int64(len(seg)), tracks)
	if err != nil || len(frags) == 0 || len(frags[0].Runs) == 0 {
		t.Fatalf("%s: fragments %v, %v", dir, len(frags), err)
	}
	tr := tracks[0]
	start, err := hls.PresentationStart(tr, frags[0])
	if err != nil {
		t.Fatal(err)
	}
	ts := float64(tr.Timescale)
	mpegts, err := hls.MPEGTS(init, bytes.NewReader(seg), int64(len(seg)))
	if err != nil || mpegts != int64(math.Round(float64(start)*90000/ts)) {
		t.Errorf("%s: MPEGTS %d (%v), presentation start %d/%v", dir, mpegts, err, start, ts)
	}
	return fragmentStart{start: float64(start) / ts, decode: float64(frags[0].Runs[0].BaseDecodeTime) / ts, emptyEdit: tr.EmptyEdit}
}

// timestampMap returns the first lines every subtitle segment of the
// renditions in out should start with: the X-TIMESTAMP-MAP whose MPEGTS
// is where the video rendition rung presents its first frame.
func timestampMap(t *testing.T, out, rung string) string {
	t.Helper()
	s := firstFragment(t, filepath.Join(out, rung))
	return "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:" + strconv.FormatInt(int64(math.Round(s.start*90000)), 10) + ",LOCAL:00:00:00.000\n"
}
