// Package mediatest gives tests their input clips, so that the repository
// needs nothing beside it: each kind of clip users upload is made by
// ffmpeg's lavfi sources (test patterns and tones) the first time a test
// asks for it, and kept in a cache folder for later tests and runs. The
// one kind ffmpeg cannot make, an old phone's H.263 + AMR-NB clip (Debian's
// ffmpeg decodes AMR but has no AMR encoder), is a small real clip kept in
// testdata/ (see its README for origin and licence).
//
// The cache is os.UserCacheDir()/reel-test-media (or REEL_TEST_CACHE).
// A file's name holds a hash of the ffmpeg version and arguments that made
// it, so a changed recipe or ffmpeg makes a new file. Files are written
// under a temp name and renamed, so test binaries of several packages
// running at once never read a half-written clip.
//
// Extra real clips: REEL_TEST_MEDIA may name a folder of other clips that
// tests run in addition to the generated ones (CI points it at a folder
// of public real-world clips when it has one). It is never required.
package mediatest

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the phone clip
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The kinds of clip, by file name. Each comment says what the clip is and
// why tests want it.
const (
	// Anamorphic is H.264 + AAC in MP4, 320x240 pixels shown at 16:9
	// (sample aspect 4:3), 24 fps, 10 s, about 400 kB.
	Anamorphic = "anamorphic.mp4"
	// AudioFirst is H.264 + AAC in MP4, 640x360, 30 fps, 8 s, with the
	// audio track first and the video second.
	AudioFirst = "audio-first.mp4"
	// WebM is VP8 + Vorbis in WebM, 480x270, 30 fps, 6 s.
	WebM = "vp8-vorbis.webm"
	// Phone is an old phone's clip: H.263 + AMR-NB in 3GP, 176x144 with
	// 12:11 pixels, variable frame rate (14.8 fps on average), 15.2 s. Real
	// footage, from testdata/.
	Phone = "phone.3gp"
	// Camera is camera-like footage (a moving pattern under film grain, so
	// it compresses like a camera's): H.264 + AAC, 768x432 at 12.5 fps,
	// 30 s, a few MB. Long enough to be caught mid-transcode.
	Camera = "camera.mp4"
	// HEVC is HEVC (libx265) 1920x1080 at 50 fps, 1 s, no audio: the full
	// ladder.
	HEVC = "hevc-1080p50.mp4"
	// HEVC720 is HEVC 1280x720 at 23.976 fps, 4 s, no audio.
	HEVC720 = "hevc-720p.mp4"
	// AudioOnly is AAC alone in an M4A file, 8 s: no video stream at all.
	AudioOnly = "audio-only.m4a"
	// Matroska is H.264 in Matroska, 640x480, 30 fps, 4 s, no audio.
	Matroska = "h264.mkv"
	// Odd is H.264 + AAC, 318x180 (not a multiple of 4 or 16), 25 fps, 3 s.
	Odd = "odd-318x180.mp4"
	// DamagedVideo is Odd remuxed into Matroska with every byte of every
	// video packet damaged: the container lists an H.264 stream, with
	// intact parameters, that no frame of decodes. Its audio is intact.
	// Not in Kinds: it must fail.
	DamagedVideo = "damaged-video.mkv"
	// DamagedAudio is Odd remuxed into Matroska with every byte of every
	// audio packet damaged: its video is intact, its AAC stream lists
	// intact parameters but no frame of it decodes. Not in Kinds: it
	// must fail.
	DamagedAudio = "damaged-audio.mkv"
	// NoVideoFrames is Odd remuxed into Matroska with every video packet
	// dropped: an H.264 stream declared, none of its frames written. Not
	// in Kinds: it must fail.
	NoVideoFrames = "no-video-frames.mkv"
	// Rotated is AudioFirst remuxed with a 90° display rotation: stored
	// landscape, shown portrait, as phones record.
	Rotated = "rotated.mp4"

	// The openings a poster must not be taken from; not in Kinds, as only
	// the poster's tests want them.

	// BlackStart is H.264, 320x180, 25 fps, 10 s, no audio: 3 s of black,
	// then a test pattern.
	BlackStart = "black-start.mp4"
	// FadeIn is H.264, 320x180, 25 fps, 10 s, no audio: a test pattern
	// fading in from black over its first 5 s.
	FadeIn = "fade-in.mp4"
)

