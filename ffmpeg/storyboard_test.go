package ffmpeg_test

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reel/ffmpeg"
)

func TestPlanStoryboard(t *testing.T) {
	for _, tt := range []struct {
		duration float64
		w, h     int
		want     ffmpeg.Storyboard
	}{
		{8, 1920, 1080, ffmpeg.Storyboard{Interval: 1, Width: 160, Height: 90}},
		{100, 1920, 1080, ffmpeg.Storyboard{Interval: 1, Width: 160, Height: 90}},
		// At most about 100 thumbnails, a whole number of seconds apart.
		{101, 1920, 1080, ffmpeg.Storyboard{Interval: 2, Width: 160, Height: 90}},
		{7200, 1280, 720, ffmpeg.Storyboard{Interval: 72, Width: 160, Height: 90}},
		// Fitted to 160 on the long side, even sizes.
		{8, 1080, 1920, ffmpeg.Storyboard{Interval: 1, Width: 90, Height: 160}},
		{8, 640, 480, ffmpeg.Storyboard{Interval: 1, Width: 160, Height: 120}},
		{8, 426, 240, ffmpeg.Storyboard{Interval: 1, Width: 160, Height: 90}},
		{8, 1000, 1000, ffmpeg.Storyboard{Interval: 1, Width: 160, Height: 160}},
		{8, 4000, 10, ffmpeg.Storyboard{Interval: 1, Width: 160, Height: 2}},
		// Unknown duration.
		{0, 1920, 1080, ffmpeg.Storyboard{Interval: 10, Width: 160, Height: 90}},
	} {
		if got := ffmpeg.PlanStoryboard(tt.duration, tt.w, tt.h); got != tt.want {
			t.Errorf("PlanStoryboard(%v, %d, %d) = %+v, want %+v", tt.duration, tt.w, tt.h, got, tt.want)
		}
	}
}

func TestStoryboardVTT(t *testing.T) {
	var b strings.Builder
	sb := ffmpeg.Storyboard{Interval: 5, Width: 160, Height: 90}
	if err := sb.WriteVTT(&b, 3, 12.5); err != nil {
		t.Fatal(err)
	}
	// Three thumbnails: one row of three; the last cue ends with the video.
	want := `WEBVTT

00:00:00.000 --> 00:00:05.000
storyboard_0.jpg#xywh=0,0,160,90

00:00:05.000 --> 00:00:10.000
storyboard_0.jpg#xywh=160,0,160,90

00:00:10.000 --> 00:00:12.500
storyboard_0.jpg#xywh=320,0,160,90
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}

	// 250 thumbnails: 10x10 sheets, the 101st on the second sheet; times
	// past an hour.
	b.Reset()
	sb = ffmpeg.Storyboard{Interval: 20, Width: 90, Height: 160}
	if err := sb.WriteVTT(&b, 250, 4990); err != nil {
		t.Fatal(err)
	}
	for _, cue := range []string{
		"00:03:00.000 --> 00:03:20.000\nstoryboard_0.jpg#xywh=810,0,90,160\n",
		"00:03:20.000 --> 00:03:40.000\nstoryboard_0.jpg#xywh=0,160,90,160\n",
		"00:33:20.000 --> 00:33:40.000\nstoryboard_1.jpg#xywh=0,0,90,160\n",
		"01:23:00.000 --> 01:23:10.000\nstoryboard_2.jpg#xywh=810,640,90,160\n",
	} {
		if !strings.Contains(b.String(), cue) {
			t.Errorf("VTT lacks\n%s", cue)
		}
	}
	if n := strings.Count(b.String(), " --> "); n != 250 {
		t.Errorf("%d cues, want 250", n)
	}

	for _, bad := range []struct {
		sb ffmpeg.Storyboard
		n  int
	}{{ffmpeg.Storyboard{}, 1}, {ffmpeg.Storyboard{Interval: 1, Width: 1, Height: 1}, 0}} {
		if err := bad.sb.WriteVTT(&strings.Builder{}, bad.n, 10); err == nil {
			t.Errorf("WriteVTT(%+v, %d) did not fail", bad.sb, bad.n)
		}
	}
}

// TestStoryboardSheets tiles solid-coloured thumbnails and checks each
// lands where the cues say.
func TestStoryboardSheets(t *testing.T) {
	sb := ffmpeg.Storyboard{Interval: 1, Width: 16, Height: 8}
	const n = 103 // a full 10x10 sheet and a second of one row
	colour := func(i int) [3]byte { return [3]byte{byte(i * 2), byte(255 - i*2), byte(i % 7 * 30)} }
	var raw bytes.Buffer
	for i := range n {
		c := colour(i)
		for range sb.Width * sb.Height {
			raw.Write(c[:])
		}
	}
	dir := t.TempDir()
	got, err := sb.WriteSheets(bytes.NewReader(raw.Bytes()), int64(raw.Len()), dir)
	if err != nil || got != n {
		t.Fatalf("WriteSheets = %d, %v; want %d", got, err, n)
	}
	sizes := map[string]string{"storyboard_0.jpg": "160x80", "storyboard_1.jpg": "160x8"}
	for i := range n {
		name := fmt.Sprintf("storyboard_%d.jpg", i/100)
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprintf("%dx%d", img.Bounds().Dx(), img.Bounds().Dy()); s != sizes[name] {
			t.Fatalf("%s is %s, want %s", name, s, sizes[name])
		}
		k := i % 100
		x, y := k%10*16+8, k/10*8+4 // the middle of the thumbnail
		r, g, b, _ := img.At(x, y).RGBA()
		want := colour(i)
		if d := max(diff(r>>8, want[0]), diff(g>>8, want[1]), diff(b>>8, want[2])); d > 24 {
			t.Errorf("thumbnail %d at %s %d,%d is %d,%d,%d, want %v", i, name, x, y, r>>8, g>>8, b>>8, want)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 2 {
		t.Errorf("files %v, want the two sheets", files)
	}

	// A cut frame is an error, not a sheet of garbage.
	if _, err := sb.WriteSheets(bytes.NewReader(raw.Bytes()[:100]), 100, t.TempDir()); err == nil {
		t.Error("partial thumbnail: no error")
	}
}

func diff(a uint32, b byte) int {
	d := int(a) - int(b)
	if d < 0 {
		return -d
	}
	return d
}
