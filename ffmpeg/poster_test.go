package ffmpeg_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"reel"
	"reel/ffmpeg"
	"reel/mediatest"
)

// brightness returns the mean luma (0..255) of a JPEG.
func brightness(t *testing.T, data []byte) float64 {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	var sum float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			sum += (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
		}
	}
	return sum / float64(b.Dx()*b.Dy())
}

// The default poster is not taken from a black opening or a fade from
// black: it is as bright as the picture once fully shown, which a frame
// from 10 % in (the old rule) is not.
func TestPosterAvoidsDarkOpenings(t *testing.T) {
	needFFmpeg(t)
	tr := &ffmpeg.Transcoder{}
	for _, clip := range []string{mediatest.BlackStart, mediatest.FadeIn} {
		t.Run(clip, func(t *testing.T) {
			in := mediatest.Path(t, clip)
			// The reference: the picture fully shown, at 9 s.
			full, err := tr.Still(context.Background(), in, 9)
			if err != nil {
				t.Fatal(err)
			}
			early, err := tr.Still(context.Background(), in, 1) // 10 % in
			if err != nil {
				t.Fatal(err)
			}
			ref, old := brightness(t, full), brightness(t, early)
			if old > 0.5*ref {
				t.Fatalf("the clip's opening is not dark: %.0f at 1 s, %.0f at 9 s", old, ref)
			}

			out := t.TempDir()
			if _, err := tr.Transcode(context.Background(), reel.TranscodeRequest{Input: in, OutputDir: out}); err != nil {
				t.Fatal(err)
			}
			poster, err := os.ReadFile(filepath.Join(out, reel.PosterImage))
			if err != nil {
				t.Fatal(err)
			}
			got := brightness(t, poster)
			t.Logf("mean luma: frame at 10 %% %.0f, chosen poster %.0f, the picture fully shown %.0f", old, got, ref)
			if got < 0.85*ref {
				t.Errorf("poster brightness %.0f, the picture's %.0f: a dark frame was chosen", got, ref)
			}
			// Only the poster is written: no candidate is left beside it.
			matches, _ := filepath.Glob(filepath.Join(out, "*.jpg"))
			for _, m := range matches {
				if name := filepath.Base(m); name != reel.PosterImage && !bytes.HasPrefix([]byte(name), []byte("storyboard_")) {
					t.Errorf("stray picture %s in the output", name)
				}
			}
		})
	}
}

// Still takes the frame at a time, at the poster's size, and refuses
// times it cannot take and sources without a picture.
func TestStill(t *testing.T) {
	needFFmpeg(t)
	tr := &ffmpeg.Transcoder{}
	ctx := context.Background()
	in := mediatest.Path(t, mediatest.Anamorphic) // 320x240 shown at 16:9, 10 s

	data, err := tr.Still(ctx, in, 4.5)
	if err != nil {
		t.Fatal(err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "jpeg" {
		t.Fatalf("not a JPEG (%q): %v", format, err)
	}
	if cfg.Width != 426 || cfg.Height != 240 {
		t.Errorf("still is %dx%d, want the top rendition's 426x240", cfg.Width, cfg.Height)
	}

	for _, at := range []float64{-1, 10, 3600, math.NaN(), math.Inf(1)} {
		if _, err := tr.Still(ctx, in, at); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("Still at %v: %v, want EINVALID", at, err)
		}
	}
	if _, err := tr.Still(ctx, mediatest.Path(t, mediatest.AudioOnly), 1); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("Still of audio only: %v, want EINVALID", err)
	}
	bad := filepath.Join(t.TempDir(), "text.mp4")
	os.WriteFile(bad, []byte("not a video at all"), 0o644)
	if _, err := tr.Still(ctx, bad, 1); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("Still of a text file: %v, want EINVALID", err)
	}
}
