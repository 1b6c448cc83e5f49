package ffmpeg_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reel"
	"reel/ffmpeg"
	"reel/hls"
)

func TestPlanPieces(t *testing.T) {
	for _, tt := range []struct {
		duration          float64
		splitAbove, chunk time.Duration
		want              string // "start-end ..."
	}{
		{300, 5 * time.Minute, time.Minute, ""},                                    // not above --split-above
		{301, 5 * time.Minute, 0, ""},                                              // 0 disables splitting
		{301, 5 * time.Minute, time.Minute, "0-60 60-120 120-180 180-240 240-301"}, // 1 s merged
		{330, 5 * time.Minute, time.Minute, "0-60 60-120 120-180 180-240 240-300 300-330"},
		{180, time.Minute, 30 * time.Second, "0-30 30-60 60-90 90-120 120-150 150-180"},
		// 40 s rounds to 42 s (7 segments); 25 s rounds to 24 s.
		{100, 0, 40 * time.Second, "0-42 42-100"},
		{58, 0, 25 * time.Second, "0-24 24-58"}, // 10 s is under half a chunk
		// One piece is no split.
		{70, 0, time.Minute, ""},
	} {
		var got []string
		pieces := ffmpeg.PlanPieces(tt.duration, tt.splitAbove, tt.chunk)
		for i, p := range pieces {
			got = append(got, fmt.Sprintf("%g-%g", p.Start, p.End))
			if p.Index != i || p.Last != (i == len(pieces)-1) || p.FirstSegment()*6 != int(p.Start) {
				t.Errorf("%+v", p)
			}
		}
		if s := strings.Join(got, " "); s != tt.want {
			t.Errorf("PlanPieces(%v, %v, %v) = %s, want %s", tt.duration, tt.splitAbove, tt.chunk, s, tt.want)
		}
	}
}

func TestPieceArgs(t *testing.T) {
	plan := ffmpeg.NewPlan(source(1280, 720, "30/1"))
	args := strings.Join(ffmpeg.PieceArgs("/in/a.mp4", "/out", plan, ffmpeg.Piece{Index: 2, Start: 60, End: 90}, 1), " ")
	for _, want := range []string{
		"-ss 60.000 -t 30.000 -copyts -start_at_zero -threads 1 -i /in/a.mp4 -filter_complex_threads 1 ",
		"-force_key_frames expr:gte(t,60+n_forced*2) ",
		"fps=1/1:start_time=60,scale=",
		"-start_number 10 -hls_segment_options movflags=+frag_custom+dash+delay_moov+frag_discont ",
		"-var_stream_map v:0,name:360p v:1,name:480p v:2,name:720p /out/%v/index.m3u8",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("piece args lack %q:\n%s", want, args)
		}
	}
	if strings.Contains(args, "-c:a") || strings.Contains(args, "0:1") {
		t.Errorf("a piece past the first encodes audio:\n%s", args)
	}
	// The first piece encodes the audio, whole, from a second input.
	first := strings.Join(ffmpeg.PieceArgs("/in/a.mp4", "/out", plan, ffmpeg.Piece{Index: 0, Start: 0, End: 30}, 0), " ")
	for _, want := range []string{
		"-ss 0.000 -t 30.000 -copyts -start_at_zero -i /in/a.mp4 -i /in/a.mp4 -filter_complex ",
		"-map [v2] -map 1:1 -map_metadata",
		"-force_key_frames expr:gte(t,n_forced*2) ",
		"-var_stream_map v:0,name:360p v:1,name:480p v:2,name:720p a:0,name:audio /out/%v/index.m3u8",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first piece's args lack %q:\n%s", want, first)
		}
	}
	last := strings.Join(ffmpeg.PieceArgs("/in/a.mp4", "/out", plan, ffmpeg.Piece{Index: 3, Start: 90, End: 100, Last: true}, 0), " ")
	if strings.Contains(last, "-t ") || strings.Contains(last, "-threads") {
		t.Errorf("last piece, no thread bound:\n%s", last)
	}
}

