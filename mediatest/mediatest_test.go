package mediatest_test

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"

	"reel/mediatest"
)

// stream is the part of ffprobe's answer the checks read.
type stream struct {
	Type     string `json:"codec_type"`
	Codec    string `json:"codec_name"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	SAR      string `json:"sample_aspect_ratio"`
	AvgFPS   string `json:"avg_frame_rate"`
	SideData []struct {
		Rotation float64 `json:"rotation"`
	} `json:"side_data_list"`
}

// TestKinds makes every kind of clip and checks with ffprobe that it is
// what its comment says: the tests that use it rely on that.
func TestKinds(t *testing.T) {
	for _, tt := range []struct {
		name          string
		streams       string // codecs in stream order
		width, height int
		sar, fps      string
		rotation      float64
		duration      float64
	}{
		{mediatest.Anamorphic, "h264 aac", 320, 240, "4:3", "24/1", 0, 10},
		{mediatest.AudioFirst, "aac h264", 640, 360, "1:1", "30/1", 0, 8},
		{mediatest.WebM, "vp8 vorbis", 480, 270, "1:1", "30/1", 0, 6},
		{mediatest.Phone, "h263 amr_nb", 176, 144, "12:11", "2775/188", 0, 15.2},
		{mediatest.Camera, "h264 aac", 768, 432, "1:1", "25/2", 0, 30},
		{mediatest.HEVC, "hevc", 1920, 1080, "1:1", "50/1", 0, 1},
		{mediatest.HEVC720, "hevc", 1280, 720, "1:1", "24000/1001", 0, 4},
		{mediatest.AudioOnly, "aac", 0, 0, "", "", 0, 8},
		{mediatest.Matroska, "h264", 640, 480, "1:1", "30/1", 0, 4},
		{mediatest.Odd, "h264 aac", 318, 180, "1:1", "25/1", 0, 3},
		{mediatest.Rotated, "aac h264", 640, 360, "1:1", "30/1", 90, 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := mediatest.Path(t, tt.name)
			out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path).Output()
			if err != nil {
				t.Fatalf("ffprobe %s: %v", path, err)
			}
			var p struct {
				Streams []stream `json:"streams"`
				Format  struct {
					Duration string `json:"duration"`
				} `json:"format"`
			}
			if err := json.Unmarshal(out, &p); err != nil {
				t.Fatal(err)
			}
			codecs := ""
			for i, s := range p.Streams {
				if i > 0 {
					codecs += " "
				}
				codecs += s.Codec
				if s.Type != "video" {
					continue
				}
				if s.Width != tt.width || s.Height != tt.height || s.SAR != tt.sar && !(tt.sar == "1:1" && s.SAR == "") || s.AvgFPS != tt.fps {
					t.Errorf("video %dx%d SAR %s at %s fps, want %dx%d SAR %s at %s", s.Width, s.Height, s.SAR, s.AvgFPS,
						tt.width, tt.height, tt.sar, tt.fps)
				}
				var rotation float64
				for _, sd := range s.SideData {
					rotation = sd.Rotation
				}
				if rotation != tt.rotation {
					t.Errorf("rotation %v, want %v", rotation, tt.rotation)
				}
			}
			if codecs != tt.streams {
				t.Errorf("streams %q, want %q", codecs, tt.streams)
			}
			if d, _ := strconv.ParseFloat(p.Format.Duration, 64); d < tt.duration-0.1 || d > tt.duration+0.2 {
				t.Errorf("duration %v, want %v", d, tt.duration)
			}
			// Asked again, the same file: made once.
			if again := mediatest.Path(t, tt.name); again != path {
				t.Errorf("second Path %s, first %s", again, path)
			}
		})
	}
	if len(mediatest.Kinds()) != 11 {
		t.Errorf("Kinds lists %d clips; the table above checks 11", len(mediatest.Kinds()))
	}
}

// TestExtra checks the REEL_TEST_MEDIA listing on a folder of its own.
func TestExtra(t *testing.T) {
	t.Setenv("REEL_TEST_MEDIA", "")
	if got := mediatest.Extra(t); got != nil {
		t.Errorf("unset: %v", got)
	}
}
