package ffmpeg_test

import (
	"fmt"
	"strings"
	"testing"

	"reel/ffmpeg"
)

// source returns the probe of a square-pixel source of the given size.
func source(w, h int, fps string) *ffmpeg.Probe {
	r, _ := ffmpeg.ParseRational(fps)
	return &ffmpeg.Probe{
		Duration: 10,
		Video:    ffmpeg.VideoStream{Codec: "h264", Width: w, Height: h, FrameRate: r, SampleAspect: ffmpeg.Rational{Num: 1, Den: 1}},
		Audio:    &ffmpeg.AudioStream{Index: 1, Codec: "aac", Channels: 2, SampleRate: 48000},
	}
}

// rungs formats a ladder as "360p 640x360 800k, ..." for comparison.
func rungs(rs []ffmpeg.Rung) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprintf("%s %dx%d %dk", r.Name, r.Width, r.Height, r.MaxRate/1000)
	}
	return strings.Join(s, ", ")
}

func TestPlanLadder(t *testing.T) {
	for _, tt := range []struct {
		name  string
		probe *ffmpeg.Probe
		want  string
	}{
		// Below 360p: one rung at the source's own size.
		{"320x240", source(320, 240, "30/1"), "240p 320x240 267k"},
		{"176x144", source(176, 144, "15/1"), "144p 176x144 200k"},
		{"odd tiny", source(175, 143, "25/1"), "142p 174x142 200k"},
		// Exactly a standard rung: nothing more.
		{"640x360", source(640, 360, "30/1"), "360p 640x360 800k"},
		{"1280x720", source(1280, 720, "30000/1001"), "360p 640x360 800k, 480p 854x480 1400k, 720p 1280x720 2800k"},
		{"1920x1080", source(1920, 1080, "25/1"),
			"360p 640x360 800k, 480p 854x480 1400k, 720p 1280x720 2800k, 1080p 1920x1080 5000k"},
		// Never above 1080p.
		{"4K", source(3840, 2160, "24/1"),
			"360p 640x360 800k, 480p 854x480 1400k, 720p 1280x720 2800k, 1080p 1920x1080 5000k"},
		// Portrait: the short side picks the rungs, orientation is kept.
		{"portrait 1080x1920", source(1080, 1920, "30/1"),
			"360p 360x640 800k, 480p 480x854 1400k, 720p 720x1280 2800k, 1080p 1080x1920 5000k"},
		// Odd sizes round to even, and 607 is 26 % above 480: its own rung.
		{"odd 1081x607", source(1081, 607, "30/1"), "360p 640x360 800k, 480p 854x480 1400k, 606p 1080x606 2069k"},
		// 432 is 20 % above 360: kept rather than cut down.
		{"768x432", source(768, 432, "25/2"), "360p 640x360 800k, 432p 768x432 1139k"},
		// 540 is only 12.5 % above 480: no near-duplicate rung.
		{"960x540", source(960, 540, "30/1"), "360p 640x360 800k, 480p 854x480 1400k"},
		// 4:3 fits the boxes by height; rates follow the pixels a rung has.
		{"640x480", source(640, 480, "30/1"), "360p 480x360 600k, 480p 640x480 1057k"},
		// Very wide: fitted by width, as players label it.
		{"2560x1080", source(2560, 1080, "24/1"),
			"360p 640x270 600k, 480p 854x360 1057k, 720p 1280x540 2170k, 1080p 1920x810 4010k"},
		// Square.
		{"1080x1080", source(1080, 1080, "30/1"),
			"360p 360x360 450k, 480p 480x480 800k, 720p 720x720 1697k, 1080p 1080x1080 3268k"},
		// 50 and 60 fps need more bits.
		{"720p60", source(1280, 720, "60/1"), "360p 640x360 1200k, 480p 854x480 2100k, 720p 1280x720 4200k"},
		// Anamorphic: 320x240 pixels at 16:9 become square pixels.
		{"bbb", loadProbe(t, "bbb"), "240p 426x240 355k"},
		// Rotated: 640x360 stored, shown upright as 360x640.
		{"rotated", loadProbe(t, "rotated"), "360p 360x640 800k"},
		// Old phone: 176x144 with 12:11 pixels, 14.8 fps.
		{"3gp", loadProbe(t, "3gp"), "144p 192x144 200k"},
		{"hevc 1080p50", loadProbe(t, "hevc"),
			"360p 640x360 1200k, 480p 854x480 2100k, 720p 1280x720 4200k, 1080p 1920x1080 7500k"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := rungs(ffmpeg.PlanLadder(tt.probe)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPlanLadderRates(t *testing.T) {
	rs := ffmpeg.PlanLadder(source(1920, 1080, "30/1"))
	for _, r := range rs {
		if r.CRF != 23 || r.BufSize != 2*r.MaxRate {
			t.Errorf("%s: CRF %d, bufsize %d for maxrate %d", r.Name, r.CRF, r.BufSize, r.MaxRate)
		}
		wantAudio := 128000
		if r.Name == "360p" {
			wantAudio = 96000
		}
		if r.AudioRate != wantAudio {
			t.Errorf("%s: audio %d, want %d", r.Name, r.AudioRate, wantAudio)
		}
	}
}

func TestOutputFrameRate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		gop  int
	}{
		{"30/1", "30/1", 60},
		{"30000/1001", "30000/1001", 60},
		{"24000/1001", "24000/1001", 48},
		{"25/1", "25/1", 50},
		{"2775/188", "2775/188", 30}, // 14.76 fps phone clip
		{"60/1", "60/1", 120},
		{"120/1", "60/1", 120},
		{"100/1", "50/1", 100},
		{"240/4", "60/1", 120},
		{"0/0", "30/1", 60},
		{"1/2", "30/1", 60},     // below 1 fps: not a frame rate to trust
		{"90000/1", "30/1", 60}, // a time base, not a frame rate
	} {
		p := source(640, 360, tt.in)
		got := ffmpeg.OutputFrameRate(p)
		if got.String() != tt.want {
			t.Errorf("OutputFrameRate(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if gop := ffmpeg.GOPSize(got); gop != tt.gop {
			t.Errorf("GOPSize(%s) = %d, want %d", got, gop, tt.gop)
		}
	}
}

func TestPosterSize(t *testing.T) {
	for _, tt := range []struct {
		probe *ffmpeg.Probe
		w, h  int
	}{
		{source(1920, 1080, "30/1"), 1280, 720},
		{source(1080, 1920, "30/1"), 720, 1280},
		{source(640, 360, "30/1"), 640, 360},
		{source(176, 144, "30/1"), 176, 144},
	} {
		if w, h := ffmpeg.PosterSize(ffmpeg.PlanLadder(tt.probe)); w != tt.w || h != tt.h {
			t.Errorf("%dx%d: PosterSize = %dx%d, want %dx%d", tt.probe.Video.Width, tt.probe.Video.Height, w, h, tt.w, tt.h)
		}
	}
}

// TestOutputFrameRateVFR: a variable-frame-rate source gets its nominal
// rate, capped at 60.
func TestOutputFrameRateVFR(t *testing.T) {
	for _, tt := range []struct{ r, avg, want string }{
		{"30/1", "810/43", "30/1"},           // a 30 fps phone clip that skipped frames
		{"60000/1001", "50/1", "60000/1001"}, // 59.94 nominal
		{"250/1", "2775/188", "15/1"},        // a time base: the standard rate near the average
		{"90000/1", "47/2", "24000/1001"},    // 23.5 on average: 23.976
		{"1000/1", "173/10", "173/10"},       // 17.3: no standard rate near
		{"120/1", "100/1", "60/1"},           // nominal 120, halved
		{"24/1", "30/1", "30/1"},             // r below the average: not a nominal rate
		{"30/1", "30/1", "30/1"},             // constant after all
		{"50/1", "25/1", "25/1"},             // r at the field rate: constant
	} {
		p := source(640, 360, tt.avg)
		p.Video.RFrameRate, _ = ffmpeg.ParseRational(tt.r)
		if got := ffmpeg.OutputFrameRate(p); got.String() != tt.want {
			t.Errorf("r %s, average %s: %s, want %s", tt.r, tt.avg, got, tt.want)
		}
	}
	// 25i with r_frame_rate at the field rate is not variable.
	p := source(720, 576, "25/1")
	p.Video.RFrameRate, p.Video.FieldOrder = ffmpeg.Rational{Num: 50, Den: 1}, "tt"
	if p.Video.VariableFrameRate() || ffmpeg.OutputFrameRate(p).String() != "25/1" {
		t.Errorf("25i: VFR %v, rate %s", p.Video.VariableFrameRate(), ffmpeg.OutputFrameRate(p))
	}
}
