package ffmpeg_test

import (
	"fmt"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
)

// TestNewPlan checks the decisions for every kind of source, from probe
// fixtures: what is encoded, at what rate, through which filters.
func TestNewPlan(t *testing.T) {
	for _, tt := range []struct {
		fixture   string
		rungs     string // "name WxH, ..."
		fps       string
		deint     bool
		toneMap   bool
		audio     int    // index of the audio stream mapped; -1 for none
		thumbs    string // storyboard "every Ns WxH"; "" for none
		audioOnly bool
	}{
		{"prog8s", "360p 640x360", "30/1", false, false, 0, "every 1s 160x90", false},
		// Anamorphic 4:3 pixels: square pixels at 16:9.
		{"bbb", "240p 426x240", "24/1", false, false, 1, "every 1s 160x90", false},
		// A phone's upright video: portrait rungs and thumbnails.
		{"rotated", "360p 360x640", "30/1", false, false, 1, "every 1s 90x160", false},
		{"portrait", "360p 360x640, 480p 480x854, 720p 720x1280, 1080p 1080x1920", "30/1", false, false, 1, "every 1s 90x160", false},
		// Variable frame rate: constant at the nominal rate.
		{"vfr", "360p 640x360", "30/1", false, false, -1, "every 1s 160x90", false},
		{"3gp", "144p 192x144", "15/1", false, false, 1, "every 1s 160x120", false},
		// 120 fps: halved to 60.
		{"hfr", "360p 640x360", "60/1", false, false, -1, "every 1s 160x90", false},
		{"interlaced", "360p 450x360, 480p 600x480, 576p 720x576", "25/1", true, false, -1, "every 1s 160x128", false},
		{"hdr10", "360p 640x360", "25/1", false, true, -1, "every 1s 160x90", false},
		{"hlg", "360p 640x360", "25/1", false, true, -1, "every 1s 160x90", false},
		// Odd: even sizes, never a pixel above the source.
		{"odd", "360p 640x360, 480p 854x480, 606p 1080x606", "10/1", false, false, -1, "every 1s 160x90", false},
		// The default track, the second.
		{"multiaudio", "360p 640x360", "25/1", false, false, 2, "every 1s 160x90", false},
		{"surround", "360p 640x360", "25/1", false, false, 1, "every 1s 160x90", false},
		// Undecodable audio: silent video.
		{"badaudio", "360p 640x360", "30/1", false, false, -1, "every 1s 160x90", false},
		// 45 s: still one per second.
		{"webm", "270p 480x270", "30/1", false, false, 1, "every 1s 160x90", false},
		{"audioonly", "audio 0x0", "0/0", false, false, 0, "", true},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			plan := ffmpeg.NewPlan(loadProbe(t, tt.fixture))
			var got []string
			for _, r := range plan.Rungs {
				got = append(got, fmt.Sprintf("%s %dx%d", r.Name, r.Width, r.Height))
			}
			if s := strings.Join(got, ", "); s != tt.rungs {
				t.Errorf("rungs %s, want %s", s, tt.rungs)
			}
			if plan.FrameRate.String() != tt.fps || plan.Deinterlace != tt.deint || plan.ToneMap != tt.toneMap || plan.AudioOnly != tt.audioOnly {
				t.Errorf("fps %s deinterlace %v tone map %v audio only %v; want %s %v %v %v",
					plan.FrameRate, plan.Deinterlace, plan.ToneMap, plan.AudioOnly, tt.fps, tt.deint, tt.toneMap, tt.audioOnly)
			}
			audio := -1
			if plan.Probe.Audio != nil {
				audio = plan.Probe.Audio.Index
			}
			if audio != tt.audio {
				t.Errorf("audio stream %d, want %d", audio, tt.audio)
			}
			thumbs := ""
			if sb := plan.Storyboard; sb != nil {
				thumbs = fmt.Sprintf("every %ds %dx%d", sb.Interval, sb.Width, sb.Height)
			}
			if thumbs != tt.thumbs {
				t.Errorf("storyboard %q, want %q", thumbs, tt.thumbs)
			}
			if len(plan.Warnings) != len(ffmpeg.MediaReport(plan.Probe)) {
				t.Errorf("warnings %v", plan.Warnings)
			}
		})
	}
}

