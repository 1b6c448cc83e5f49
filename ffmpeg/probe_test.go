package ffmpeg_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
)

// loadProbe parses testdata/probe_<name>.json, captured from ffprobe 5.1
// on the clips testdata/README.md names (rotated: prog_8s.mp4 remuxed with
// -c copy -metadata:s:v:0 rotate=90, which also puts video first).
func loadProbe(t testing.TB, name string) *ffmpeg.Probe {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "probe_"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ffmpeg.ParseProbe(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

func TestParseProbe(t *testing.T) {
	for _, tt := range []struct {
		name          string
		codec         string
		width, height int // as stored
		dispW, dispH  int
		fps           float64
		rotation      int
		audio         bool
		audioIndex    int
		duration      float64
	}{
		// Anamorphic: 320x240 pixels shown at 16:9.
		{"bbb", "h264", 320, 240, 427, 240, 24, 0, true, 1, 9.917},
		// Audio first, video second.
		{"prog8s", "h264", 640, 360, 640, 360, 30, 0, true, 0, 8},
		{"rotated", "h264", 640, 360, 360, 640, 30, 270, true, 1, 8.067},
		// No per-stream durations in WebM: the container's.
		{"webm", "vp8", 480, 270, 480, 270, 30, 0, true, 1, 44.652},
		// r_frame_rate 250 is a time base; the average rate is the real one.
		{"3gp", "h263", 176, 144, 192, 144, 2775.0 / 188, 0, true, 1, 15.2},
		{"hevc", "hevc", 1920, 1080, 1920, 1080, 50, 0, false, 0, 1},
		// 109 frames from 0.033 s: Matroska's 3.666 s counts from 0.
		{"mkv", "h264", 640, 480, 640, 480, 30, 0, false, 0, 3.633},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := loadProbe(t, tt.name)
			v := p.Video
			if v.Codec != tt.codec || v.Width != tt.width || v.Height != tt.height {
				t.Errorf("video = %s %dx%d, want %s %dx%d", v.Codec, v.Width, v.Height, tt.codec, tt.width, tt.height)
			}
			if w, h := p.DisplaySize(); w != tt.dispW || h != tt.dispH {
				t.Errorf("DisplaySize = %dx%d, want %dx%d", w, h, tt.dispW, tt.dispH)
			}
			if f := v.FrameRate.Float(); math.Abs(f-tt.fps) > 1e-9 {
				t.Errorf("FrameRate = %v (%v), want %v", v.FrameRate, f, tt.fps)
			}
			if v.Rotation != tt.rotation {
				t.Errorf("Rotation = %d, want %d", v.Rotation, tt.rotation)
			}
			if p.HasAudio() != tt.audio {
				t.Errorf("HasAudio = %v, want %v", p.HasAudio(), tt.audio)
			} else if tt.audio && p.Audio.Index != tt.audioIndex {
				t.Errorf("Audio.Index = %d, want %d", p.Audio.Index, tt.audioIndex)
			}
			if p.Duration != tt.duration {
				t.Errorf("Duration = %v, want %v", p.Duration, tt.duration)
			}
			if v.PixFmt == "" {
				t.Error("no PixFmt")
			}
		})
	}
}

// probeJSON returns ffprobe-shaped JSON with the given streams and format.
func probeJSON(format string, streams ...string) []byte {
	return []byte(`{"streams":[` + strings.Join(streams, ",") + `],"format":{"format_name":"` + format + `","duration":"5.000000"}}`)
}

const (
	videoStream = `{"index":0,"codec_name":"h264","codec_type":"video","width":1920,"height":1080,"avg_frame_rate":"30/1"}`
	audioStream = `{"index":1,"codec_name":"aac","codec_type":"audio","channels":2,"sample_rate":"48000"}`
	coverArt    = `{"index":2,"codec_name":"mjpeg","codec_type":"video","width":600,"height":600,"disposition":{"attached_pic":1}}`
)

