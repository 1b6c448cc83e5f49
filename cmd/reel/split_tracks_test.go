package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
)

// TestSplitTranscodeTracks runs the split path through River with
// --codecs h264,av1 on a source with two audio languages and SubRip and
// ASS subtitle tracks: the video is transcoded in three pieces, and every
// rendition, H.264 and AV1 video, each audio language and each subtitle
// track, is what a whole transcode of the same ladder makes (frames at
// the same times, no gap at the joins, the same WebVTT segments and
// master entries).
func TestSplitTranscodeTracks(t *testing.T) {
	dir := t.TempDir()
	srt, ass, src := filepath.Join(dir, "en.srt"), filepath.Join(dir, "fr.ass"), filepath.Join(dir, "tracks.mkv")
	if err := os.WriteFile(srt, []byte("1\n00:00:11,500 --> 00:00:12,500\nAcross the first join\n\n"+
		"2\n00:00:26,000 --> 00:00:27,000\nIn the last piece\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ass, []byte("[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\n"+
		"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"+
		"Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1\n\n"+
		"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"+
		"Dialogue: 0,0:00:23.00,0:00:25.00,Default,,0,0,0,,Par-dessus la jointure\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10",
		"-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000", "-f", "lavfi", "-i", "sine=frequency=800:sample_rate=48000",
		"-i", srt, "-i", ass, "-t", "30", "-map", "0", "-map", "1", "-map", "2", "-map", "3", "-map", "4",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s:0", "srt", "-c:s:1", "ass",
		"-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
		"-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fre", src).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	codecs, err := ffmpeg.ParseCodecs("h264,av1")
	if err != nil {
		t.Fatal(err)
	}
	whole := t.TempDir()
	res, err := (&ffmpeg.Transcoder{Codecs: codecs}).Transcode(context.Background(), reel.TranscodeRequest{Input: src, OutputDir: whole})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range res.Renditions {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, " "); got != "180p 180p-av1 audio audio2" {
		t.Fatalf("whole transcode's renditions %s", got)
	}

	s := startServer(t, append([]string{"--codecs", "h264,av1"}, splitFlags...)...)
	out := checkSplit(t, s, src, whole, filepath.Join(s.data, "reel.db"))

	media := func(dir string) string {
		var lines []string
		for _, l := range strings.Split(readText(t, filepath.Join(dir, reel.MasterPlaylist)), "\n") {
			if strings.HasPrefix(l, "#EXT-X-MEDIA:") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	if m, w := media(out), media(whole); m != w || strings.Count(m, "TYPE=SUBTITLES") != 2 || strings.Count(m, "TYPE=AUDIO") != 2 {
		t.Errorf("master's renditions:\n%s\nwhole:\n%s", m, w)
	}
	for _, sub := range []string{"subs1", "subs2"} {
		pl := mediaPlaylist(t, filepath.Join(whole, sub, reel.MediaPlaylist))
		if len(pl.Segments) < 5 {
			t.Errorf("%s: %d segments, want 5 at least", sub, len(pl.Segments))
		}
		files := []string{reel.MediaPlaylist}
		for _, seg := range pl.Segments {
			files = append(files, seg.URI)
		}
		for _, f := range files {
			if a, b := readText(t, filepath.Join(out, sub, f)), readText(t, filepath.Join(whole, sub, f)); a != b {
				t.Errorf("%s/%s:\n%s\nwhole:\n%s", sub, f, a, b)
			}
		}
	}
	if seg := readText(t, filepath.Join(out, "subs1", "seg_00002.vtt")); !strings.Contains(seg, "Across the first join") {
		t.Errorf("subs1/seg_00002.vtt lacks the cue across the first join:\n%s", seg)
	}
}