func TestPlanRenditions(t *testing.T) {
	got := ffmpeg.NewPlan(source(1280, 720, "30000/1001")).Renditions()
	want := []reel.Rendition{
		// Every rung plays the one audio rendition, at the top rung's rate.
		{Name: "360p", Width: 640, Height: 360, Bandwidth: 928_000, FrameRate: 29.97},
		{Name: "480p", Width: 854, Height: 480, Bandwidth: 1_528_000, FrameRate: 29.97},
		{Name: "720p", Width: 1280, Height: 720, Bandwidth: 2_928_000, FrameRate: 29.97},
		{Name: "audio", Bandwidth: 128_000, Channels: 2, Label: "Audio 1", Default: true, AutoSelect: true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	audio := ffmpeg.NewPlan(loadProbe(t, "audioonly")).Renditions()
	if len(audio) != 1 || audio[0] != (reel.Rendition{Name: "audio", Bandwidth: 128_000, Channels: 2, Language: "en", Label: "English", Default: true, AutoSelect: true}) {
		t.Errorf("audio only: %+v", audio)
	}
	silent := ffmpeg.NewPlan(loadProbe(t, "hevc")).Renditions()
	if silent[0].Bandwidth != 1_200_000 {
		t.Errorf("no audio: %+v, want the video cap alone", silent[0])
	}
}

// TestPlanAudioTracks checks that every audio track becomes a rendition
// with its BCP 47 language, a name, one default and its role.
func TestPlanAudioTracks(t *testing.T) {
	p := source(1280, 720, "25")
	p.AudioTracks = []ffmpeg.AudioStream{
		{Index: 1, Codec: "aac", Channels: 2, Language: "eng"},
		{Index: 2, Codec: "ac3", Channels: 6, Language: "ger", Default: true},
		{Index: 3, Codec: "aac", Channels: 2, Language: "eng", Commentary: true},
		{Index: 4, Codec: "aac", Channels: 2, Language: "kor", Descriptive: true},
		{Index: 5, Codec: "mp3", Channels: 1},
	}
	p.Audio = &p.AudioTracks[1]
	plan := ffmpeg.NewPlan(p)
	var got []string
	for _, r := range plan.Renditions() {
		if r.IsAudio() {
			got = append(got, fmt.Sprintf("%s %q %q default=%v auto=%v %q", r.Name, r.Language, r.Label, r.Default, r.AutoSelect, r.Characteristics))
		}
	}
	want := []string{
		`audio "en" "English" default=false auto=true ""`,
		`audio2 "de" "German" default=true auto=true ""`,
		`audio3 "en" "English (commentary)" default=false auto=false ""`,
		`audio4 "ko" "Korean (audio description)" default=false auto=true "public.accessibility.describes-video"`,
		`audio5 "" "Audio 5" default=false auto=false ""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	args := strings.Join(ffmpeg.Args("/in.mkv", "/out", plan), " ")
	for _, w := range []string{"-map 0:1 -map 0:2 -map 0:3 -map 0:4 -map 0:5 ", "a:0,name:audio a:1,name:audio2 a:2,name:audio3 a:3,name:audio4 a:4,name:audio5 "} {
		if !strings.Contains(args, w) {
			t.Errorf("args lack %q: %s", w, args)
		}
	}

	// A file listing more tracks than are worth encoding keeps the first.
	p.AudioTracks = nil
	for i := range 12 {
		p.AudioTracks = append(p.AudioTracks, ffmpeg.AudioStream{Index: i + 1, Codec: "aac", Channels: 2})
	}
	p.Audio = &p.AudioTracks[0]
	if plan := ffmpeg.NewPlan(p); len(plan.Audio) != ffmpeg.MaxAudioTracks {
		t.Errorf("%d audio renditions of 12 tracks", len(plan.Audio))
	}
	if ws := ffmpeg.MediaReport(p); !strings.Contains(ws[0].Message, "Tracks 9 to 12 were left out") {
		t.Errorf("report %+v", ws)
	}
}
