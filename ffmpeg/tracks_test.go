package ffmpeg_test

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
)

// toneLevel returns the mean volume, in dB, of the audio of a playlist
// within 40 Hz of freq: which of the generated tones a rendition holds.
func toneLevel(t *testing.T, playlist string, freq int) float64 {
	t.Helper()
	out, _ := execOutput("ffmpeg", "-nostdin", "-i", playlist, "-map", "0:a",
		"-af", "bandpass=f="+strconv.Itoa(freq)+":width_type=h:w=40,volumedetect", "-f", "null", "-")
	m := meanVolume.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no volume in\n%s", out)
	}
	if m[1] == "-inf" {
		return -200
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestTranscodeAudioLanguages transcodes Matroska and MP4 sources with
// several audio languages, a default, a commentary and an untagged
// track, each a tone of its own, and checks the master's audio group and
// that each rendition plays its own track.
func TestTranscodeAudioLanguages(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("transcodes generated clips")
	}
	tone := func(f int) string { return "sine=frequency=" + strconv.Itoa(f) + ":sample_rate=48000" }
	for _, tt := range []struct {
		name, file string
		args       []string
		master     []string // the EXT-X-MEDIA lines, in order
		tones      map[string]int
	}{{
		name: "matroska", file: "tracks.mkv",
		args: []string{
			"-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
			"-metadata:s:a:2", "language=eng", "-metadata:s:a:2", "title=Director's commentary",
			"-disposition:a:0", "0", "-disposition:a:1", "default", "-disposition:a:2", "comment",
			"-disposition:a:3", "0",
		},
		master: []string{
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"`,
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="French",LANGUAGE="fr",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio2/index.m3u8"`,
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English (commentary)",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=NO,CHANNELS="2",URI="audio3/index.m3u8"`,
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio 4",DEFAULT=NO,AUTOSELECT=NO,CHANNELS="2",URI="audio4/index.m3u8"`,
		},
		tones: map[string]int{"audio": 300, "audio2": 800, "audio3": 1800, "audio4": 4000},
	}, {
		name: "mp4", file: "tracks.mp4",
		args: []string{
			"-metadata:s:a:0", "language=kor", "-metadata:s:a:1", "language=eng",
			"-metadata:s:a:2", "language=eng", "-metadata:s:a:3", "language=und",
			"-disposition:a:0", "default", "-disposition:a:1", "0", "-disposition:a:2", "visual_impaired",
			"-disposition:a:3", "0",
		},
		master: []string{
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Korean",LANGUAGE="ko",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"`,
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio2/index.m3u8"`,
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English (audio description)",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,CHARACTERISTICS="public.accessibility.describes-video",CHANNELS="2",URI="audio3/index.m3u8"`,
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio 4",DEFAULT=NO,AUTOSELECT=NO,CHANNELS="2",URI="audio4/index.m3u8"`,
		},
		tones: map[string]int{"audio": 300, "audio2": 800, "audio3": 1800, "audio4": 4000},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // ffmpeg leaves cores idle between its runs
			args := []string{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10"}
			for _, f := range []int{300, 800, 1800, 4000} {
				args = append(args, "-f", "lavfi", "-i", tone(f))
			}
			args = append(args, "-t", "3", "-map", "0", "-map", "1", "-map", "2", "-map", "3", "-map", "4",
				"-c:v", x264, "-preset", "ultrafast", "-c:a", "aac")
			input := generate(t, tt.file, append(args, tt.args...)...)
			o := transcode(t, input)
			if o.err != nil {
				t.Fatal(o.err)
			}
			checkOutput(t, input, o, "180p 320x180", true)
			checkCodes(t, o, "multiple_audio_tracks")
			master, err := os.ReadFile(filepath.Join(o.out, reel.MasterPlaylist))
			if err != nil {
				t.Fatal(err)
			}
			var media []string
			for _, line := range strings.Split(string(master), "\n") {
				if strings.HasPrefix(line, "#EXT-X-MEDIA:") {
					media = append(media, line)
				}
			}
			if strings.Join(media, "\n") != strings.Join(tt.master, "\n") {
				t.Errorf("master's audio group:\n%s\nwant\n%s", strings.Join(media, "\n"), strings.Join(tt.master, "\n"))
			}
			// Each rendition holds its own track's tone, loud, and not the others'.
			for name, f := range tt.tones {
				pl := filepath.Join(o.out, name, reel.MediaPlaylist)
				own := toneLevel(t, pl, f)
				for _, g := range tt.tones {
					if other := toneLevel(t, pl, g); g != f && (own < -40 || own-other < 20) {
						t.Errorf("%s: %d Hz at %.1f dB, %d Hz at %.1f dB", name, f, own, g, other)
					}
				}
			}
			if msg := o.res.Warnings[0].Message; !strings.Contains(msg, "4 audio tracks; each was kept") {
				t.Errorf("report %q", msg)
			}
		})
	}
}

