package ffmpeg_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
	"reel/hls"
)

// TestSplitStitchTracks transcodes a Matroska source with two audio
// languages and SubRip and ASS subtitle tracks whole, and split into
// three pieces, and holds the split video to the whole one: the same
// audio and subtitle renditions in the master, each audio rendition with
// its own language's tone and its frames at the whole encode's times, as
// the video's are,
// and the same segmented WebVTT (X-TIMESTAMP-MAP, cues on the segment
// grid, a cue across each join in the segments on both sides).
func TestSplitStitchTracks(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	srt := filepath.Join(dir, "en.srt")
	ass := filepath.Join(dir, "fr.ass")
	// Cues across both joins (6 s and 12 s) and one in the last piece.
	if err := os.WriteFile(srt, []byte("1\n00:00:01,000 --> 00:00:02,000\nFirst piece\n\n"+
		"2\n00:00:05,500 --> 00:00:06,500\nAcross the first join\n\n"+
		"3\n00:00:11,800 --> 00:00:12,300\nAcross the second join\n\n"+
		"4\n00:00:15,000 --> 00:00:16,000\nLast piece\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ass, []byte("[Script Info]\nScriptType: v4.00+\nPlayResX: 320\nPlayResY: 180\n\n"+
		"[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"+
		"Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1\n\n"+
		"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"+
		"Dialogue: 0,0:00:11.00,0:00:13.00,Default,,0,0,0,,{\\i1}Bonjour{\\i0} par-dessus la jointure\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tone := func(f string) string { return "sine=frequency=" + f + ":sample_rate=48000" }
	input := generate(t, "tracks.mkv", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10",
		"-f", "lavfi", "-i", tone("300"), "-f", "lavfi", "-i", tone("800"), "-i", srt, "-i", ass,
		"-t", "17", "-map", "0", "-map", "1", "-map", "2", "-map", "3", "-map", "4",
		"-c:v", x264, "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s:0", "srt", "-c:s:1", "ass",
		"-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre", "-disposition:a:1", "default",
		"-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fre")
	whole := transcode(t, input)
	if whole.err != nil {
		t.Fatal(whole.err)
	}

	tr := &ffmpeg.Transcoder{}
	out, res, _ := splitStitch(t, tr, input, 3)
	checkConformance(t, out, res)
	if a, b := codes(res.Warnings), codes(whole.res.Warnings); !slices.Equal(a, b) {
		t.Errorf("report %v, whole %v", a, b)
	}

	// The master's audio and subtitle renditions, as the whole one's.
	media := func(dir string) string {
		var lines []string
		for _, l := range strings.Split(readFile(t, dir, reel.MasterPlaylist), "\n") {
			if strings.HasPrefix(l, "#EXT-X-MEDIA:") {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	if m, w := media(out), media(whole.out); m != w || strings.Count(m, "TYPE=AUDIO") != 2 || strings.Count(m, "TYPE=SUBTITLES") != 2 {
		t.Errorf("master's renditions:\n%s\nwhole:\n%s", m, w)
	}

	// Each audio language: its own tone, every frame where the whole
	// encode has it.
	for name, f := range map[string]int{"audio": 300, "audio2": 800} {
		pl := filepath.Join(out, name, reel.MediaPlaylist)
		own, other := toneLevel(t, pl, f), toneLevel(t, pl, 1100-f)
		if own < -40 || own-other < 20 {
			t.Errorf("%s: %d Hz at %.1f dB, %d Hz at %.1f dB", name, f, own, 1100-f, other)
		}
		wts, sts := packetTimes(t, filepath.Join(whole.out, name, reel.MediaPlaylist)), packetTimes(t, pl)
		if len(wts) != len(sts) {
			t.Errorf("%s: %d frames, whole %d", name, len(sts), len(wts))
			continue
		}
		for i := range sts {
			if math.Abs(sts[i]-wts[i]) > 0.002 {
				t.Errorf("%s: frame %d at %v s, whole at %v s", name, i, sts[i], wts[i])
				break
			}
		}
	}

	// The video too (ffmpeg's Matroska muxer starts it 21 ms in, past
	// the AAC priming, and the cues with it), so that it plays in step
	// with the audio and the subtitles as the whole encode does.
	if w, s := packetTimes(t, filepath.Join(whole.out, "180p", reel.MediaPlaylist)), packetTimes(t, filepath.Join(out, "180p", reel.MediaPlaylist)); len(w) != len(s) || len(s) == 0 || math.Abs(s[0]-w[0]) > 0.002 || math.Abs(s[len(s)-1]-w[len(w)-1]) > 0.002 {
		t.Errorf("video: %d frames from %v s, whole %d from %v s", len(s), s[:min(len(s), 1)], len(w), w[:min(len(w), 1)])
	}

	// The subtitles: the whole encode's playlists and segments.
	for _, sub := range []string{"subs1", "subs2"} {
		pl := playlist(t, out, sub)
		if w := playlist(t, whole.out, sub); len(pl.Segments) != 3 || len(w.Segments) != len(pl.Segments) {
			t.Fatalf("%s: %d segments, whole %d, want 3", sub, len(pl.Segments), len(w.Segments))
		}
		for _, file := range append([]string{reel.MediaPlaylist}, segmentURIs(pl)...) {
			if a, b := readFile(t, out, filepath.Join(sub, file)), readFile(t, whole.out, filepath.Join(sub, file)); a != b {
				t.Errorf("%s/%s:\n%s\nwhole:\n%s", sub, file, a, b)
			}
		}
	}
	// Each cue in the segments it is shown in, on both sides of a join
	// (at the source's times, shifted as the video is by the input's
	// start time: 21 ms of Matroska's AAC priming), mapped to where the
	// video presents its first frame.
	header := timestampMap(t, out, res.Renditions[0].Name)
	if header == "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n" {
		t.Error("the video presents its first frame at 0: x264's B-frame delay is gone")
	}
	for file, texts := range map[string][]string{
		"subs1/seg_00000.vtt": {"First piece", "Across the first join"},
		"subs1/seg_00001.vtt": {"Across the first join", "Across the second join"},
		"subs1/seg_00002.vtt": {"Across the second join", "Last piece"},
		"subs2/seg_00000.vtt": nil,
		"subs2/seg_00001.vtt": {"<i>Bonjour</i> par-dessus la jointure"},
		"subs2/seg_00002.vtt": {"<i>Bonjour</i> par-dessus la jointure"},
	} {
		data := readFile(t, out, file)
		if !strings.HasPrefix(data, header) || strings.Count(data, " --> ") != len(texts) {
			t.Errorf("%s:\n%s\nwant the cues %q", file, data, texts)
		}
		for _, text := range texts {
			if !strings.Contains(data, "\n"+text+"\n") {
				t.Errorf("%s:\n%s\nwant %q", file, data, text)
			}
		}
	}
}

// segmentURIs returns the URIs of a playlist's segments.
func segmentURIs(pl *hls.MediaPlaylist) []string {
	var uris []string
	for _, s := range pl.Segments {
		uris = append(uris, s.URI)
	}
	return uris
}
