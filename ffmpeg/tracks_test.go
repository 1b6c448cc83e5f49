package ffmpeg_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"reel"
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