// Kinds lists every kind of clip, for tests that run them all.
func Kinds() []string {
	return []string{Anamorphic, AudioFirst, WebM, Phone, Camera, HEVC, HEVC720, AudioOnly, Matroska, Odd, Rotated}
}

//go:embed testdata/phone.3gp
var phoneClip []byte

// Sources shared by the recipes.
const (
	tone   = "sine=frequency=440:sample_rate=48000"
	ultra  = "ultrafast" // x264/x265 preset: generating should cost little
	x264   = "libx264"
	yuv420 = "yuv420p"
)

// recipe returns the ffmpeg arguments (before the output path) that make
// the clip called name, or false for a name it does not know.
func recipe(name string) ([]string, bool) {
	switch name {
	case Anamorphic:
		return []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24", "-f", "lavfi", "-i", tone,
			"-t", "10", "-vf", "setsar=4/3", "-c:v", x264, "-preset", ultra, "-b:v", "200k", "-pix_fmt", yuv420,
			"-c:a", "aac", "-b:a", "64k"}, true
	case AudioFirst:
		// -map puts the audio first: index 0 audio, index 1 video.
		return []string{"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", tone,
			"-map", "1:a", "-map", "0:v", "-t", "8", "-c:v", x264, "-preset", ultra, "-pix_fmt", yuv420,
			"-c:a", "aac", "-b:a", "64k"}, true
	case WebM:
		// Realtime VP8 keeps generation fast.
		return []string{"-f", "lavfi", "-i", "testsrc2=size=480x270:rate=30", "-f", "lavfi", "-i", tone,
			"-t", "6", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k",
			"-c:a", "libvorbis"}, true
	case Camera:
		// Temporal noise defeats motion prediction the way sensor noise does.
		return []string{"-f", "lavfi", "-i", "testsrc2=size=768x432:rate=12.5", "-f", "lavfi", "-i", tone,
			"-t", "30", "-vf", "noise=alls=12:allf=t", "-c:v", x264, "-preset", ultra, "-b:v", "800k",
			"-pix_fmt", yuv420, "-c:a", "aac", "-b:a", "64k"}, true
	case HEVC:
		return []string{"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=50", "-t", "1",
			"-c:v", "libx265", "-preset", ultra, "-x265-params", "log-level=error", "-pix_fmt", yuv420, "-tag:v", "hvc1"}, true
	case HEVC720:
		return []string{"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=24000/1001", "-t", "4",
			"-c:v", "libx265", "-preset", ultra, "-x265-params", "log-level=error", "-pix_fmt", yuv420, "-tag:v", "hvc1"}, true
	case AudioOnly:
		return []string{"-f", "lavfi", "-i", tone, "-t", "8", "-c:a", "aac", "-b:a", "96k"}, true
	case Matroska:
		return []string{"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-t", "4",
			"-c:v", x264, "-preset", ultra, "-pix_fmt", yuv420}, true
	case BlackStart:
		return []string{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "10",
			"-vf", "fade=type=in:start_time=3:duration=0.04", "-c:v", x264, "-preset", ultra, "-pix_fmt", yuv420}, true
	case FadeIn:
		return []string{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "10",
			"-vf", "fade=type=in:start_time=0:duration=5", "-c:v", x264, "-preset", ultra, "-pix_fmt", yuv420}, true
	case Odd:
		return []string{"-f", "lavfi", "-i", "testsrc2=size=318x180:rate=25", "-f", "lavfi", "-i", tone,
			"-t", "3", "-c:v", x264, "-preset", ultra, "-pix_fmt", yuv420, "-c:a", "aac", "-b:a", "64k"}, true
	}
	return nil, false
}

// derived returns the clip another one is remuxed from, and the ffmpeg
// arguments after its input, for the kinds made that way.
func derived(name string) (base string, args []string, ok bool) {
	switch name {
	case Rotated:
		// ffmpeg 5.1 turns the rotate tag into a display matrix only when
		// remuxing, not when encoding.
		return AudioFirst, []string{"-map", "0", "-c", "copy", "-metadata:s:v:0", "rotate=90"}, true
	case DamagedVideo:
		// The noise bitstream filter damages each byte with probability
		// 1/amount; it leaves the codec parameters (CodecPrivate) alone.
		return Odd, []string{"-map", "0", "-c", "copy", "-bsf:v", "noise=amount=1"}, true
	case DamagedAudio:
		return Odd, []string{"-map", "0", "-c", "copy", "-bsf:a", "noise=amount=1"}, true
	case NoVideoFrames:
		return Odd, []string{"-map", "0", "-c", "copy", "-bsf:v", "noise=dropamount=1"}, true
	}
	return "", nil, false
}

