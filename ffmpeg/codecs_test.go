package ffmpeg_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
)

// TestTranscodeCodecs encodes a short clip with HEVC and AV1 rungs beside
// the H.264 ones, from one ffmpeg run, and checks that each variant
// decodes with ffprobe as the codec, profile and level its CODECS string
// in the master says, and that the master names them all.
func TestTranscodeCodecs(t *testing.T) {
	needFFmpeg(t)
	input := generate(t, "clip.mp4", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-f", "lavfi", "-i", sine,
		"-t", "3", "-c:v", x264, "-preset", "ultrafast", "-c:a", "aac")
	codecs, err := ffmpeg.ParseCodecs("av1, hevc,h264")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	tr := &ffmpeg.Transcoder{Codecs: codecs}
	res, err := tr.Transcode(context.Background(), reel.TranscodeRequest{Input: input, OutputDir: out})
	if err != nil {
		t.Fatal(err)
	}
	master, err := os.ReadFile(filepath.Join(out, reel.MasterPlaylist))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	wantKeys, wantTimes := keyPackets(t, filepath.Join(out, "360p", reel.MediaPlaylist))
	for _, r := range res.Renditions {
		if r.IsAudio() {
			continue
		}
		names = append(names, r.Name)
		video, _, _ := strings.Cut(r.Codecs, ",")
		// Frames and key frames where the H.264 rung has them: segments
		// of every codec line up.
		if keys, times := keyPackets(t, filepath.Join(out, r.Name, reel.MediaPlaylist)); fmt.Sprint(keys) != fmt.Sprint(wantKeys) || fmt.Sprint(times) != fmt.Sprint(wantTimes) {
			t.Errorf("%s: key frames %v of %d frames, the H.264 rung's %v of %d", r.Name, keys, len(times), wantKeys, len(wantTimes))
		}
		if !strings.Contains(string(master), `CODECS="`+r.Codecs+`"`) {
			t.Errorf("%s: the master does not name CODECS %q:\n%s", r.Name, r.Codecs, master)
		}
		s := probeStream(t, filepath.Join(out, r.Name, reel.MediaPlaylist))
		if want := codecFromString(t, video); s.CodecName != want {
			t.Errorf("%s: CODECS %q but ffprobe decodes %s", r.Name, video, s.CodecName)
		}
		if s.Width != r.Width || s.Height != r.Height {
			t.Errorf("%s: %dx%d, want %dx%d", r.Name, s.Width, s.Height, r.Width, r.Height)
		}
		// The level in CODECS is the stream's: x265 writes level_idc
		// (30 × level), SVT-AV1 seq_level_idx, x264 level_idc (10 × level).
		if lvl := levelFromString(video); lvl != s.Level {
			t.Errorf("%s: CODECS %q names level %d, ffprobe reads %d", r.Name, video, lvl, s.Level)
		}
	}
	if got := strings.Join(names, " "); got != "360p 360p-hevc 360p-av1" {
		t.Errorf("video renditions %s, want 360p 360p-hevc 360p-av1", got)
	}
}

// TestParseCodecs checks the codecs setting's parser.
func TestParseCodecs(t *testing.T) {
	for in, want := range map[string]string{
		"h264": "h264", "h264,hevc": "h264 hevc", "av1,h264": "h264 av1", " H264 , HEVC , AV1 ": "h264 hevc av1",
	} {
		got, err := ffmpeg.ParseCodecs(in)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("ParseCodecs(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "hevc", "h264,h264", "h264,vp9", "h264,,hevc", "h264;hevc", "h264,hevc\x00"} {
		if got, err := ffmpeg.ParseCodecs(in); err == nil {
			t.Errorf("ParseCodecs(%q) = %v, want an error", in, got)
		}
	}
}

type streamInfo struct {
	CodecName string `json:"codec_name"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Level     int    `json:"level"`
}

// probeStream returns what ffprobe decodes of the first video stream of
// name, reading every frame (so a stream that does not decode fails).
func probeStream(t *testing.T, name string) streamInfo {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
		"-show_entries", "stream=codec_name,width,height,level,nb_read_frames", "-of", "json", name).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", name, err)
	}
	var j struct{ Streams []streamInfo }
	if err := json.Unmarshal(out, &j); err != nil || len(j.Streams) != 1 {
		t.Fatalf("ffprobe %s: %v %s", name, err, out)
	}
	return j.Streams[0]
}

// codecFromString returns ffprobe's name of the codec of an RFC 6381
// codecs entry.
func codecFromString(t *testing.T, c string) string {
	switch {
	case strings.HasPrefix(c, "avc1."):
		return "h264"
	case strings.HasPrefix(c, "hvc1."):
		return "hevc"
	case strings.HasPrefix(c, "av01."):
		return "av1"
	}
	t.Fatalf("codecs %q: unknown", c)
	return ""
}

// levelFromString returns the level of a codecs entry as ffprobe reports
// it: H.264's level_idc, HEVC's general_level_idc, AV1's seq_level_idx.
func levelFromString(c string) int {
	f := strings.Split(c, ".")
	n := 0
	switch f[0] {
	case "avc1":
		n, _ = parseHex(f[1][4:6])
	case "hvc1":
		for _, r := range f[3][1:] {
			n = n*10 + int(r-'0')
		}
	case "av01":
		n = int(f[2][0]-'0')*10 + int(f[2][1]-'0')
	}
	return n
}

func parseHex(s string) (int, error) {
	var n int
	for _, r := range s {
		n *= 16
		switch {
		case r >= '0' && r <= '9':
			n += int(r - '0')
		case r >= 'a' && r <= 'f':
			n += int(r-'a') + 10
		}
	}
	return n, nil
}

// keyPackets returns the times of the key packets of the first video
// stream of playlist, and of all its packets, in presentation order.
func keyPackets(t *testing.T, playlist string) (keys, all []float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", playlist).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", playlist, err)
	}
	for _, line := range strings.Fields(string(out)) {
		f := strings.Split(line, ",")
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil || len(f) < 2 {
			t.Fatalf("ffprobe packet %q: %v", line, err)
		}
		all = append(all, v)
		if strings.HasPrefix(f[1], "K") {
			keys = append(keys, v)
		}
	}
	slices.Sort(all)
	return keys, all
}
