package ffmpeg_test

import (
	"slices"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
)

func codes(ws []reel.MediaWarning) []string {
	var cs []string
	for _, w := range ws {
		cs = append(cs, w.Code)
	}
	return cs
}

// TestMediaReport checks the report of every fixture: its codes in order,
// and the sentence of the finding the fixture is about.
func TestMediaReport(t *testing.T) {
	for _, tt := range []struct {
		fixture string
		codes   []string
		message string // of the last warning
	}{
		{"prog8s", nil, ""},
		{"webm", nil, ""},
		{"audioonly", []string{"audio_only"},
			"The file has no video, so it was published as audio only, with a picture of its waveform as the poster."},
		{"hevc", []string{"no_audio"}, "The video has no sound track, so it plays silently."},
		{"3gp", []string{"variable_frame_rate", "non_square_pixels"},
			"The video has non-square pixels (sample aspect ratio 12:11); they were made square, so it shows at its intended 192x144."},
		{"vfr", []string{"no_audio", "variable_frame_rate"},
			"The video has a variable frame rate (18.84 fps on average), as phones record; it was converted to a constant 30 fps so that it plays smoothly."},
		{"hdr10", []string{"no_audio", "hdr", "high_bit_depth"},
			"The video has 10-bit colour; it was converted to 8-bit, which every device plays."},
		{"hlg", []string{"no_audio", "hdr", "high_bit_depth"}, ""},
		{"rotated", []string{"rotated"},
			"The video is stored with a rotation of 90° counterclockwise, as phones record; the rotation was applied, so it plays upright at 360x640."},
		{"interlaced", []string{"no_audio", "interlaced"},
			"The video is interlaced; it was deinterlaced so that moving edges do not show comb lines."},
		{"odd", []string{"no_audio", "odd_dimensions"},
			"The picture is 1081x607, an odd size, which video encoders cannot take; it was scaled to even sizes (1080x606 at most)."},
		{"bbb", []string{"non_square_pixels"}, ""},
		{"hfr", []string{"no_audio", "high_frame_rate"},
			"The video runs at 120 fps; it was converted to 60 fps, the most that players and TVs expect."},
		{"multiaudio", []string{"multiple_audio_tracks", "subtitles", "undecodable_stream"},
			"The file also holds an attachment, which was left out: only one video track and the audio tracks are published."},
		{"surround", []string{"surround_audio"},
			"The sound is surround (5.1); it was mixed down to stereo, which every device plays."},
		{"badaudio", []string{"no_audio", "undecodable_stream"},
			`An audio track uses the "xxxx" codec, which this server cannot decode; it was left out.`},
		{"timecode", []string{"no_audio", "undecodable_stream"},
			"The file also holds a data stream, which was left out: only one video track and the audio tracks are published."},
		{"portrait", nil, ""},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			ws := ffmpeg.MediaReport(loadProbe(t, tt.fixture))
			if ws == nil {
				t.Error("nil report; want an empty one")
			}
			if got := codes(ws); !slices.Equal(got, tt.codes) {
				t.Fatalf("codes %v, want %v", got, tt.codes)
			}
			if tt.message != "" && ws[len(ws)-1].Message != tt.message {
				t.Errorf("message\n%q, want\n%q", ws[len(ws)-1].Message, tt.message)
			}
			for _, w := range ws {
				if !strings.HasPrefix(w.Message, "The ") && !strings.HasPrefix(w.Message, "An ") && !strings.HasPrefix(w.Message, "None ") ||
					!strings.HasSuffix(w.Message, ".") {
					t.Errorf("%s: %q is not a sentence", w.Code, w.Message)
				}
			}
		})
	}
}

func TestMediaReportAudioTracks(t *testing.T) {
	p := loadProbe(t, "multiaudio")
	ws := ffmpeg.MediaReport(p)
	want := `The file has 2 audio tracks; each was kept as a language the player offers: English (eng); French (fra, "Commentaire", the default).`
	if ws[0].Message != want {
		t.Errorf("got  %q\nwant %q", ws[0].Message, want)
	}

	// Without a default, the first is used; labels only say what is known.
	for i := range p.AudioTracks {
		p.AudioTracks[i].Default = false
	}
	p.Audio = &p.AudioTracks[0]
	want = "The file has 2 audio tracks; each was kept as a language the player offers: English (eng, the default); French (fra, \"Commentaire\")."
	if ws := ffmpeg.MediaReport(p); ws[0].Message != want {
		t.Errorf("got  %q\nwant %q", ws[0].Message, want)
	}
}

func TestMediaReportRotation(t *testing.T) {
	for rot, want := range map[int]string{
		90:  "The video is stored with a rotation of 90° clockwise, as phones record; the rotation was applied, so it plays upright at 1080x1920.",
		180: "The video is stored with a rotation of 180°, as phones record; the rotation was applied, so it plays upright at 1920x1080.",
	} {
		p := source(1920, 1080, "30/1")
		p.Video.Rotation = rot
		if ws := ffmpeg.MediaReport(p); len(ws) != 1 || ws[0].Message != want {
			t.Errorf("%d°: %+v, want %q", rot, ws, want)
		}
	}
}
