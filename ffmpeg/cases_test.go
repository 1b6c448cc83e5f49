package ffmpeg_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
	"reel/hls"
	"reel/mediatest"
)

// generate writes a clip made by ffmpeg's lavfi sources and returns its path.
func generate(t testing.TB, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	run(t, "ffmpeg", append(append([]string{"-nostdin", "-v", "error", "-y"}, args...), path)...)
	return path
}

// Sources for generated clips: small and short, to keep the tests fast.
const (
	sine = "sine=frequency=440:sample_rate=48000"
	x264 = "libx264"
)

// TestTranscodeGenerated transcodes the kinds of inputs users upload,
// made with lavfi, and checks each outcome with ffprobe.
func TestTranscodeGenerated(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("transcodes generated clips")
	}
	t.Run("720p 29.97 fps with audio", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		// Three rungs: the conformance checks compare variants.
		input := generate(t, "720p.mp4",
			"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30000/1001", "-f", "lavfi", "-i", sine,
			"-t", "7", "-c:v", x264, "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "360p 640x360, 480p 854x480, 720p 1280x720", true)
		checkCodes(t, o)
		if r := o.res.Renditions[0]; r.FrameRate != 29.97 {
			t.Errorf("frame rate %v, want 29.97", r.FrameRate)
		}
	})
	t.Run("rotated phone clip", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		// Stored landscape with a display matrix, as phones do: the left
		// half white, the right half black. ffmpeg 5.1 writes the matrix
		// from the rotate tag; ffprobe then says rotation 90, which is
		// counterclockwise: upright, the white half is at the bottom.
		landscape := generate(t, "landscape.mp4",
			"-f", "lavfi", "-i", "color=black:size=320x180:rate=10", "-f", "lavfi", "-i", sine, "-t", "2",
			"-vf", "drawbox=x=0:y=0:w=160:h=180:color=white:t=fill", "-c:v", x264, "-preset", "ultrafast", "-c:a", "aac")
		// Only a stream copy keeps the tag: an encode would apply it.
		input := generate(t, "rotated.mp4", "-i", landscape, "-c", "copy", "-metadata:s:v:0", "rotate=90")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		if o.res.Width != 180 || o.res.Height != 320 {
			t.Errorf("source size %dx%d, want 180x320", o.res.Width, o.res.Height)
		}
		checkOutput(t, input, o, "180p 180x320", true)
		checkCodes(t, o, "rotated")
		// Top, bottom, left and right halves of the upright picture.
		top, bottom := luma(t, filepath.Join(o.out, "180p", reel.MediaPlaylist), "crop=iw:ih/2:0:0"), luma(t, filepath.Join(o.out, "180p", reel.MediaPlaylist), "crop=iw:ih/2:0:ih/2")
		if top > 40 || bottom < 200 {
			t.Errorf("luma top %.0f, bottom %.0f: want black above, white below (turned, not squeezed)", top, bottom)
		}
	})
	t.Run("portrait 1080x1920", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		input := generate(t, "portrait.mp4",
			"-f", "lavfi", "-i", "testsrc2=size=1080x1920:rate=10", "-f", "lavfi", "-i", sine, "-t", "2",
			"-c:v", x264, "-preset", "ultrafast", "-c:a", "aac")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "360p 360x640, 480p 480x854, 720p 720x1280, 1080p 1080x1920", true)
		checkCodes(t, o)
	})
	t.Run("variable frame rate", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		// 30 fps with frames 3-6 of every 10 dropped: 18.8 fps on average.
		input := generate(t, "vfr.mp4",
			"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", sine, "-t", "3",
			"-vf", "select='not(between(mod(n,10),3,6))',setpts='N/30/TB+floor(N/6)*4/30/TB'", "-fps_mode", "vfr",
			"-c:v", x264, "-preset", "ultrafast", "-c:a", "aac")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "240p 320x240", true)
		checkCodes(t, o, "variable_frame_rate")
		// Constant 30 fps: every frame lasts the same.
		durations := run(t, "ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=duration",
			"-of", "csv=p=0", filepath.Join(o.out, "240p", reel.MediaPlaylist))
		if d := uniq(strings.Fields(durations)); len(d) != 1 || o.res.Renditions[0].FrameRate != 30 {
			t.Errorf("frame durations %v at %v fps, want one at 30", d, o.res.Renditions[0].FrameRate)
		}
	})
	t.Run("interlaced", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		// Real fields: 50p interlaced into 25i, coded as interlaced.
		input := generate(t, "interlaced.mp4",
			"-f", "lavfi", "-i", "testsrc2=size=352x288:rate=50", "-t", "2",
			"-vf", "interlace=scan=tff,setfield=tff", "-flags", "+ilme+ildct",
			"-c:v", x264, "-preset", "ultrafast", "-pix_fmt", "yuv420p")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "288p 352x288", false)
		checkCodes(t, o, "no_audio", "interlaced")
		if in, out := progressive(t, input), progressive(t, filepath.Join(o.out, "288p", reel.MediaPlaylist)); in > 0.2 || out < 0.8 {
			t.Errorf("frames that look progressive: %.0f %% in the source, %.0f %% out, want none and all", in*100, out*100)
		}
	})
	t.Run("HDR10 PQ 10-bit", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		input := generate(t, "hdr10.mp4",
			"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "2",
			"-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "smpte2084", "-colorspace", "bt2020nc",
			"-c:v", x264, "-preset", "ultrafast")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "180p 320x180", false)
		checkCodes(t, o, "no_audio", "hdr", "high_bit_depth")
		v := probe(t, filepath.Join(o.out, "180p", reel.MediaPlaylist)).Streams[0]
		if v.Transfer != "bt709" || v.Primaries != "bt709" || v.Matrix != "bt709" {
			t.Errorf("output colour %s/%s/%s, want SDR BT.709", v.Transfer, v.Primaries, v.Matrix)
		}
	})
	t.Run("odd 1081x607", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		input := generate(t, "odd.mp4",
			"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=10", "-t", "2",
			"-vf", "scale=1081:607,setsar=1,format=yuv444p", "-c:v", x264, "-preset", "ultrafast")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "360p 640x360, 480p 854x480, 606p 1080x606", false)
		checkCodes(t, o, "no_audio", "odd_dimensions")
	})
	t.Run("120 fps", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		input := generate(t, "120fps.mp4",
			"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=120", "-t", "2", "-c:v", x264, "-preset", "ultrafast")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "180p 320x180", false)
		checkCodes(t, o, "no_audio", "high_frame_rate")
		if fr := o.res.Renditions[0].FrameRate; fr != 60 {
			t.Errorf("frame rate %v, want 60", fr)
		}
	})
	t.Run("5.1 audio", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		input := generate(t, "surround.mp4",
			"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10",
			"-f", "lavfi", "-i", "aevalsrc=sin(440*2*PI*t)|sin(550*2*PI*t)|sin(660*2*PI*t)|0|sin(770*2*PI*t)|sin(880*2*PI*t):c=5.1:s=48000",
			"-t", "2", "-c:v", x264, "-preset", "ultrafast", "-c:a", "aac")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "180p 320x180", true) // checks stereo
		checkCodes(t, o, "surround_audio")
	})
	t.Run("two audio tracks", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		// The first track silent, the second loud and marked default.
		input := generate(t, "tracks.mkv",
			"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-f", "lavfi", "-i", "anullsrc=sample_rate=48000",
			"-f", "lavfi", "-i", sine, "-t", "2", "-map", "0", "-map", "1", "-map", "2",
			"-c:v", x264, "-preset", "ultrafast", "-c:a", "aac", "-metadata:s:a:1", "language=fra",
			"-disposition:a:0", "0", "-disposition:a:1", "default")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "180p 320x180", true)
		checkCodes(t, o, "multiple_audio_tracks")
		// Both tracks are published, the default one marked so, with its
		// language as BCP 47.
		if a := o.res.Renditions[len(o.res.Renditions)-1]; a.Language != "fr" || !a.Default || a.Name != "audio2" {
			t.Errorf("audio rendition %+v, want audio2 in fr, the default", a)
		}
		if db := volume(t, filepath.Join(o.out, "audio2", reel.MediaPlaylist)); db < -30 {
			t.Errorf("mean volume %.1f dB: the silent track, not the default one", db)
		}
	})
	t.Run("audio only in two languages", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		// Italian silent and first, German loud and the default: each a
		// language of the one variant, which plays German.
		input := generate(t, "languages.m4a", "-f", "lavfi", "-i", "anullsrc=sample_rate=48000", "-f", "lavfi", "-i", sine,
			"-t", "3", "-map", "0", "-map", "1", "-c:a", "aac", "-metadata:s:a:0", "language=ita", "-metadata:s:a:1", "language=deu",
			"-disposition:a:0", "0", "-disposition:a:1", "default")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkCodes(t, o, "audio_only", "multiple_audio_tracks")
		var got []string
		for _, r := range o.res.Renditions {
			got = append(got, fmt.Sprintf("%s %s %s %v %s", r.Name, r.Language, r.Label, r.Default, r.Codecs))
		}
		if want := []string{"audio de German true mp4a.40.2", "audio2 it Italian false mp4a.40.2"}; !slices.Equal(got, want) {
			t.Errorf("renditions %q, want %q", got, want)
		}
		if db := volume(t, filepath.Join(o.out, "audio", reel.MediaPlaylist)); db < -30 {
			t.Errorf("mean volume %.1f dB of the default rendition: the silent track, not the German one", db)
		}
		for _, name := range []string{"audio", "audio2"} {
			m, err := hls.Measure(os.DirFS(o.out), name+"/"+reel.MediaPlaylist)
			if err != nil || m.Duration < 2.9 || m.Duration > 3.2 {
				t.Errorf("%s: %+v %v, want 3 s", name, m, err)
			}
		}
		master, err := os.ReadFile(filepath.Join(o.out, reel.MasterPlaylist))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			// The default's media is the variant's: no URI of its own.
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="German",LANGUAGE="de",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2"` + "\n",
			`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Italian",LANGUAGE="it",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio2/index.m3u8"`,
			`,CODECS="mp4a.40.2",AUDIO="audio"` + "\naudio/index.m3u8\n",
		} {
			if !strings.Contains(string(master), want) {
				t.Errorf("master lacks %s:\n%s", want, master)
			}
		}
		if n := strings.Count(string(master), "#EXT-X-STREAM-INF"); n != 1 {
			t.Errorf("%d variants, want 1:\n%s", n, master)
		}
	})
	t.Run("a subtitle track without cues", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		// Two SubRip tracks, the first with every packet dropped: the
		// report names the one converted and why the other was left out,
		// never that each became subtitles.
		srt := filepath.Join(t.TempDir(), "cues.srt")
		if err := os.WriteFile(srt, []byte("1\n00:00:00,500 --> 00:00:01,500\nHello\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		input := generate(t, "subtitles.mkv", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-i", srt, "-i", srt,
			"-t", "2", "-map", "0", "-map", "1", "-map", "2", "-c:v", x264, "-preset", "ultrafast", "-c:s", "srt",
			"-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fre", "-bsf:s:0", "noise=dropamount=1")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkCodes(t, o, "no_audio", "subtitles", "subtitles")
		got := []string{o.res.Warnings[1].Message, o.res.Warnings[2].Message}
		want := []string{"Of the file's text subtitle tracks, 1 became WebVTT subtitles the player offers: French.",
			"Subtitle track 1 (English, subrip) could not be converted and was left out: "}
		if got[0] != want[0] || !strings.HasPrefix(got[1], want[1]) {
			t.Errorf("report %q, want %q", got, want)
		}
	})
	t.Run("audio only with cover art", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		cover := generate(t, "cover.png", "-f", "lavfi", "-i", "color=red:size=300x300", "-frames:v", "1")
		input := generate(t, "song.mp3", "-f", "lavfi", "-i", sine, "-i", cover, "-t", "3",
			"-map", "0", "-map", "1", "-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "audio 0x0", true)
		checkCodes(t, o, "audio_only")
	})
	t.Run("undecodable audio", func(t *testing.T) {
		t.Parallel() // ffmpeg leaves cores idle between its runs
		// An MP4 whose audio sample entry names a codec nobody knows.
		input := patch(t, clip(t), "mp4a", "xxxx", "esds", "xxxx")
		o := transcode(t, input)
		if o.err != nil {
			t.Fatal(o.err)
		}
		checkOutput(t, input, o, "180p 320x180", false)
		checkCodes(t, o, "no_audio", "undecodable_stream")
	})
}