func TestParseProbeRotation(t *testing.T) {
	for _, tt := range []struct {
		stream string
		want   int
	}{
		{`"tags":{"rotate":"90"}`, 90},
		{`"tags":{"rotate":"-90"}`, 270},
		{`"tags":{"rotate":"180"}`, 180},
		{`"side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]`, 90},
		{`"side_data_list":[{"side_data_type":"Display Matrix","rotation":90.0}]`, 270},
		{`"side_data_list":[{"side_data_type":"Display Matrix","rotation":-180}]`, 180},
		{`"side_data_list":[{"side_data_type":"Display Matrix","rotation":-89.6}]`, 90},
		{`"tags":{"rotate":"junk"}`, 0},
	} {
		s := strings.TrimSuffix(videoStream, "}") + "," + tt.stream + "}"
		p, err := ffmpeg.ParseProbe(probeJSON("mov", s))
		if err != nil {
			t.Fatal(err)
		}
		if p.Video.Rotation != tt.want {
			t.Errorf("%s: Rotation = %d, want %d", tt.stream, p.Video.Rotation, tt.want)
		}
	}
}

func TestParseProbeInvalid(t *testing.T) {
	fixture := func(name string) []byte {
		data, err := os.ReadFile("testdata/probe_" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	badAudio := `{"index":1,"codec_type":"audio","codec_tag_string":"ac-4","channels":2,"sample_rate":"48000"}`
	for _, tt := range []struct {
		name string
		json []byte
		want string // the user's sentence
	}{
		// ffprobe prints this, with status 0, for some unreadable inputs.
		{"empty", []byte("{\n\n}"), "The file is not a video or audio file this server can read."},
		{"subtitles only", probeJSON("srt", `{"index":0,"codec_name":"subrip","codec_type":"subtitle"}`), "The file has neither a video nor an audio stream."},
		{"HLS playlist", probeJSON("hls", videoStream), "The file is a playlist or a list of other files, not a video."},
		{"concat list", probeJSON("concat", videoStream), "The file is a playlist or a list of other files, not a video."},
		{"text", probeJSON("tty", videoStream), "The file is not a video or audio file this server can read."},
		{"JPEG", probeJSON("jpeg_pipe", `{"index":0,"codec_name":"mjpeg","codec_type":"video","width":640,"height":480}`), "The file is a still image, not a video."},
		{"no size", probeJSON("mov", `{"index":0,"codec_name":"h264","codec_type":"video","width":0,"height":0}`), "The video's picture size is not supported."},
		{"huge", probeJSON("mov", `{"index":0,"codec_name":"h264","codec_type":"video","width":100000,"height":10}`), "The video's picture size is not supported."},
		// Codecs ffmpeg 5.1 does not know, named as people know them.
		{"unknown codec", probeJSON("mov", `{"index":0,"codec_type":"video","width":640,"height":480}`),
			"The file's video stream uses a codec this server cannot decode."},
		{"VVC", fixture("vvc"), "The file's video stream uses the VVC (H.266) codec, which this server cannot decode."},
		{"unknown tag", probeJSON("mov", `{"index":0,"codec_type":"video","codec_tag_string":"zzz9","width":640,"height":480}`),
			`The file's video stream uses the "zzz9" codec, which this server cannot decode.`},
		{"unprintable tag", probeJSON("mov", `{"index":0,"codec_name":"none","codec_type":"video","codec_tag_string":"[0][0][0][0]","width":640,"height":480}`),
			"The file's video stream uses a codec this server cannot decode."},
		{"only undecodable audio", probeJSON("mp4", badAudio), "The file's audio stream uses the Dolby AC-4 codec, which this server cannot decode."},
		// CENC: packets carry encryption info.
		{"encrypted", fixture("encrypted"), "The file is encrypted (DRM-protected), so this server cannot decode it."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ffmpeg.ParseProbe(tt.json)
			if code := reel.ErrorCode(err); code != reel.EINVALID {
				t.Fatalf("code = %q (%v), want EINVALID", code, err)
			}
			if msg := reel.ErrorMessage(err); msg != tt.want {
				t.Errorf("message = %q, want %q", msg, tt.want)
			}
		})
	}

	// Malformed JSON is ffprobe's or reel's problem, not the upload's.
	_, err := ffmpeg.ParseProbe([]byte("{"))
	var e *reel.Error
	if err == nil || errors.As(err, &e) {
		t.Errorf("malformed JSON: err = %v, want a plain error", err)
	}
}

func TestParseProbeAudioOnly(t *testing.T) {
	for name, json := range map[string][]byte{
		"file":           nil,
		"with cover art": probeJSON("mp3", audioStream, coverArt),
	} {
		p := loadProbe(t, "audioonly")
		if json != nil {
			var err error
			if p, err = ffmpeg.ParseProbe(json); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if p.HasVideo() || !p.HasAudio() || p.Duration <= 0 {
			t.Errorf("%s: video %v audio %+v duration %v", name, p.HasVideo(), p.Audio, p.Duration)
		}
		if w, h := p.DisplaySize(); w != 0 || h != 0 {
			t.Errorf("%s: DisplaySize %dx%d, want 0x0", name, w, h)
		}
		if rungs := ffmpeg.PlanLadder(p); rungs != nil {
			t.Errorf("%s: video rungs %+v", name, rungs)
		}
	}
}

// TestParseProbeStreams checks what is read of every stream: the video's
// colour and timing, the audio tracks, what is left out.
func TestParseProbeStreams(t *testing.T) {
	hdr := loadProbe(t, "hdr10").Video
	if hdr.ColorTransfer != "smpte2084" || hdr.ColorPrimaries != "bt2020" || hdr.ColorSpace != "bt2020nc" ||
		hdr.ColorRange != "tv" || hdr.BitDepth != 10 || hdr.HDR() != "PQ" {
		t.Errorf("HDR10: %+v", hdr)
	}
	// No bits_per_raw_sample for HEVC: the depth comes from yuv420p10le.
	if hlg := loadProbe(t, "hlg").Video; hlg.HDR() != "HLG" || hlg.BitDepth != 10 {
		t.Errorf("HLG: %+v", hlg)
	}
	if v := loadProbe(t, "prog8s").Video; v.HDR() != "" || v.BitDepth != 8 || v.Interlaced() || v.VariableFrameRate() {
		t.Errorf("plain: %+v", v)
	}
	if v := loadProbe(t, "interlaced").Video; !v.Interlaced() || v.FieldOrder != "tt" {
		t.Errorf("interlaced: %+v", v)
	}
	// VFR: r_frame_rate 30, average 810/43.
	if v := loadProbe(t, "vfr").Video; !v.VariableFrameRate() || v.RFrameRate.String() != "30/1" || v.FrameRate.String() != "810/43" {
		t.Errorf("VFR: %+v", v)
	}
	// An old phone's: r_frame_rate 250 is a time base, the clip is VFR.
	if v := loadProbe(t, "3gp").Video; !v.VariableFrameRate() {
		t.Errorf("3gp: %+v", v)
	}

	// Two audio tracks: the second is marked default.
	p := loadProbe(t, "multiaudio")
	if len(p.AudioTracks) != 2 || p.Audio.Index != 2 || p.Audio.Language != "fra" || p.Audio.Title != "Commentaire" ||
		!p.Audio.Default || p.AudioTracks[0].Language != "eng" || p.AudioTracks[0].Default {
		t.Errorf("audio tracks %+v, picked %+v", p.AudioTracks, p.Audio)
	}
	// The SubRip track is a subtitle rendition; the font is left out.
	want := []ffmpeg.IgnoredStream{{Index: 4, Type: "attachment", Codec: "ttf"}}
	if fmt.Sprint(p.Ignored) != fmt.Sprint(want) {
		t.Errorf("ignored %+v, want %+v", p.Ignored, want)
	}
	if len(p.Subtitles) != 1 || p.Subtitles[0].Index != 3 || p.Subtitles[0].Codec != "subrip" {
		t.Errorf("subtitles %+v", p.Subtitles)
	}
	if a := loadProbe(t, "surround").Audio; a.Channels != 6 || a.ChannelLayout != "5.1" {
		t.Errorf("5.1: %+v", a)
	}
	// Audio ffmpeg cannot decode is left out, and said so.
	p = loadProbe(t, "badaudio")
	if p.HasAudio() || len(p.Ignored) != 1 || !p.Ignored[0].Undecodable || p.Ignored[0].Codec != `"xxxx"` {
		t.Errorf("bad audio: audio %+v ignored %+v", p.Audio, p.Ignored)
	}
	if p := loadProbe(t, "timecode"); len(p.Ignored) != 1 || p.Ignored[0].Type != "data" {
		t.Errorf("timecode: ignored %+v", p.Ignored)
	}

	// Without avg_frame_rate, frames over duration; without both, r_frame_rate.
	p, err := ffmpeg.ParseProbe(probeJSON("mov", `{"index":0,"codec_name":"h264","codec_type":"video","width":64,"height":64,`+
		`"r_frame_rate":"90000/1","avg_frame_rate":"0/0","nb_frames":"250","duration":"10.000000"}`))
	if err != nil || p.Video.FrameRate.Float() != 25 {
		t.Errorf("frames over duration: %+v, %v", p.Video.FrameRate, err)
	}
	// A scaler's near-square pixels are square.
	p, err = ffmpeg.ParseProbe(probeJSON("mov", `{"index":0,"codec_name":"h264","codec_type":"video","width":1081,"height":607,"sample_aspect_ratio":"9712:9729"}`))
	if err != nil || p.Video.SampleAspect != (ffmpeg.Rational{Num: 1, Den: 1}) {
		t.Errorf("near-square: %+v, %v", p.Video.SampleAspect, err)
	}
}

func TestParseProbeSkipsCoverArt(t *testing.T) {
	p, err := ffmpeg.ParseProbe(probeJSON("mov", coverArt, audioStream, videoStream))
	if err != nil {
		t.Fatal(err)
	}
	if p.Video.Index != 0 || p.Video.Codec != "h264" || p.Audio.Index != 1 {
		t.Errorf("got video %+v audio %+v", p.Video, p.Audio)
	}
}

func TestParseRational(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ffmpeg.Rational
		ok   bool
	}{
		{"30000/1001", ffmpeg.Rational{Num: 30000, Den: 1001}, true},
		{"4:3", ffmpeg.Rational{Num: 4, Den: 3}, true},
		{"25", ffmpeg.Rational{Num: 25, Den: 1}, true},
		{"0/0", ffmpeg.Rational{}, false},
		{"N/A", ffmpeg.Rational{}, false},
		{"-1/2", ffmpeg.Rational{}, false},
		{"", ffmpeg.Rational{}, false},
	} {
		got, ok := ffmpeg.ParseRational(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRational(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseProbe feeds ParseProbe arbitrary JSON and checks that whatever
// it accepts can be planned and turned into arguments without surprises.
func FuzzParseProbe(f *testing.F) {
	files, _ := filepath.Glob("testdata/probe_*.json")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add(probeJSON("mov", videoStream, audioStream))
	f.Add(probeJSON("mov", strings.TrimSuffix(videoStream, "}")+`,"sample_aspect_ratio":"64:45","tags":{"rotate":"270"}}`))
	f.Add([]byte(`{"streams":[{"codec_type":"video","codec_name":"x","width":1,"height":16384,"avg_frame_rate":"1000000/1"}],"format":{}}`))
	f.Add(probeJSON("mov", strings.TrimSuffix(videoStream, "}")+`,"field_order":"tt","color_transfer":"smpte2084","r_frame_rate":"120/1","pix_fmt":"yuv420p10le"}`, audioStream, audioStream))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ffmpeg.ParseProbe(data)
		if err != nil {
			return
		}
		if !(p.Duration >= 0) || math.IsInf(p.Duration, 0) {
			t.Fatalf("duration %v", p.Duration)
		}
		plan := ffmpeg.NewPlan(p)
		ffmpeg.Args("in.mp4", "/out", plan)
		for _, w := range plan.Warnings {
			if w.Code == "" || !strings.HasSuffix(w.Message, ".") {
				t.Fatalf("warning %+v", w)
			}
		}
		if !p.HasVideo() {
			if !p.HasAudio() || !plan.AudioOnly || len(plan.Rungs) != 1 {
				t.Fatalf("no video, audio %+v, plan %+v", p.Audio, plan)
			}
			ffmpeg.WaveformArgs("in.mp4", "/out/poster.jpg", plan)
			return
		}
		v := p.Video
		if v.Width < 1 || v.Height < 1 || v.Width > 16384 || v.Height > 16384 {
			t.Fatalf("size %dx%d accepted", v.Width, v.Height)
		}
		if v.Rotation%90 != 0 || v.Rotation < 0 || v.Rotation >= 360 {
			t.Fatalf("rotation %d", v.Rotation)
		}
		dw, dh := p.DisplaySize()
		rungs := plan.Rungs
		if len(rungs) == 0 || len(rungs) > 5 {
			t.Fatalf("%d rungs for %dx%d", len(rungs), dw, dh)
		}
		for _, r := range rungs {
			if r.Width%2 != 0 || r.Height%2 != 0 || r.Width > max(2, dw) || r.Height > max(2, dh) {
				t.Fatalf("rung %+v for a %dx%d source", r, dw, dh)
			}
			if r.MaxRate <= 0 || r.BufSize <= 0 || r.AudioRate <= 0 {
				t.Fatalf("rung %+v", r)
			}
		}
		if fps := plan.FrameRate.Float(); fps < 1 || fps > 60.5 {
			t.Fatalf("output frame rate %v", fps)
		}
		if sb := plan.Storyboard; sb == nil || sb.Interval < 1 || sb.Width < 2 || sb.Height < 2 || max(sb.Width, sb.Height) > 160 {
			t.Fatalf("storyboard %+v", sb)
		}
		w, h := ffmpeg.PosterSize(rungs)
		ffmpeg.PosterArgs("in.mp4", "/out/poster.jpg", plan, 1, w, h)
	})
}

// TestParseProbeSubtitlesPastTheEnd checks that a subtitle cue running
// past the picture does not lengthen the video: Matroska's duration covers
// every track, so the picture's and sound's own durations are taken when a
// subtitle stream is what reaches further. A header that claims more than
// every stream (the over-declared files) keeps its claim.
func TestParseProbeSubtitlesPastTheEnd(t *testing.T) {
	tagged := func(stream, duration string) string {
		return strings.TrimSuffix(stream, "}") + `,"tags":{"DURATION":"` + duration + `"}}`
	}
	subs := func(duration string) string {
		return tagged(`{"index":2,"codec_name":"subrip","codec_type":"subtitle"}`, duration)
	}
	doc := func(format string, streams ...string) []byte {
		return []byte(`{"streams":[` + strings.Join(streams, ",") + `],"format":{"format_name":"matroska,webm","duration":"` + format + `"}}`)
	}
	for _, tt := range []struct {
		name string
		json []byte
		want float64
	}{
		{"a cue to 2 min", doc("120.023", tagged(videoStream, "00:00:05.023000000"), tagged(audioStream, "00:00:05.000000000"), subs("00:02:00.023000000")), 5.023},
		{"stream durations, not tags", doc("120.0", strings.TrimSuffix(videoStream, "}")+`,"duration":"5.5"}`, strings.TrimSuffix(audioStream, "}")+`,"duration":"6"}`,
			`{"index":2,"codec_name":"mov_text","codec_type":"subtitle","duration":"120"}`), 6},
		{"subtitles within", doc("16.0", tagged(videoStream, "00:00:04.000000000"), tagged(audioStream, "00:00:04.000000000"), subs("00:00:03.000000000")), 16},
		{"no subtitles", doc("16.0", tagged(videoStream, "00:00:04.000000000"), tagged(audioStream, "00:00:04.000000000")), 16},
		{"audio's length unknown", doc("120.0", tagged(videoStream, "00:00:05.000000000"), audioStream, subs("00:02:00.000000000")), 120},
		{"a tag that is no time", doc("120.0", tagged(videoStream, "soon"), tagged(audioStream, "00:00:05.000000000"), subs("00:02:00.000000000")), 120},
	} {
		p, err := ffmpeg.ParseProbe(tt.json)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if math.Abs(p.Duration-tt.want) > 1e-9 {
			t.Errorf("%s: duration %v, want %v", tt.name, p.Duration, tt.want)
		}
	}
}