// TestSplitStitch encodes a 3-minute clip with motion and a beeping tone
// whole, and in six 30 s pieces stitched together, and holds the stitched
// output to the whole one: the same segments and key frames, every frame
// with no timestamp gap above one frame, continuous audio, PSNR within
// 0.5 dB per rendition, the same storyboard; and to everything a whole
// encode is held to (conformance, I-frame playlists, poster).
func TestSplitStitch(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("encodes a 3-minute clip twice")
	}
	t.Parallel() // ffmpeg leaves cores idle between its runs
	// 768x432 at 10 fps: two rungs (360p and 432p) at little cost.
	input := generate(t, "long.mp4",
		"-f", "lavfi", "-i", "testsrc2=size=768x432:rate=10", "-f", "lavfi", "-i", sine+":beep_factor=4",
		"-t", "180", "-c:v", x264, "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
	whole := transcode(t, input)
	if whole.err != nil {
		t.Fatal(whole.err)
	}

	res, out := splitTranscode(t, input, time.Minute, 30*time.Second, 6)
	if fmt.Sprint(names(res.Renditions)) != fmt.Sprint(names(whole.res.Renditions)) || len(res.Renditions) != 3 {
		t.Fatalf("renditions %v, whole %v", names(res.Renditions), names(whole.res.Renditions))
	}
	checkConformance(t, out, res)
	master, err := os.ReadFile(filepath.Join(out, reel.MasterPlaylist))
	if err != nil {
		t.Fatal(err)
	}
	checkIFrames(t, out, res, string(master))
	checkStoryboard(t, out, res)
	checkPoster(t, out, res)
	if a, b := readFile(t, whole.out, reel.StoryboardVTT), readFile(t, out, reel.StoryboardVTT); a != b {
		t.Errorf("storyboard cues differ:\n%s\nwhole:\n%s", b, a)
	}

	for _, r := range res.Renditions {
		wpl, spl := playlist(t, whole.out, r.Name), playlist(t, out, r.Name)
		// The same segments, numbered alike, of the same lengths.
		if spl.TargetDuration != wpl.TargetDuration || len(spl.Segments) != len(wpl.Segments) {
			t.Errorf("%s: %d segments, target %d; whole: %d, %d", r.Name, len(spl.Segments), spl.TargetDuration, len(wpl.Segments), wpl.TargetDuration)
			continue
		}
		for i, s := range spl.Segments {
			if w := wpl.Segments[i]; s.URI != w.URI || math.Abs(s.Duration-w.Duration) > 0.001 {
				t.Errorf("%s: segment %s of %v s, whole %s of %v s", r.Name, s.URI, s.Duration, w.URI, w.Duration)
			}
		}
		// Every frame, at the same times, no gap above one frame (one AAC
		// frame for audio).
		frame := 0.1
		if r.IsAudio() {
			frame = 1024.0 / 48000
		}
		wts, sts := packetTimes(t, filepath.Join(whole.out, r.Name, reel.MediaPlaylist)), packetTimes(t, filepath.Join(out, r.Name, reel.MediaPlaylist))
		if len(sts) != len(wts) {
			t.Errorf("%s: %d frames, whole %d", r.Name, len(sts), len(wts))
		}
		for i := 1; i < len(sts); i++ {
			if d := sts[i] - sts[i-1]; d > frame+0.001 || d <= 0 {
				t.Errorf("%s: frames at %v and %v: a gap of %v s", r.Name, sts[i-1], sts[i], d)
			}
		}
		if len(sts) == 0 || len(wts) == 0 || math.Abs(sts[0]-wts[0]) > 0.001 || math.Abs(sts[len(sts)-1]-wts[len(wts)-1]) > 0.001 {
			t.Errorf("%s: frames from %v to %v, whole from %v to %v", r.Name, sts[0], sts[len(sts)-1], wts[0], wts[len(wts)-1])
		}
		if r.IsAudio() {
			continue
		}
		if kw, ks := keyframes(t, filepath.Join(whole.out, r.Name, reel.MediaPlaylist)), keyframes(t, filepath.Join(out, r.Name, reel.MediaPlaylist)); fmt.Sprint(kw) != fmt.Sprint(ks) {
			t.Errorf("%s: key frames %v, whole %v", r.Name, ks, kw)
		}
		// The quality of a one-piece encode, against the source.
		pw, ps := psnr(t, filepath.Join(whole.out, r.Name, reel.MediaPlaylist), input, r), psnr(t, filepath.Join(out, r.Name, reel.MediaPlaylist), input, r)
		if math.Abs(pw-ps) > 0.5 {
			t.Errorf("%s: PSNR %.2f dB stitched, %.2f dB whole", r.Name, ps, pw)
		}
		t.Logf("%s: PSNR %.2f dB stitched, %.2f dB whole; %d frames", r.Name, ps, pw, len(sts))
	}
}