// TestTranscodeAudioOnlyLanguages transcodes Matroska audio (MKA) and
// M4A sources with no video and three audio tracks, each a tone of its
// own: English, French (the default) and an English commentary or
// description. Each becomes a rendition of the audio group, as a video's
// tracks do, and the master's one variant plays the default's
// playlist, audio/.
func TestTranscodeAudioOnlyLanguages(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("transcodes generated clips")
	}
	tone := func(f int) string { return "sine=frequency=" + strconv.Itoa(f) + ":sample_rate=48000" }
	group := func(third string) []string {
		return []string{
			// The default's media is the variant's: no URI of its own.
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="French",LANGUAGE="fr",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2"`,
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio2/index.m3u8"`,
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",` + third + `CHANNELS="2",URI="audio3/index.m3u8"`,
		}
	}
	// The default first, then the others in the file's order.
	tones := map[string]int{"audio": 800, "audio2": 300, "audio3": 1800}
	for _, tt := range []struct {
		name, file string
		args       []string // the third track's metadata and codec
		master     []string // the EXT-X-MEDIA lines, in order
		kept       string   // the report's list
	}{{
		name: "matroska", file: "tracks.mka",
		args:   []string{"-metadata:s:a:2", "title=Commentary", "-disposition:a:2", "comment", "-c:a", "libopus"},
		master: group(`NAME="English (commentary)",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=NO,`),
		kept:   `English (eng); French (fre, the default); English (commentary) (eng, "Commentary")`,
	}, {
		// MP4 keeps no commentary disposition: an audio description. The
		// ipod muxer, ffmpeg's for .m4a, keeps none, hence mp4's.
		name: "m4a", file: "tracks.m4a",
		args:   []string{"-disposition:a:2", "visual_impaired", "-c:a", "aac", "-f", "mp4"},
		master: group(`NAME="English (audio description)",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,CHARACTERISTICS="public.accessibility.describes-video",`),
		kept:   `English (eng); French (fre, the default); English (audio description) (eng)`,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // ffmpeg leaves cores idle between its runs
			var args []string
			for _, f := range []int{300, 800, 1800} {
				args = append(args, "-f", "lavfi", "-i", tone(f))
			}
			args = append(args, "-t", "8", "-map", "0", "-map", "1", "-map", "2",
				"-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre", "-metadata:s:a:2", "language=eng",
				"-disposition:a:0", "0", "-disposition:a:1", "default")
			args = append(args, tt.args...)
			input := generate(t, tt.file, args...)
			o := transcode(t, input)
			if o.err != nil {
				t.Fatal(o.err)
			}
			checkOutput(t, input, o, "audio 0x0, audio2 0x0, audio3 0x0", true)
			checkCodes(t, o, "audio_only", "multiple_audio_tracks")
			data, err := os.ReadFile(filepath.Join(o.out, reel.MasterPlaylist))
			if err != nil {
				t.Fatal(err)
			}
			var media []string
			for _, line := range strings.Split(string(data), "\n") {
				if strings.HasPrefix(line, "#EXT-X-MEDIA:") {
					media = append(media, line)
				}
			}
			if strings.Join(media, "\n") != strings.Join(tt.master, "\n") {
				t.Errorf("master's audio group:\n%s\nwant\n%s", strings.Join(media, "\n"), strings.Join(tt.master, "\n"))
			}
			if n := strings.Count(string(data), "#EXT-X-STREAM-INF:"); n != 1 || !strings.Contains(string(data), `AUDIO="audio"`+"\naudio/index.m3u8\n") {
				t.Errorf("want one variant, the default's, naming the group:\n%s", data)
			}
			// Each rendition holds its own track's tone, loud, and not the others'.
			for name, f := range tones {
				pl := filepath.Join(o.out, name, reel.MediaPlaylist)
				own := toneLevel(t, pl, f)
				for _, g := range tones {
					if other := toneLevel(t, pl, g); g != f && (own < -40 || own-other < 20) {
						t.Errorf("%s: %d Hz at %.1f dB, %d Hz at %.1f dB", name, f, own, g, other)
					}
				}
			}
			want := "The file has 3 audio tracks; each was kept as a language the player offers: " + tt.kept + "."
			if msg := o.res.Warnings[1].Message; msg != want {
				t.Errorf("report %q\nwant   %q", msg, want)
			}
		})
	}
}

