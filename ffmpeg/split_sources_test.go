package ffmpeg_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"reel"
	"reel/ffmpeg"
)

// TestSplitSources splits sources that a plain MP4 does not stand for.
// A Matroska file that starts at 1.4 s (as an MPEG-TS recording remuxed
// keeps its start), with a key frame every 10 s, and whose header counts
// those 1.4 s in its duration, split into three pieces, holds what its
// whole encode holds: every frame and key frame at the same time (a
// piece that kept the source's timestamps put the video 1.4 s late,
// behind the audio, with a gap at the first join), the same report; and
// its last piece is no failure. The same holds for an MP4 and a Matroska
// file starting at 10 s, whose headers count the 10 s before (the last
// piece used to start past their frames and fail). An MPEG-TS file, which ffmpeg does not seek exactly, is not split.
func TestSplitSources(t *testing.T) {
	needFFmpeg(t)
	ctx := context.Background()
	tr := &ffmpeg.Transcoder{}
	lavfi := []string{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-f", "lavfi", "-i", sine,
		"-t", "18", "-c:v", x264, "-preset", "ultrafast", "-g", "100", "-pix_fmt", "yuv420p", "-c:a", "aac"}

	ts := generate(t, "long-gop.ts", lavfi...)
	if pieces, _, err := tr.Split(ctx, ts, nil, 10*time.Second, 6*time.Second); err != nil || len(pieces) != 0 {
		t.Errorf("MPEG-TS: %d pieces (err %v), want none: encoded whole", len(pieces), err)
	}

	for _, c := range []struct {
		file, offset string
	}{{"offset.mkv", "1.4"}, {"late.mkv", "10"}, {"late.mp4", "10"}} {
		t.Run(c.file+"+"+c.offset, func(t *testing.T) {
			splitOffset(t, tr, generate(t, c.file, append(lavfi, "-output_ts_offset", c.offset)...))
		})
	}
}

// splitOffset checks that input, an 18 s source whose first timestamp
// is late, is 18 s long with nothing reported missing, and that its
// split encode holds what its whole encode holds.
func splitOffset(t *testing.T, tr *ffmpeg.Transcoder, input string) {
	whole := transcode(t, input)
	if whole.err != nil {
		t.Fatal(whole.err)
	}
	if c := codes(whole.res.Warnings); slices.Contains(c, "shorter_than_claimed") || math.Abs(whole.res.Duration-18) > 0.1 {
		t.Errorf("whole: %v s, report %v; want 18 s, nothing missing: the late start is no gap", whole.res.Duration, c)
	}
	out, res, _ := splitStitch(t, tr, input, 3)
	if a, b := codes(res.Warnings), codes(whole.res.Warnings); !slices.Equal(a, b) || math.Abs(res.Duration-whole.res.Duration) > 0.05 {
		t.Errorf("report %v, %v s; whole %v, %v s", a, res.Duration, b, whole.res.Duration)
	}
	for _, name := range []string{"180p", "audio"} {
		w := packetTimes(t, filepath.Join(whole.out, name, reel.MediaPlaylist))
		s := packetTimes(t, filepath.Join(out, name, reel.MediaPlaylist))
		if len(w) != len(s) {
			t.Errorf("%s: %d frames, whole %d", name, len(s), len(w))
			continue
		}
		for i := range w {
			if math.Abs(w[i]-s[i]) > 0.002 {
				t.Errorf("%s: frame %d at %v s, whole at %v s", name, i, s[i], w[i])
				break
			}
		}
	}
	if kw, ks := keyframes(t, filepath.Join(whole.out, "180p", reel.MediaPlaylist)), keyframes(t, filepath.Join(out, "180p", reel.MediaPlaylist)); fmt.Sprint(kw) != fmt.Sprint(ks) {
		t.Errorf("key frames %v, whole %v", ks, kw)
	}
}

// splitStitch splits input as a video over 10 s is split into 6 s
// pieces, wanting that many, encodes each piece in a folder of its own and
// stitches them, as the piece and stitch jobs do, and returns the
// stitched folder, its result and the pieces.
func splitStitch(t *testing.T, tr *ffmpeg.Transcoder, input string, want int) (string, *reel.TranscodeResult, []reel.Piece) {
	t.Helper()
	ctx := context.Background()
	pieces, _, err := tr.Split(ctx, input, nil, 10*time.Second, 6*time.Second)
	if err != nil || len(pieces) != want {
		t.Fatalf("%d pieces (err %v), want %d", len(pieces), err, want)
	}
	dirs := make([]string, len(pieces))
	for i, p := range pieces {
		dirs[i] = t.TempDir()
		if err := tr.TranscodePiece(ctx, reel.PieceRequest{Input: input, OutputDir: dirs[i], Piece: p}); err != nil {
			t.Fatalf("piece %d (%v-%v s): %v", i, p.Start, p.End, err)
		}
	}
	out := t.TempDir()
	res, err := tr.StitchPieces(ctx, reel.StitchRequest{Input: input, OutputDir: out, Pieces: pieces, Dirs: dirs})
	if err != nil {
		t.Fatal(err)
	}
	return out, res, pieces
}
