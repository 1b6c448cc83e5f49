package hls_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"reel/hls"
)

func TestParseMediaFFmpeg(t *testing.T) {
	// A playlist as ffmpeg 5.1 writes it for one rendition.
	data, err := os.ReadFile("testdata/ffmpeg_media.m3u8")
	if err != nil {
		t.Fatal(err)
	}
	p, err := hls.ParseMedia(data)
	if err != nil {
		t.Fatal(err)
	}
	want := &hls.MediaPlaylist{
		Version:        7,
		TargetDuration: 6,
		PlaylistType:   "VOD",
		Map:            "init.mp4",
		Segments: []hls.Segment{
			{URI: "seg_00000.m4s", Duration: 6},
			{URI: "seg_00001.m4s", Duration: 4},
		},
		EndList: true,
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
	if d := p.Duration(); d != 10 {
		t.Errorf("Duration() = %v, want 10", d)
	}
}

func TestParseMedia(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     *hls.MediaPlaylist
	}{{
		name: "CRLF, BOM, comments, unknown tags, titles",
		in: "\xef\xbb\xbf#EXTM3U\r\n#EXT-X-TARGETDURATION:4\r\n# a comment\r\n#EXT-X-FOO:1\r\n" +
			"#EXT-X-MAP:URI=\"i,n,it.mp4\",BYTERANGE=\"800@0\"\r\n#EXTINF:3.5,title, with comma\r\na.m4s\r\n",
		want: &hls.MediaPlaylist{TargetDuration: 4, Map: "i,n,it.mp4",
			Segments: []hls.Segment{{URI: "a.m4s", Duration: 3.5}}},
	}, {
		name: "byte ranges",
		in:   "#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:1000@20\nall.mp4\n#EXT-X-BYTERANGE:500\n#EXTINF:1\nall.mp4\n#EXT-X-ENDLIST\n",
		want: &hls.MediaPlaylist{EndList: true, Segments: []hls.Segment{
			{URI: "all.mp4", Duration: 2, Length: 1000, Offset: 20},
			{URI: "all.mp4", Duration: 1, Length: 500},
		}},
	}, {
		name: "no segments",
		in:   "#EXTM3U\n#EXT-X-ENDLIST\n",
		want: &hls.MediaPlaylist{EndList: true},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := hls.ParseMedia([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tt.want) {
				t.Errorf("got %+v\nwant %+v", p, tt.want)
			}
		})
	}
}

func TestParseMediaErrors(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"empty", "", "missing #EXTM3U"},
		{"not a playlist", "hello\n#EXTM3U\n", "missing #EXTM3U"},
		{"URI without EXTINF", "#EXTM3U\na.m4s\n", "without EXTINF"},
		{"EXTINF at the end", "#EXTM3U\n#EXTINF:2,\n", "without a segment URI"},
		{"bad duration", "#EXTM3U\n#EXTINF:abc,\na.m4s\n", "bad EXTINF"},
		{"negative duration", "#EXTM3U\n#EXTINF:-1,\na.m4s\n", "bad EXTINF"},
		{"infinite duration", "#EXTM3U\n#EXTINF:Inf,\na.m4s\n", "bad EXTINF"},
		{"bad target", "#EXTM3U\n#EXT-X-TARGETDURATION:x\n", "TARGETDURATION"},
		{"bad version", "#EXTM3U\n#EXT-X-VERSION:0\n", "VERSION"},
		{"map without URI", "#EXTM3U\n#EXT-X-MAP:BYTERANGE=\"1@0\"\n", "without URI"},
		{"two maps", "#EXTM3U\n#EXT-X-MAP:URI=\"a\"\n#EXT-X-MAP:URI=\"b\"\n", "more than one"},
		{"unterminated", "#EXTM3U\n#EXT-X-MAP:URI=\"a\n", "unterminated"},
		{"bad byterange", "#EXTM3U\n#EXT-X-BYTERANGE:-3\n", "BYTERANGE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hls.ParseMedia([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := hls.ParseMedia(nil); !errors.Is(err, hls.ErrNotPlaylist) {
		t.Errorf("err = %v, want ErrNotPlaylist", err)
	}
}

func TestParseAttributes(t *testing.T) {
	got, err := hls.ParseAttributes(`BANDWIDTH=800000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=640x360,X=`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"BANDWIDTH": "800000", "CODECS": "avc1.64001f,mp4a.40.2", "RESOLUTION": "640x360", "X": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"A", "=1", `A="x"junk`, `A="x`} {
		if _, err := hls.ParseAttributes(bad); err == nil {
			t.Errorf("ParseAttributes(%q) did not fail", bad)
		}
	}
}

func FuzzParseMedia(f *testing.F) {
	if data, err := os.ReadFile("testdata/ffmpeg_media.m3u8"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:6,\na.m4s\n#EXT-X-BYTERANGE:10@5\n#EXTINF:1\nb\n"))
	f.Add([]byte("#EXTM3U\r\n#EXT-X-MAP:URI=\"a,b\",BYTERANGE=\"1\"\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := hls.ParseMedia(data)
		if err != nil {
			return
		}
		for _, s := range p.Segments {
			if s.URI == "" || strings.HasPrefix(s.URI, "#") {
				t.Fatalf("bad segment URI %q", s.URI)
			}
			if !(s.Duration >= 0) || s.Length < 0 || s.Offset < 0 {
				t.Fatalf("bad segment %+v", s)
			}
		}
		if d := p.Duration(); !(d >= 0) {
			t.Fatalf("Duration() = %v", d)
		}
	})
}