// TestTranscodeSubtitles transcodes Matroska (SubRip and ASS) and MP4
// (mov_text) sources with text subtitle tracks and checks the WebVTT
// renditions: in the master with their languages, cut into segments on
// the video's grid, each cue in the segments it is shown in.
func TestTranscodeSubtitles(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("transcodes generated clips")
	}
	dir := t.TempDir()
	srt := filepath.Join(dir, "en.srt")
	ass := filepath.Join(dir, "fr.ass")
	if err := os.WriteFile(srt, []byte("1\n00:00:01,000 --> 00:00:02,000\nHello from <i>SubRip</i> & co\n\n"+
		"2\n00:00:05,500 --> 00:00:07,000\nAcross the boundary\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ass, []byte("[Script Info]\nScriptType: v4.00+\nPlayResX: 320\nPlayResY: 180\n\n"+
		"[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"+
		"Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1\n\n"+
		"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"+
		"Dialogue: 0,0:00:08.00,0:00:09.50,Default,,0,0,0,,{\\i1}Bonjour{\\i0} depuis ASS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	video := []string{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-f", "lavfi", "-i", sine}
	for _, tt := range []struct {
		name, file string
		args       []string
		master     []string
		cues       map[string]string // folder/segment → a text it holds
	}{{
		name: "matroska", file: "subs.mkv",
		args: []string{"-i", srt, "-i", ass, "-t", "10", "-map", "0", "-map", "1", "-map", "2", "-map", "3",
			"-c:v", x264, "-preset", "ultrafast", "-c:a", "aac", "-c:s:0", "srt", "-c:s:1", "ass",
			"-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fre", "-disposition:s:1", "forced"},
		master: []string{
			`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="subs1/index.m3u8"`,
			`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="French (forced)",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,FORCED=YES,URI="subs2/index.m3u8"`,
		},
		cues: map[string]string{
			"subs1/seg_00000.vtt": "Hello from <i>SubRip</i> &amp; co\n",
			"subs1/seg_00001.vtt": "Across the boundary\n",
			"subs2/seg_00001.vtt": "<i>Bonjour</i> depuis ASS",
		},
	}, {
		name: "mp4", file: "subs.mp4",
		args: []string{"-i", srt, "-t", "10", "-map", "0", "-map", "1", "-map", "2",
			"-c:v", x264, "-preset", "ultrafast", "-c:a", "aac", "-c:s", "mov_text", "-metadata:s:s:0", "language=kor"},
		master: []string{
			`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Korean",LANGUAGE="ko",DEFAULT=NO,AUTOSELECT=YES,URI="subs1/index.m3u8"`,
		},
		cues: map[string]string{
			"subs1/seg_00000.vtt": "Hello from",
			"subs1/seg_00001.vtt": "Across the boundary",
		},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // ffmpeg leaves cores idle between its runs
			input := generate(t, tt.file, append(append([]string(nil), video...), tt.args...)...)
			o := transcode(t, input)
			if o.err != nil {
				t.Fatal(o.err)
			}
			checkOutput(t, input, o, "180p 320x180", true)
			checkCodes(t, o, "subtitles")
			master, err := os.ReadFile(filepath.Join(o.out, reel.MasterPlaylist))
			if err != nil {
				t.Fatal(err)
			}
			var media []string
			for _, line := range strings.Split(string(master), "\n") {
				if strings.HasPrefix(line, "#EXT-X-MEDIA:TYPE=SUBTITLES") {
					media = append(media, line)
				}
			}
			if strings.Join(media, "\n") != strings.Join(tt.master, "\n") || !strings.Contains(string(master), `AUDIO="audio",SUBTITLES="subs"`) {
				t.Errorf("master:\n%s\nwant\n%s", master, strings.Join(tt.master, "\n"))
			}
			// Cue time 0 where the video presents its first frame.
			header := timestampMap(t, o.out, "180p")
			for file, text := range tt.cues {
				data, err := os.ReadFile(filepath.Join(o.out, file))
				if err != nil || !strings.HasPrefix(string(data), header) || !strings.Contains(string(data), text) {
					t.Errorf("%s (%v):\n%s\nwant %q", file, err, data, text)
				}
			}
			pl, err := os.ReadFile(filepath.Join(o.out, "subs1", reel.MediaPlaylist))
			if err != nil || !strings.Contains(string(pl), "#EXTINF:6.000,\nseg_00000.vtt\n#EXTINF:4.0") || !strings.HasSuffix(string(pl), ",\nseg_00001.vtt\n#EXT-X-ENDLIST\n") {
				t.Errorf("subtitle playlist (%v):\n%s", err, pl)
			}
			if _, err := os.Stat(filepath.Join(o.out, ".subtitle-0.vtt")); err == nil {
				t.Error("the raw subtitle file is left in the outputs")
			}
			// The map's MPEGTS is every rendition's start: each video
			// rendition's first fragment decodes there, which hls.js
			// takes as its initPTS, and presents its first frame there;
			// the audio starts within a frame (0.1 s) of it.
			for _, r := range o.res.Renditions {
				f := firstFragment(t, filepath.Join(o.out, r.Name))
				ts := header[len("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:"):strings.IndexByte(header, ',')]
				at, _ := strconv.ParseFloat(ts, 64)
				at /= 90000
				if !r.IsAudio() && (math.Abs(f.decode-at) > 1e-3 || math.Abs(f.start-at) > 1e-3) {
					t.Errorf("%s decodes from %.4f s and presents from %.4f s, not the %.4f s of the subtitles' X-TIMESTAMP-MAP", r.Name, f.decode, f.start, at)
				}
				if math.Abs(f.start-at) > 0.1 {
					t.Errorf("%s starts at %.4f s, not the %.4f s of the subtitles' X-TIMESTAMP-MAP", r.Name, f.start, at)
				}
			}
		})
	}
}

