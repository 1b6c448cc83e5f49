package ffmpeg_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
	"reel/mediatest"
)

// TestDownloads transcodes a short clip with Downloads and checks that the
// MP4 holds the top rung's H.264 and the AAC audio for as long as the
// rendition, the M4A the audio alone, and that the renditions name them.
func TestDownloads(t *testing.T) {
	needFFmpeg(t)
	out := t.TempDir()
	tr := &ffmpeg.Transcoder{Downloads: true}
	res, err := tr.Transcode(context.Background(), reel.TranscodeRequest{Input: mediatest.Path(t, mediatest.Odd), OutputDir: out})
	if err != nil {
		t.Fatal(err)
	}
	var top, audio reel.Rendition
	for _, r := range res.Renditions {
		if r.IsAudio() {
			audio = r
		} else if r.Height > top.Height {
			top = r
		}
	}
	if top.Download != reel.DownloadVideo || audio.Download != reel.DownloadAudio {
		t.Fatalf("downloads named %q (top %s) and %q (audio), want %q and %q", top.Download, top.Name, audio.Download, reel.DownloadVideo, reel.DownloadAudio)
	}
	// The rendition as HLS readers see it, to compare the downloads with.
	rung := probe(t, filepath.Join(out, top.Name, reel.MediaPlaylist))
	seconds := func(p probed) float64 {
		d, err := strconv.ParseFloat(p.Format.Duration, 64)
		if err != nil {
			t.Fatalf("duration %q: %v", p.Format.Duration, err)
		}
		return d
	}
	mp4 := probe(t, filepath.Join(out, reel.DownloadVideo))
	if len(mp4.Streams) != 2 || mp4.Streams[0].CodecName != "h264" || mp4.Streams[1].CodecName != "aac" {
		t.Fatalf("download.mp4 streams: %+v", mp4.Streams)
	}
	if mp4.Streams[0].Width != top.Width || mp4.Streams[0].Height != top.Height || mp4.Streams[0].Profile != rung.Streams[0].Profile {
		t.Errorf("download.mp4 video %dx%d %s, top rung %dx%d %s", mp4.Streams[0].Width, mp4.Streams[0].Height, mp4.Streams[0].Profile,
			top.Width, top.Height, rung.Streams[0].Profile)
	}
	if d, want := seconds(mp4), seconds(rung); math.Abs(d-want) > 0.1 {
		t.Errorf("download.mp4 lasts %.3f s, the top rung %.3f s", d, want)
	}
	m4a := probe(t, filepath.Join(out, reel.DownloadAudio))
	if len(m4a.Streams) != 1 || m4a.Streams[0].CodecName != "aac" {
		t.Fatalf("audio.m4a streams: %+v", m4a.Streams)
	}
	if d, want := seconds(m4a), seconds(probe(t, filepath.Join(out, audio.Name, reel.MediaPlaylist))); math.Abs(d-want) > 0.1 {
		t.Errorf("audio.m4a lasts %.3f s, the audio rendition %.3f s", d, want)
	}
	// faststart: the index comes before the media.
	data, err := os.ReadFile(filepath.Join(out, reel.DownloadVideo))
	if err != nil {
		t.Fatal(err)
	}
	if moov, mdat := bytes.Index(data, []byte("moov")), bytes.Index(data, []byte("mdat")); moov < 0 || mdat < 0 || moov > mdat {
		t.Errorf("download.mp4: moov at %d, mdat at %d: not faststart", moov, mdat)
	}

	// Without the option, none.
	plain := t.TempDir()
	res, err = (&ffmpeg.Transcoder{}).Transcode(context.Background(), reel.TranscodeRequest{Input: mediatest.Path(t, mediatest.Odd), OutputDir: plain})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Renditions {
		if r.Download != "" {
			t.Errorf("rendition %s names download %q without Downloads", r.Name, r.Download)
		}
	}
	for _, f := range []string{reel.DownloadVideo, reel.DownloadAudio} {
		if _, err := os.Stat(filepath.Join(plain, f)); !os.IsNotExist(err) {
			t.Errorf("%s without Downloads: %v", f, err)
		}
	}
}

// TestDownloadLanguage checks that the downloads say the language of the
// audio they hold, the default track's, as an MP4 track does (ISO 639-2/T):
// a player or editor shows it, where the HLS segments left it to the master.
func TestDownloadLanguage(t *testing.T) {
	needFFmpeg(t)
	input := generate(t, "languages.mkv", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10",
		"-f", "lavfi", "-i", "sine=frequency=440", "-f", "lavfi", "-i", "sine=frequency=660", "-t", "3",
		"-map", "0", "-map", "1", "-map", "2", "-c:v", x264, "-preset", "ultrafast", "-c:a", "aac",
		"-metadata:s:a:0", "language=ita", "-metadata:s:a:1", "language=ger",
		"-disposition:a:0", "0", "-disposition:a:1", "default")
	out := t.TempDir()
	if _, err := (&ffmpeg.Transcoder{Downloads: true}).Transcode(context.Background(), reel.TranscodeRequest{Input: input, OutputDir: out}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{reel.DownloadVideo, reel.DownloadAudio} {
		got, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream_tags=language",
			"-of", "csv=p=0", filepath.Join(out, f)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if lang := strings.TrimSpace(string(got)); lang != "deu" {
			t.Errorf("%s: audio language %q, want deu (the default track's)", f, lang)
		}
	}
}
