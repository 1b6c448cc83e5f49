package hls_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"reel/hls"
)

func TestPeakBitRate(t *testing.T) {
	for _, tt := range []struct {
		name      string
		durations []float64
		sizes     []int64
		target    float64
		want      int
	}{
		{"one segment", []float64{6}, []int64{600_000}, 6, 800_000},
		// The short last segment is no set of its own (2 s < 3 s, 1.2 Mb/s
		// alone); with the one before it (8 s) it is: (75k+300k)*8/8.
		{"short big tail", []float64{6, 6, 2}, []int64{75_000, 75_000, 300_000}, 6, 375_000},
		{"peak in the middle", []float64{6, 6, 6}, []int64{75_000, 150_000, 75_000}, 6, 200_000},
		// 2 s segments with a 2 s target: pairs are 4 s > 3 s, so single
		// segments decide.
		{"short target", []float64{2, 2, 2}, []int64{1000, 4000, 1000}, 2, 16_000},
		// Sets of 3..9 s with a 6 s target: two 2 s segments make 4 s.
		{"small segments", []float64{2, 2, 2, 2}, []int64{1000, 5000, 5000, 1000}, 6, 20_000},
		// A lone segment longer than 1.5x the target still counts.
		{"long segment", []float64{10, 6}, []int64{2_500_000, 6000}, 6, 2_000_000},
		// Shorter than half the target: the whole clip's rate.
		{"tiny clip", []float64{1}, []int64{1000}, 6, 8000},
		{"nothing", nil, nil, 6, 0},
		{"zero durations", []float64{0, 0}, []int64{10, 10}, 6, 0},
		{"lengths differ", []float64{6, 6}, []int64{600_000}, 6, 800_000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := hls.PeakBitRate(tt.durations, tt.sizes, tt.target); got != tt.want {
				t.Errorf("PeakBitRate = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestMeasure(t *testing.T) {
	init, err := os.ReadFile("testdata/init_avc_aac.mp4")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"360p/index.m3u8": {Data: []byte("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n" +
			"#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI=\"init.mp4\"\n" +
			"#EXTINF:6.000000,\nseg_00000.m4s\n#EXTINF:6.000000,\nseg_00001.m4s\n" +
			"#EXTINF:2.000000,\nseg_00002.m4s\n#EXT-X-ENDLIST\n")},
		"360p/init.mp4":      {Data: init},
		"360p/seg_00000.m4s": {Data: make([]byte, 300_000)},
		"360p/seg_00001.m4s": {Data: make([]byte, 600_000)},
		"360p/seg_00002.m4s": {Data: make([]byte, 100_000)},
	}
	m, err := hls.Measure(fsys, "360p/index.m3u8")
	if err != nil {
		t.Fatal(err)
	}
	want := hls.Measurement{
		Duration:         14,
		Segments:         3,
		Bytes:            1_000_000,
		Bandwidth:        800_000, // the second segment alone
		AverageBandwidth: 571_429, // 8 Mbit over 14 s, rounded up; init not counted
		Codecs:           "avc1.64001e,mp4a.40.2",
	}
	if *m != want {
		t.Errorf("got %+v\nwant %+v", *m, want)
	}
}

func TestMeasureErrors(t *testing.T) {
	playlist := func(body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("#EXTM3U\n#EXT-X-TARGETDURATION:6\n" + body)}
	}
	init, _ := os.ReadFile("testdata/init_avc_aac.mp4")
	for _, tt := range []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"no playlist", fstest.MapFS{}, "not exist"},
		{"no segments", fstest.MapFS{"p.m3u8": playlist("#EXT-X-ENDLIST\n")}, "no segments"},
		{"missing segment", fstest.MapFS{"p.m3u8": playlist("#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:6,\ns.m4s\n"),
			"i.mp4": {Data: init}}, "not exist"},
		{"no map", fstest.MapFS{"p.m3u8": playlist("#EXTINF:6,\ns.ts\n"), "s.ts": {}}, "no EXT-X-MAP"},
		{"escaping URI", fstest.MapFS{"d/p.m3u8": playlist("#EXTINF:6,\n../s.m4s\n"), "s.m4s": {}}, "not a relative path"},
		{"absolute URI", fstest.MapFS{"p.m3u8": playlist("#EXTINF:6,\n/s.m4s\n")}, "not a relative path"},
		{"URL", fstest.MapFS{"p.m3u8": playlist("#EXTINF:6,\nhttps://example.com/s.m4s\n")}, "not a relative path"},
		{"bad init", fstest.MapFS{"p.m3u8": playlist("#EXT-X-MAP:URI=\"i.mp4\"\n#EXTINF:6,\ns.m4s\n"),
			"i.mp4": {Data: []byte("junk")}, "s.m4s": {}}, "no moov"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := "p.m3u8"
			if _, ok := tt.fsys["d/p.m3u8"]; ok {
				name = "d/p.m3u8"
			}
			_, err := hls.Measure(tt.fsys, name)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	_, err := hls.Measure(fstest.MapFS{"p.m3u8": playlist("")}, "p.m3u8")
	if !errors.Is(err, hls.ErrNoSegments) {
		t.Errorf("err = %v, want ErrNoSegments", err)
	}
	_, err = hls.Measure(fstest.MapFS{}, "p.m3u8")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
}