// TestSubtitleTracksReported checks what the report says of text and
// image-based subtitle tracks, and that only text ones are planned.
func TestSubtitleTracksReported(t *testing.T) {
	p, err := ffmpeg.ParseProbe(probeJSON("matroska,webm", videoStream, audioStream,
		`{"index":2,"codec_name":"subrip","codec_type":"subtitle","tags":{"language":"ger"}}`,
		`{"index":3,"codec_name":"hdmv_pgs_subtitle","codec_type":"subtitle","tags":{"language":"eng"}}`,
		`{"index":4,"codec_name":"ass","codec_type":"subtitle","disposition":{"forced":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	plan := ffmpeg.NewPlan(p)
	if len(plan.Subtitles) != 2 || plan.Subtitles[0].Index != 2 || plan.Subtitles[1].Index != 4 || !plan.Subtitles[1].Forced {
		t.Errorf("planned subtitles %+v", plan.Subtitles)
	}
	var got []string
	for _, w := range plan.Warnings {
		got = append(got, w.Code+": "+w.Message)
	}
	want := []string{
		"subtitles: The file has 2 text subtitle tracks; each became WebVTT subtitles the player offers: German (subrip); Subtitles 2 (forced) (ass).",
		"image_subtitles: A subtitle track (PGS) is made of pictures, not text, so it was not converted; upload its text as captions instead.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("report\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	args := strings.Join(ffmpeg.SubtitleArgs("/in.mkv", "/out", plan), " ")
	if !strings.Contains(args, "-map 0:2 -map_metadata -1 -map_chapters -1 -c:s webvtt -f webvtt /out/.subtitle-0.vtt -map 0:4 ") {
		t.Errorf("args %s", args)
	}
}
