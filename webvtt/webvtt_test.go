package webvtt_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/webvtt"
)

func write(t *testing.T, f *webvtt.File) string {
	t.Helper()
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSubRipConverted(t *testing.T) {
	srt := "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i>, <font color=\"#ff0\">world</font> & co\r\n{\\an8}a < b > c\r\n\r\n" +
		"2\r\n00:01:00,000 --> 00:01:01,000\r\nSecond\r\n"
	f, err := webvtt.Parse([]byte(srt))
	if err != nil {
		t.Fatal(err)
	}
	want := "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n" +
		"00:00:01.000 --> 00:00:02.500\n<i>Hello</i>, world &amp; co\na &lt; b &gt; c\n\n" +
		"00:01:00.000 --> 00:01:01.000\nSecond\n"
	if got := write(t, f); got != want || f.Format != "subrip" {
		t.Errorf("%s:\n%s\nwant\n%s", f.Format, got, want)
	}
}

func TestWebVTTCleaned(t *testing.T) {
	vtt := "WEBVTT - a title\nKind: captions\n\nNOTE a comment\n\nSTYLE\n::cue { color: red }\n\n" +
		"intro\n01:02.000 --> 01:03.000 align:start line:0 bogus onload=x\n<v Roger>Hi</v> <c.loud>there</c> &amp; <00:01:02.500>go\n"
	f, err := webvtt.Parse([]byte(vtt))
	if err != nil {
		t.Fatal(err)
	}
	want := "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n" +
		"00:01:02.000 --> 00:01:03.000 align:start line:0\n<v Roger>Hi</v> <c.loud>there</c> &amp; <00:01:02.500>go\n"
	if got := write(t, f); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if f.Cues[0].Start != time.Minute+2*time.Second {
		t.Errorf("start %v", f.Cues[0].Start)
	}
}

// TestHostile checks that what is not a caption file, or holds what a
// caption may not, is refused with a sentence.
func TestHostile(t *testing.T) {
	cue := func(text string) string { return "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + text + "\n" }
	for name, tt := range map[string]struct{ body, msg string }{
		"binary":        {"\x00\x01\x02PNG\x89", "binary"},
		"not utf-8":     {"1\n00:00:01,000 --> 00:00:02,000\n\xff\xfe\n", "UTF-8"},
		"html page":     {"<html><body>hi</body></html>", "neither WebVTT nor SubRip"},
		"empty":         {"", "neither WebVTT nor SubRip"},
		"no cues":       {"WEBVTT\n\nNOTE nothing\n", "no cues"},
		"bad signature": {"WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nx\n", "WEBVTT alone"},
		"script":        {cue("<script>alert(1)</script>"), "<script>"},
		"img":           {cue(`<img src=x onerror=alert(1)>`), "<img"},
		"handler":       {cue(`<b onclick="alert(1)">x</b>`), "<b onclick"},
		"backwards":     {"WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nx\n", "ends (00:00:02.000) before it starts"},
		"bad time":      {"WEBVTT\n\n00:00:99.000 --> 00:01:02.000\nx\n", "past 59"},
		"far time":      {"WEBVTT\n\n999:00:00.000 --> 999:00:01.000\nx\n", "past 100 hours"},
		"junk time":     {"WEBVTT\n\nsoon --> later\nx\n", "not a time"},
		"no timing":     {"WEBVTT\n\nid\njust text\n", "no timing line"},
	} {
		_, err := webvtt.Parse([]byte(tt.body))
		if reel.ErrorCode(err) != reel.EINVALID || !strings.Contains(reel.ErrorMessage(err), tt.msg) {
			t.Errorf("%s: %v, want EINVALID saying %q", name, err, tt.msg)
		}
	}
	huge := bytes.Repeat([]byte("a"), webvtt.MaxSize+1)
	if _, err := webvtt.Parse(huge); reel.ErrorCode(err) != reel.ETOOLARGE {
		t.Errorf("huge: %v", err)
	}
	many := &strings.Builder{}
	many.WriteString("WEBVTT\n")
	for range webvtt.MaxCues + 1 {
		many.WriteString("\n00:00:01.000 --> 00:00:02.000\nx\n")
	}
	if _, err := webvtt.Parse([]byte(many.String())); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too many cues: %v", err)
	}
	f, _ := webvtt.Parse([]byte(cue("late")))
	if err := f.CheckDuration(500 * time.Millisecond); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("cue after the end: %v", err)
	}
}

