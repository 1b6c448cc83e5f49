package ffmpeg_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/ffmpeg"
	"reel/mediatest"
)

// These tests run the real ffmpeg and ffprobe on clips made by mediatest
// (generated with lavfi, and one real phone clip), plus any extra clips
// named by REEL_TEST_MEDIA.

func needFFmpeg(t testing.TB) {
	t.Helper()
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not on PATH", p)
		}
	}
}

// run runs a command and returns its stdout, failing the test on error.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatal(err)
	}
	return string(out)
}

// probed is the part of ffprobe's JSON the checks below read.
type probed struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Profile   string `json:"profile"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		SAR       string `json:"sample_aspect_ratio"`
		PixFmt    string `json:"pix_fmt"`
		Transfer  string `json:"color_transfer"`
		Primaries string `json:"color_primaries"`
		Matrix    string `json:"color_space"`
		Channels  int    `json:"channels"`
		Frames    string `json:"nb_frames"`
		RFPS      string `json:"r_frame_rate"`
		AvgFPS    string `json:"avg_frame_rate"`
		SideData  []struct {
			Type     string  `json:"side_data_type"`
			Rotation float64 `json:"rotation"`
		} `json:"side_data_list"`
	} `json:"streams"`
	Format struct {
		Name      string `json:"format_name"`
		Duration  string `json:"duration"`
		StartTime string `json:"start_time"`
	} `json:"format"`
}

func probe(t testing.TB, path string) probed {
	t.Helper()
	var p probed
	out := run(t, "ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path)
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// hasAudio reports whether the file has an audio stream.
func (p probed) hasAudio() bool {
	for _, s := range p.Streams {
		if s.CodecType == "audio" {
			return true
		}
	}
	return false
}

func (p probed) duration() float64 {
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	// Matroska's duration is its last timestamp: the file lasts from its
	// first one (book.mkv: 109 frames at 30 fps from 0.033 s to 3.666 s).
	if start, _ := strconv.ParseFloat(p.Format.StartTime, 64); start > 0 && strings.HasPrefix(p.Format.Name, "matroska") {
		d -= start
	}
	return d
}

// keyframes returns the times of the key frames of a playlist's video.
func keyframes(t testing.TB, playlist string) []float64 {
	t.Helper()
	out := run(t, "ffprobe", "-v", "error", "-select_streams", "v:0", "-skip_frame", "nokey",
		"-show_entries", "frame=pts_time", "-of", "csv=p=0", playlist)
	var times []float64
	for _, f := range strings.Fields(out) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(f, ","), 64)
		if err != nil {
			t.Fatalf("ffprobe frame time %q: %v", f, err)
		}
		times = append(times, v)
	}
	return times
}

func TestTranscode(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("transcodes real clips")
	}
	for _, tt := range []struct {
		file  string
		want  string // renditions, "name WxH", smallest first
		w, h  int    // display size of the source
		audio bool
		codes []string // the media report
	}{
		// Anamorphic 320x240 at 16:9: one rung of square pixels.
		{mediatest.Anamorphic, "240p 426x240", 427, 240, true, []string{"non_square_pixels"}},
		// Exactly 360p, audio track first.
		{mediatest.AudioFirst, "360p 640x360", 640, 360, true, nil},
		// VP8 + Vorbis in WebM.
		{mediatest.WebM, "270p 480x270", 480, 270, true, nil},
		// H.263 + AMR-NB from an old phone, 12:11 pixels, variable 14.8 fps.
		{mediatest.Phone, "144p 192x144", 192, 144, true, []string{"variable_frame_rate", "non_square_pixels"}},
		// Camera-like footage at 12.5 fps: 360p plus its own 432p.
		{mediatest.Camera, "360p 640x360, 432p 768x432", 768, 432, true, nil},
		// HEVC 1080p50 without audio, one second: the full ladder.
		{mediatest.HEVC, "360p 640x360, 480p 854x480, 720p 1280x720, 1080p 1920x1080", 1920, 1080, false, []string{"no_audio"}},
		// AAC alone: an audio-only stream with a waveform poster.
		{mediatest.AudioOnly, "audio 0x0", 0, 0, true, []string{"audio_only"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel() // ffmpeg leaves cores idle between its runs
			input := mediatest.Path(t, tt.file)
			o := transcode(t, input)
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.res.Width != tt.w || o.res.Height != tt.h {
				t.Errorf("source size %dx%d, want %dx%d", o.res.Width, o.res.Height, tt.w, tt.h)
			}
			checkOutput(t, input, o, tt.want, tt.audio)
			checkCodes(t, o, tt.codes...)
		})
	}
	// Extra real clips: nothing is known of them beforehand, so they are
	// held to what holds for every input: a complete output that never
	// upscales.
	for _, input := range mediatest.Extra(t) {
		t.Run("extra/"+filepath.Base(input), func(t *testing.T) {
			t.Parallel()
			o := transcode(t, input)
			if o.err != nil {
				t.Fatal(o.err)
			}
			var names []string
			for _, r := range o.res.Renditions {
				if r.IsAudio() && o.res.Width > 0 {
					continue // checkOutput checks the audio rendition apart
				}
				names = append(names, fmt.Sprintf("%s %dx%d", r.Name, r.Width, r.Height))
				if r.Width > o.res.Width+1 || r.Height > o.res.Height+1 {
					t.Errorf("rendition %s %dx%d upscales the %dx%d source", r.Name, r.Width, r.Height, o.res.Width, o.res.Height)
				}
			}
			checkOutput(t, input, o, strings.Join(names, ", "), probe(t, input).hasAudio())
		})
	}
}

func TestTranscodeMachineErrors(t *testing.T) {
	needFFmpeg(t)
	// Neither a missing original nor a missing program is the upload's fault.
	err := transcode(t, filepath.Join(t.TempDir(), "missing.mp4")).err
	if code := reel.ErrorCode(err); err == nil || code == reel.EINVALID {
		t.Errorf("missing input: %v (code %q), want a retryable error", err, code)
	}
	var exit *ffmpeg.ExitError
	if !errors.As(err, &exit) || !strings.Contains(exit.Stderr, "No such file") {
		t.Errorf("missing input: %v, want an *ExitError with ffprobe's stderr", err)
	}

	tr := &ffmpeg.Transcoder{FFprobe: filepath.Join(t.TempDir(), "no-ffprobe")}
	_, err = tr.Transcode(context.Background(), reel.TranscodeRequest{Input: mediatest.Path(t, mediatest.AudioFirst), OutputDir: t.TempDir()})
	if code := reel.ErrorCode(err); err == nil || code == reel.EINVALID {
		t.Errorf("missing ffprobe: %v (code %q), want a retryable error", err, code)
	}
}

func TestTranscodeCancel(t *testing.T) {
	needFFmpeg(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &ffmpeg.Transcoder{}
	var cancelledAt time.Time
	res, err := tr.Transcode(ctx, reel.TranscodeRequest{
		Input:     mediatest.Path(t, mediatest.Camera), // 30 s: far from done at the first report
		OutputDir: t.TempDir(),
		Progress: func(f float64) {
			if cancelledAt.IsZero() && f < 1 {
				cancelledAt = time.Now()
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Transcode = %+v, %v; want context.Canceled", res, err)
	}
	// SIGINT stops ffmpeg at once; the 10 s kill delay is not needed.
	if d := time.Since(cancelledAt); d > 5*time.Second {
		t.Errorf("ffmpeg took %v to stop", d)
	}
}

func TestProbeReal(t *testing.T) {
	needFFmpeg(t)
	p, err := (&ffmpeg.Transcoder{}).Probe(context.Background(), mediatest.Path(t, mediatest.AudioFirst))
	if err != nil {
		t.Fatal(err)
	}
	if p.Video.Index != 1 || p.Audio.Index != 0 || p.Duration != 8 {
		t.Errorf("probe %+v", p)
	}
}

// BenchmarkTranscode measures a whole Transcode: the 320x240 clip and a
// generated 10 s 1080p30 clip with audio (the full four-rung ladder).
func BenchmarkTranscode(b *testing.B) {
	needFFmpeg(b)
	inputs := []struct{ name, path string }{
		{"anamorphic_240p_10s", mediatest.Path(b, mediatest.Anamorphic)},
		{"lavfi_1080p30_10s", generate(b, "1080p.mp4",
			"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30",
			"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
			"-t", "10", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			tr := &ffmpeg.Transcoder{}
			for b.Loop() {
				out := b.TempDir()
				if _, err := tr.Transcode(context.Background(), reel.TranscodeRequest{Input: in.path, OutputDir: out}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