// TestTranscodeRefuses checks that sources that cannot become a video fail
// at once, with a sentence for the uploader and ffmpeg's words for the
// operator, and write no master playlist.
func TestTranscodeRefuses(t *testing.T) {
	needFFmpeg(t)
	text := filepath.Join(t.TempDir(), "notes.mp4")
	if err := os.WriteFile(text, []byte("Shopping list:\n- milk\n- bread\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A truncated upload whose index (moov) was at the end: nothing to read.
	bbb, err := os.ReadFile(mediatest.Path(t, mediatest.Anamorphic))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.mp4")
	if err := os.WriteFile(truncated, bbb[:len(bbb)*30/100], 0o644); err != nil {
		t.Fatal(err)
	}
	// A truncated upload whose index was first ("faststart"): ffmpeg reads
	// the first 3 s and exits 0. reel refuses it rather than publish a
	// third of the video as if it were whole.
	faststart := generate(t, "faststart.mp4", "-i", mediatest.Path(t, mediatest.Anamorphic), "-c", "copy", "-movflags", "+faststart")
	data, err := os.ReadFile(faststart)
	if err != nil {
		t.Fatal(err)
	}
	truncatedFast := filepath.Join(t.TempDir(), "truncated-faststart.mp4")
	if err := os.WriteFile(truncatedFast, data[:len(data)*30/100], 0o644); err != nil {
		t.Fatal(err)
	}
	src := clip(t)
	// VVC: ffmpeg 5.1 knows neither the codec nor its sample entry.
	vvc := patch(t, src, "avc1", "vvc1", "avcC", "vvcC")
	// Common encryption (CENC), as DRM'd downloads have.
	encrypted := generate(t, "encrypted.mp4", "-i", src, "-c", "copy", "-encryption_scheme", "cenc-aes-ctr",
		"-encryption_key", "76a6c65c5ea762046bd749a2e632ccbb", "-encryption_kid", "a7e61c373e219033c21091fa607bf3b8")
	empty := filepath.Join(t.TempDir(), "empty.mov")
	os.WriteFile(empty, nil, 0o644)
	// The container lists a video stream that no frame of decodes: every
	// packet dropped, or every byte of every packet damaged.
	noFrames, damaged := mediatest.Path(t, mediatest.NoVideoFrames), mediatest.Path(t, mediatest.DamagedVideo)
	// Its audio stream is listed, but no frame of it decodes: ffmpeg exits
	// 0 with an empty audio rendition.
	damagedAudio := mediatest.Path(t, mediatest.DamagedAudio)
	// Audio only in two languages, the default one damaged.
	languages := generate(t, "two-languages.mka", "-f", "lavfi", "-i", sine, "-f", "lavfi", "-i", sine, "-t", "3",
		"-map", "0", "-map", "1", "-c:a", "aac", "-disposition:a:0", "default", "-disposition:a:1", "0")
	damagedDefault := generate(t, "two-languages-damaged.mka", "-i", languages, "-map", "0", "-c", "copy", "-bsf:a:0", "noise=amount=1")
	noAudioFrames := generate(t, "no-audio-frames.mkv", "-i", mediatest.Path(t, mediatest.Odd), "-map", "0", "-c", "copy",
		"-bsf:a", "noise=dropamount=1")

	for _, tt := range []struct {
		name, input, want string
		stderr            string // in the *ExitError's stderr
		encodes           bool   // found out only by encoding
	}{
		{"text renamed .mp4", text, "The file is not a video or audio file this server can read.", "Invalid data found", false},
		{"empty file", empty, "The file is not a video or audio file this server can read.", "", false},
		{"truncated, index last", truncated, "The file is incomplete or damaged; upload the complete file again.", "moov atom not found", false},
		{"truncated, index first", truncatedFast, "The file is incomplete or damaged: only", "partial file", true},
		{"VVC", vvc, "The file's video stream uses the VVC (H.266) codec, which this server cannot decode.", "", false},
		{"video stream without frames", noFrames, "The file lists a video stream (H.264) but holds none of its frames", "", true},
		{"damaged video stream", damaged, "The file's video stream (H.264) cannot be decoded: none of the", "", true},
		{"damaged audio stream", damagedAudio, "The file's audio stream (AAC) cannot be decoded: none of the", "", true},
		{"audio only, its default track damaged", damagedDefault, "The file's audio stream (AAC) cannot be decoded: none of the", "", true},
		{"audio stream without frames", noAudioFrames, "The file lists an audio stream (AAC) but holds none of its frames", "", true},
		{"encrypted", encrypted, "The file is encrypted (DRM-protected), so this server cannot decode it.", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := transcode(t, tt.input)
			if code := reel.ErrorCode(o.err); code != reel.EINVALID {
				t.Fatalf("code %q (err %v, result %+v), want EINVALID", code, o.err, o.res)
			}
			msg := reel.ErrorMessage(o.err)
			if !strings.HasPrefix(msg, tt.want) {
				t.Errorf("message %q, want %q", msg, tt.want)
			}
			if !strings.HasPrefix(msg, "The ") || !strings.HasSuffix(msg, ".") {
				t.Errorf("message %q is not a sentence", msg)
			}
			var exit *ffmpeg.ExitError
			if tt.stderr != "" && (!errors.As(o.err, &exit) || !strings.Contains(exit.Stderr, tt.stderr)) {
				t.Errorf("err %v: want an *ExitError whose stderr holds %q", o.err, tt.stderr)
			}
			if _, err := os.Stat(filepath.Join(o.out, reel.MasterPlaylist)); err == nil {
				t.Error("a master playlist was written")
			}
			if len(o.started) > 0 != tt.encodes {
				t.Errorf("encoding started: %v", o.started)
			}
		})
	}
}

// TestTranscodeShorterThanClaimed checks that a source whose header
// claims a longer duration than its frames hold, and which ends cleanly,
// is published as it is, with a warning saying how much was missing;
// while one cut off in the middle of its data is still refused.
func TestTranscodeShorterThanClaimed(t *testing.T) {
	needFFmpeg(t)
	src := generate(t, "whole.mkv", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-f", "lavfi", "-i", sine,
		"-t", "4", "-c:v", x264, "-preset", "ultrafast", "-c:a", "aac")
	input := mediatest.Overclaim(t, src, 3)
	o := transcode(t, input)
	if o.err != nil {
		t.Fatal(o.err)
	}
	checkOutput(t, input, o, "180p 320x180", true)
	checkCodes(t, o, "shorter_than_claimed")
	if d := o.res.Duration; d < 3.5 || d > 4.5 {
		t.Errorf("duration %.2f s, want the 4 s the frames hold", d)
	}
	msg := o.res.Warnings[0].Message
	for _, want := range []string{"claims 12.", "hold only 4.", "8.0 s (66 %) were missing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning %q does not say %q", msg, want)
		}
	}

	// A whole file whose last subtitle cue runs 2 minutes past the
	// picture: Matroska's duration says 2 minutes, and nothing is missing.
	srt := filepath.Join(t.TempDir(), "late.srt")
	if err := os.WriteFile(srt, []byte("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:03,000 --> 00:02:00,000\nThe end\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	late := generate(t, "late-subtitle.mkv", "-i", src, "-i", srt, "-map", "0", "-map", "1", "-c:v", "copy", "-c:a", "copy", "-c:s", "srt")
	if o := transcode(t, late); o.err != nil {
		t.Errorf("late subtitle: %v", o.err)
	} else {
		checkCodes(t, o, "subtitles")
		if d := o.res.Duration; d < 3.5 || d > 4.5 {
			t.Errorf("late subtitle: duration %.2f s, want the 4 s of picture and sound", d)
		}
	}

	// The same header, but the file cut in the middle of a cluster.
	data, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.mkv")
	if err := os.WriteFile(cut, data[:len(data)*6/10], 0o644); err != nil {
		t.Fatal(err)
	}
	o = transcode(t, cut)
	if reel.ErrorCode(o.err) != reel.EINVALID || !strings.HasPrefix(reel.ErrorMessage(o.err), "The file is incomplete or damaged: only") {
		t.Fatalf("cut file: err %v, want EINVALID, incomplete", o.err)
	}
}

// clip returns a 2 s 320x180 H.264 + AAC MP4 to patch.
func clip(t *testing.T) string {
	return generate(t, "clip.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-f", "lavfi", "-i", sine,
		"-t", "2", "-c:v", x264, "-preset", "ultrafast", "-c:a", "aac")
}

// patch copies the MP4 at name with the first box types after "stsd"
// replaced, pairs of old and new, and returns the copy's path.
func patch(t *testing.T, name string, pairs ...string) string {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, []byte("stsd"))
	for i := 0; i < len(pairs) && at >= 0; i += 2 {
		j := bytes.Index(data[at:], []byte(pairs[i]))
		if j < 0 {
			t.Fatalf("%s: no %s after stsd", name, pairs[i])
		}
		copy(data[at+j:], pairs[i+1])
	}
	if at < 0 {
		t.Fatalf("%s: no stsd box", name)
	}
	out := filepath.Join(t.TempDir(), "patched.mp4")
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// luma returns the mean luma (0-255) of the first frame of input after
// the crop filter.
func luma(t *testing.T, input, crop string) float64 {
	out := run(t, "ffmpeg", "-nostdin", "-v", "error", "-i", input, "-frames:v", "1",
		"-vf", crop+",scale=1:1:flags=area,format=gray", "-f", "rawvideo", "-")
	if len(out) != 1 {
		t.Fatalf("%d bytes of luma", len(out))
	}
	return float64(out[0])
}

var idetLine = regexp.MustCompile(`Multi frame detection: TFF:\s*(\d+) BFF:\s*(\d+) Progressive:\s*(\d+) Undetermined:\s*(\d+)`)

// progressive returns the share of input's frames that ffmpeg's idet
// filter finds progressive.
func progressive(t *testing.T, input string) float64 {
	out, _ := execOutput("ffmpeg", "-nostdin", "-i", input, "-map", "0:v", "-vf", "idet", "-f", "null", "-")
	m := idetLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no idet result in\n%s", out)
	}
	n := []float64{}
	for _, s := range m[1:] {
		v, _ := strconv.ParseFloat(s, 64)
		n = append(n, v)
	}
	return n[2] / max(1, n[0]+n[1]+n[2]+n[3])
}

var meanVolume = regexp.MustCompile(`mean_volume: (-?[0-9.]+|-inf) dB`)

// volume returns the mean volume of input's audio, in dB.
func volume(t *testing.T, input string) float64 {
	out, _ := execOutput("ffmpeg", "-nostdin", "-i", input, "-map", "0:a", "-af", "volumedetect", "-f", "null", "-")
	m := meanVolume.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no volume in\n%s", out)
	}
	if m[1] == "-inf" {
		return math.Inf(-1)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// execOutput runs a command and returns what it wrote on stdout and stderr.
func execOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