// FuzzParse checks that whatever is accepted is written as WebVTT that
// parses again to the same cues, with no tag but WebVTT's.
func FuzzParse(f *testing.F) {
	f.Add([]byte("1\n00:00:01,000 --> 00:00:02,000\n<i>a</i> & <b>b\n"))
	f.Add([]byte("WEBVTT\n\n00:01.000 --> 00:02.000 align:start\n<v A>x</v>\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := webvtt.Parse(data)
		if err != nil {
			return
		}
		var b bytes.Buffer
		file.Write(&b)
		again, err := webvtt.Parse(b.Bytes())
		if err != nil {
			t.Fatalf("rewritten file refused: %v\n%s", err, b.String())
		}
		if len(again.Cues) != len(file.Cues) {
			t.Fatalf("%d cues, then %d", len(file.Cues), len(again.Cues))
		}
		for i := range file.Cues {
			if again.Cues[i] != file.Cues[i] {
				t.Fatalf("cue %d: %+v, then %+v", i, file.Cues[i], again.Cues[i])
			}
		}
	})
}

func TestSegments(t *testing.T) {
	f, err := webvtt.Parse([]byte("WEBVTT\n\n00:01.000 --> 00:02.000\na\n\n00:05.000 --> 00:07.000\nb\n\n00:13.000 --> 00:14.000\nc\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Cue time 0 where the video presents its first frame, 0.08 s in.
	f.MPEGTS = 7200
	segs := f.Segments(13.5, 6)
	var got []string
	for _, s := range segs {
		var texts []string
		for _, line := range strings.Split(string(s), "\n") {
			if len(line) == 1 {
				texts = append(texts, line)
			}
		}
		if !strings.HasPrefix(string(s), "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:7200,LOCAL:00:00:00.000\n") {
			t.Errorf("segment without its header:\n%s", s)
		}
		got = append(got, strings.Join(texts, ""))
	}
	// b spans the boundary at 6 s; c starts past the video's end and
	// goes in the last segment.
	if strings.Join(got, "|") != "ab|b|c" {
		t.Errorf("segments hold %q", got)
	}
	want := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n" +
		"#EXTINF:6.000,\ns0.vtt\n#EXTINF:6.000,\ns1.vtt\n#EXTINF:1.500,\ns2.vtt\n#EXT-X-ENDLIST\n"
	if pl := string(webvtt.SegmentPlaylist([]string{"s0.vtt", "s1.vtt", "s2.vtt"}, 13.5, 6)); pl != want {
		t.Errorf("playlist\n%s", pl)
	}
}

// TestRendition checks the files of a subtitle rendition: the segments
// by name, in order, then the playlist naming them.
func TestRendition(t *testing.T) {
	f, err := webvtt.Parse([]byte("1\n00:00:01,000 --> 00:00:02,000\na\n\n2\n00:00:11,000 --> 00:00:12,500\nb\n"))
	if err != nil {
		t.Fatal(err)
	}
	files := f.Rendition(12.5, 6)
	var names []string
	for _, file := range files {
		names = append(names, file.Name)
	}
	if strings.Join(names, " ") != "seg_00000.vtt seg_00001.vtt seg_00002.vtt index.m3u8" {
		t.Fatalf("files %v", names)
	}
	want := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n" +
		"#EXTINF:6.000,\nseg_00000.vtt\n#EXTINF:6.000,\nseg_00001.vtt\n#EXTINF:0.500,\nseg_00002.vtt\n#EXT-X-ENDLIST\n"
	if got := string(files[3].Data); got != want {
		t.Errorf("playlist\n%s", got)
	}
	head := "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n"
	for i, text := range []string{"\n00:00:01.000 --> 00:00:02.000\na\n", "\n00:00:11.000 --> 00:00:12.500\nb\n", "\n00:00:11.000 --> 00:00:12.500\nb\n"} {
		if got := string(files[i].Data); got != head+text {
			t.Errorf("%s:\n%s", files[i].Name, got)
		}
	}
}