// TestSplitStitchNTSC splits a 29.97 fps clip, whose piece starts fall
// between frames: every frame is presented when a one-piece encode
// presents it.
func TestSplitStitchNTSC(t *testing.T) {
	needFFmpeg(t)
	t.Parallel() // ffmpeg leaves cores idle between its runs
	input := generate(t, "ntsc.mp4",
		"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30000/1001", "-f", "lavfi", "-i", sine+":beep_factor=4",
		"-t", "40", "-c:v", x264, "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
	whole := transcode(t, input)
	if whole.err != nil {
		t.Fatal(whole.err)
	}
	_, out := splitTranscode(t, input, 0, 12*time.Second, 3)
	for _, name := range []string{"180p", "audio"} {
		w := packetTimes(t, filepath.Join(whole.out, name, reel.MediaPlaylist))
		s := packetTimes(t, filepath.Join(out, name, reel.MediaPlaylist))
		if len(w) != len(s) {
			t.Fatalf("%s: %d frames, whole %d", name, len(s), len(w))
		}
		// To within 2 ms: the one-piece encode's shift past the B-frame
		// delay is rounded to the millisecond, a piece's is exact.
		for i := range w {
			if math.Abs(w[i]-s[i]) > 0.002 {
				t.Fatalf("%s: frame %d at %v, whole at %v", name, i, s[i], w[i])
			}
		}
	}
}

// splitTranscode encodes input split as PlanPieces cuts it (want pieces),
// two pieces at a time with one thread each, as two workers would, then
// stitches and finishes it, and returns the result and its folder.
func splitTranscode(t *testing.T, input string, splitAbove, chunk time.Duration, want int) (*reel.TranscodeResult, string) {
	t.Helper()
	ctx := context.Background()
	tr := &ffmpeg.Transcoder{}
	p, err := tr.Probe(ctx, input)
	if err != nil {
		t.Fatal(err)
	}
	plan := ffmpeg.NewPlan(p)
	pieces := ffmpeg.PlanPieces(p.Duration, splitAbove, chunk)
	if len(pieces) != want {
		t.Fatalf("%d pieces, want %d: %+v", len(pieces), want, pieces)
	}
	dirs := make([]string, len(pieces))
	errs := make([]error, len(pieces))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, piece := range pieces {
		dirs[i] = t.TempDir()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = tr.EncodePiece(ctx, input, dirs[i], plan, piece, 1)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("piece %d: %v", i, err)
		}
	}
	out := t.TempDir()
	if err := ffmpeg.Stitch(out, plan, pieces, dirs); err != nil {
		t.Fatal(err)
	}
	res, err := tr.Finish(ctx, input, out, plan, "")
	if err != nil {
		t.Fatal(err)
	}
	return res, out
}

func names(rs []reel.Rendition) []string {
	var n []string
	for _, r := range rs {
		n = append(n, fmt.Sprintf("%s %dx%d", r.Name, r.Width, r.Height))
	}
	return n
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func playlist(t *testing.T, dir, rendition string) *hls.MediaPlaylist {
	t.Helper()
	pl, err := hls.ParseMedia([]byte(readFile(t, dir, filepath.Join(rendition, reel.MediaPlaylist))))
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// packetTimes returns the presentation times of a playlist's packets, in
// order.
func packetTimes(t *testing.T, playlist string) []float64 {
	t.Helper()
	out := run(t, "ffprobe", "-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0", playlist)
	var ts []float64
	for _, f := range strings.Fields(out) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(f, ","), 64)
		if err != nil {
			t.Fatalf("packet time %q: %v", f, err)
		}
		ts = append(ts, v)
	}
	// Decode order is not presentation order: sort.
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j] < ts[j-1]; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	return ts
}

var psnrAverage = regexp.MustCompile(`PSNR .*average:([0-9.]+|inf)`)

// psnr returns the mean PSNR of rendition r's playlist against the
// source scaled to its size.
func psnr(t *testing.T, playlist, source string, r reel.Rendition) float64 {
	t.Helper()
	out, err := execOutput("ffmpeg", "-nostdin", "-i", playlist, "-i", source, "-lavfi",
		fmt.Sprintf("[1:v]scale=%d:%d,setsar=1[ref];[0:v][ref]psnr", r.Width, r.Height), "-f", "null", "-")
	m := psnrAverage.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("psnr: %v\n%s", err, out)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}