// Path returns the path of the clip called name (one of the constants),
// making it first if the cache lacks it. It fails the test if ffmpeg is
// missing or fails: a test that needs a clip must not pass without one.
func Path(t testing.TB, name string) string {
	t.Helper()
	dir, err := cacheDir()
	if err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	if name == Phone {
		path, err := writeOnce(dir, name, phoneClip)
		if err != nil {
			t.Fatalf("mediatest: %v", err)
		}
		return path
	}
	args, ok := recipe(name)
	if base, tail, isDerived := derived(name); isDerived {
		args, ok = append([]string{"-i", Path(t, base)}, tail...), true
	}
	if !ok {
		t.Fatalf("mediatest: no clip called %q", name)
	}
	version, err := ffmpegVersion()
	if err != nil {
		t.Fatalf("mediatest: %v (make test installs ffmpeg)", err)
	}
	path := filepath.Join(dir, keyed(name, version, args))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*"+filepath.Ext(name))
	if err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.Command("ffmpeg", append(append([]string{"-nostdin", "-v", "error", "-y"}, args...), tmp.Name())...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mediatest: making %s: %v\n%s", name, err, out)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	return path
}

// Overclaim writes a copy of the Matroska clip at path whose header
// claims factor times its duration, into a test's temporary folder, and
// returns the copy's path: a file that ends cleanly but holds less than
// it says, as some recorders and editors write.
func Overclaim(t testing.TB, path string, factor float64) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	// Info's Duration: element 0x4489, size 8 (0x88), a big-endian
	// float64 in the segment's timescale (ffmpeg writes it this way).
	at := bytes.Index(data, []byte{0x44, 0x89, 0x88})
	if at < 0 {
		t.Fatalf("mediatest: %s has no 8-byte Matroska Duration element", path)
	}
	d := math.Float64frombits(binary.BigEndian.Uint64(data[at+3:]))
	binary.BigEndian.PutUint64(data[at+3:], math.Float64bits(d*factor))
	out := filepath.Join(t.TempDir(), "overclaimed-"+filepath.Base(path))
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	return out
}

// Extra returns the paths of the clips in the REEL_TEST_MEDIA folder
// (every regular file but README*), sorted; none when it is unset. A set
// but unreadable or empty folder fails the test: it was meant to run.
func Extra(t testing.TB) []string {
	t.Helper()
	dir := os.Getenv("REEL_TEST_MEDIA")
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("REEL_TEST_MEDIA: %v", err)
	}
	var paths []string
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), "README") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		abs, err := filepath.Abs(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, abs)
	}
	if len(paths) == 0 {
		t.Fatalf("REEL_TEST_MEDIA=%s holds no clips", dir)
	}
	slices.Sort(paths)
	return paths
}

// cacheDir returns the folder generated clips are kept in, creating it.
func cacheDir() (string, error) {
	dir := os.Getenv("REEL_TEST_CACHE")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "reel-test-media")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cache folder: %w", err)
	}
	return dir, nil
}

// ffmpegVersion returns the first line of `ffmpeg -version`.
func ffmpegVersion() (string, error) {
	out, err := exec.Command("ffmpeg", "-version").Output()
	if err != nil {
		return "", fmt.Errorf("ffmpeg -version: %w", err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return line, nil
}

// keyed returns name with a hash of what makes the clip before its
// extension: "camera-0123456789ab.mp4".
func keyed(name string, parts ...any) string {
	h := sha256.Sum256(fmt.Append(nil, parts...))
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "-" + hex.EncodeToString(h[:6]) + ext
}

// writeOnce writes data to dir under name keyed by its content, unless
// that file is there already, and returns its path.
func writeOnce(dir, name string, data []byte) (string, error) {
	path := filepath.Join(dir, keyed(name, data))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", name, err)
	}
	return path, nil
}
