package hls_test

import (
	"math"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"reel/hls"
)

func TestIFrames(t *testing.T) {
	idx, err := hls.IFrames(os.DirFS("testdata"), "av/index.m3u8")
	if err != nil {
		t.Fatal(err)
	}
	// One I-frame per segment: from the moof through the IDR frame, which
	// ffprobe puts at 2573 (1268 bytes) and 1965 (689 bytes) of
	// init+segment, the init being 1353 bytes; pts 0.2 and 6.2 s, the
	// last frame ending at 8.2 s.
	want := []hls.IFrame{
		{URI: "seg_00000.m4s", Offset: 128, Length: 2573 - 1353 + 1268 - 128, Time: 0.2, Duration: 6},
		{URI: "seg_00001.m4s", Offset: 128, Length: 1965 - 1353 + 689 - 128, Time: 6.2, Duration: 2},
	}
	if idx.Map != "init.mp4" || len(idx.IFrames) != len(want) {
		t.Fatalf("got %+v", idx)
	}
	for i, f := range idx.IFrames {
		w := want[i]
		if f.URI != w.URI || f.Offset != w.Offset || f.Length != w.Length ||
			math.Abs(f.Time-w.Time) > 1e-9 || math.Abs(f.Duration-w.Duration) > 1e-9 {
			t.Errorf("I-frame %d: %+v, want %+v", i, f, w)
		}
	}
	// With a 6 s target, the 2 s I-frame alone is too short a set for the
	// peak (RFC 8216: 3 to 9 s); both, 3533 bytes over 8 s, are the peak
	// and the mean.
	if idx.Bandwidth != 3533 || idx.AverageBandwidth != 3533 {
		t.Errorf("bandwidth %d, average %d; want 3533, 3533", idx.Bandwidth, idx.AverageBandwidth)
	}

	var b strings.Builder
	if err := hls.WriteIFramePlaylist(&b, idx); err != nil {
		t.Fatal(err)
	}
	wantPlaylist := `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-I-FRAMES-ONLY
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init.mp4"
#EXTINF:6.000000,
#EXT-X-BYTERANGE:2360@128
seg_00000.m4s
#EXTINF:2.000000,
#EXT-X-BYTERANGE:1173@128
seg_00001.m4s
#EXT-X-ENDLIST
`
	if b.String() != wantPlaylist {
		t.Errorf("got\n%s\nwant\n%s", b.String(), wantPlaylist)
	}
	// What it wrote parses back as byte ranges of the same segments.
	pl, err := hls.ParseMedia([]byte(b.String()))
	if err != nil || len(pl.Segments) != 2 || pl.Segments[1].Length != 1173 || pl.Map != "init.mp4" {
		t.Errorf("parsed back: %+v, %v", pl, err)
	}
}

func TestIFramesErrors(t *testing.T) {
	init, _ := os.ReadFile("testdata/av/init.mp4")
	seg, _ := os.ReadFile("testdata/av/seg_00000.m4s")
	playlist := func(body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("#EXTM3U\n#EXT-X-TARGETDURATION:6\n" + body)}
	}
	for _, tt := range []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"no playlist", fstest.MapFS{}, "not exist"},
		{"no map", fstest.MapFS{"p.m3u8": playlist("#EXTINF:6,\ns.m4s\n")}, "no EXT-X-MAP"},
		{"missing segment", fstest.MapFS{"p.m3u8": playlist("#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:6,\ns.m4s\n"), "i.mp4": {Data: init}}, "not exist"},
		{"no segments", fstest.MapFS{"p.m3u8": playlist("#EXT-X-MAP:URI=\"i.mp4\"\n"), "i.mp4": {Data: init}}, "no segments"},
		{"no video", fstest.MapFS{"p.m3u8": playlist("#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:6,\ns.m4s\n"),
			"i.mp4": {Data: mp4Box("moov", mp4Box("trak", mp4Box("tkhd", make([]byte, 16)), mp4Box("mdia", mp4Box("mdhd", make([]byte, 20)))))},
			"s.m4s": {Data: seg}}, "no video track"},
		{"escaping URI", fstest.MapFS{"d/p.m3u8": playlist("#EXT-X-MAP:URI=\"../i.mp4\"\n#EXTINF:6,\ns.m4s\n")}, "not a relative path"},
		{"junk segment", fstest.MapFS{"p.m3u8": playlist("#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:6,\ns.m4s\n"),
			"i.mp4": {Data: init}, "s.m4s": {Data: []byte("not a segment at all")}}, "bad size"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := "p.m3u8"
			if _, ok := tt.fsys["d/p.m3u8"]; ok {
				name = "d/p.m3u8"
			}
			_, err := hls.IFrames(tt.fsys, name)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	for _, idx := range []*hls.IFrameIndex{
		nil, {}, {Map: "i.mp4", IFrames: []hls.IFrame{{URI: "a\nb", Length: 1}}},
		{Map: "", IFrames: []hls.IFrame{{URI: "a", Length: 1}}},
		{Map: "i.mp4", IFrames: []hls.IFrame{{URI: "a", Length: 0}}},
		{Map: "i.mp4", IFrames: []hls.IFrame{{URI: "a", Length: 1, Duration: math.NaN()}}},
	} {
		if err := hls.WriteIFramePlaylist(&strings.Builder{}, idx); err == nil {
			t.Errorf("WriteIFramePlaylist(%+v) did not fail", idx)
		}
	}
}
