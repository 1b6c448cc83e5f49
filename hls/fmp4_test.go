package hls_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"reflect"
	"strings"
	"testing"

	"reel/hls"
)

// testdata/av is a rendition as ffmpeg 5.1 writes it: 8 s of 96x54 H.264
// at 10 fps with an IDR every 2 s and 8 kHz mono AAC, in 6 s fMP4
// segments. Ground truth from ffprobe -show_packets on init+segment.

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseInit(t *testing.T) {
	tracks, err := hls.ParseInit(readFile(t, "testdata/av/init.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	// Written by ffmpeg's mov muxer without frag_discont: an empty edit
	// in front of each track.
	want := []hls.Track{
		{ID: 1, Handler: "vide", Timescale: 10240, EmptyEdit: true},
		{ID: 2, Handler: "soun", Timescale: 8000, EmptyEdit: true},
	}
	if !reflect.DeepEqual(tracks, want) {
		t.Errorf("got %+v\nwant %+v", tracks, want)
	}
	for _, bad := range [][]byte{nil, []byte("junk"), mp4Box("moov"), mp4Box("moov", mp4Box("trak"))} {
		if _, err := hls.ParseInit(bad); err == nil {
			t.Errorf("ParseInit(%q) did not fail", bad)
		}
	}
}

func TestReadFragments(t *testing.T) {
	tracks, err := hls.ParseInit(readFile(t, "testdata/av/init.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	seg := readFile(t, "testdata/av/seg_00000.m4s")
	frags, err := hls.ReadFragments(bytes.NewReader(seg), int64(len(seg)), tracks)
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) != 1 || frags[0].Offset != 128 || len(frags[0].Runs) != 2 {
		t.Fatalf("fragments %+v", frags)
	}
	video, audio := frags[0].Runs[0], frags[0].Runs[1]
	if video.TrackID != 1 || len(video.Samples) != 60 || audio.TrackID != 2 || len(audio.Samples) != 47 {
		t.Fatalf("runs: video %d × %d, audio %d × %d", video.TrackID, len(video.Samples), audio.TrackID, len(audio.Samples))
	}
	// The first video packet: ffprobe puts it at 2573 of init+segment
	// (1353 bytes of init), 1268 bytes, key frame, pts 0.2 s.
	first := video.Samples[0]
	if first.Offset != 2573-1353 || first.Size != 1268 || !first.Sync() || first.Duration != 1024 || first.CompositionOffset != 2048 {
		t.Errorf("first video sample %+v", first)
	}
	// IDR frames at 0, 2 and 4 s: samples 0, 20 and 40, and only those.
	var syncs []int
	for i, s := range video.Samples {
		if s.Sync() {
			syncs = append(syncs, i)
		}
	}
	if !reflect.DeepEqual(syncs, []int{0, 20, 40}) {
		t.Errorf("sync samples %v, want [0 20 40]", syncs)
	}
	if s := video.Samples[20]; s.Offset != 4669-1353 || s.Size != 754 {
		t.Errorf("second IDR %+v, want 754 bytes at %d", s, 4669-1353)
	}
	// Audio data follows the video data, and the last sample ends the file.
	last := audio.Samples[len(audio.Samples)-1]
	if audio.Samples[0].Offset != 128+6118 || last.Offset+int64(last.Size) != int64(len(seg)) {
		t.Errorf("audio from %d to %d in %d bytes", audio.Samples[0].Offset, last.Offset+int64(last.Size), len(seg))
	}
	if video.BaseDecodeTime != 0 || audio.BaseDecodeTime != 0 {
		t.Errorf("decode times %d, %d", video.BaseDecodeTime, audio.BaseDecodeTime)
	}

	// A cut segment: samples past its end are an error, not a panic.
	if _, err := hls.ReadFragments(bytes.NewReader(seg[:3000]), 3000, tracks); err == nil {
		t.Error("truncated segment: no error")
	}
	// A track the init segment lacks.
	if _, err := hls.ReadFragments(bytes.NewReader(seg), int64(len(seg)), tracks[1:]); err == nil {
		t.Error("unknown track: no error")
	}
}

// be32 and be64 are big-endian fields.
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestReadFragmentsFields covers what ffmpeg does not write: explicit base
// offsets, trafs without default-base-is-moof, trex defaults, first-sample
// flags, version 0 tfdt, negative composition offsets, two truns.
func TestReadFragmentsFields(t *testing.T) {
	tracks := []hls.Track{
		{ID: 1, Handler: "vide", Timescale: 90000, DefaultSampleDuration: 3000, DefaultSampleSize: 100, DefaultSampleFlags: 0x01010000},
		{ID: 2, Handler: "soun", Timescale: 48000},
	}
	// Track 1: no tfhd defaults (trex applies), tfdt v0; first trun with
	// a data offset, first-sample flags and v1 composition offsets; second
	// trun continuing, with sizes.
	traf1 := mp4Box("traf",
		mp4Box("tfhd", be32(0), be32(1)),
		mp4Box("tfdt", be32(0), be32(9000)),
		mp4Box("trun", be32(1<<24|0x000805), be32(2), be32(8), be32(0x02000000), be32(uint32(0)), be32(0xfffffc18)),
		mp4Box("trun", be32(0x000200), be32(1), be32(50)),
	)
	// Track 2: an explicit base data offset, default size and duration.
	traf2 := mp4Box("traf",
		mp4Box("tfhd", be32(0x000019), be32(2), be64(400), be32(1024), be32(10)),
		mp4Box("tfdt", be32(1<<24), be64(48000)),
		mp4Box("trun", be32(0), be32(3)),
	)
	moof := mp4Box("moof", mp4Box("mfhd", be32(0), be32(1)), traf1, traf2)
	seg := join(mp4Box("styp", []byte("msdh")), moof, mp4Box("mdat", make([]byte, 500)))
	frags, err := hls.ReadFragments(bytes.NewReader(seg), int64(len(seg)), tracks)
	if err != nil {
		t.Fatal(err)
	}
	moofAt := int64(len(mp4Box("styp", []byte("msdh"))))
	want := []hls.Fragment{{Offset: moofAt, Runs: []hls.Run{
		{TrackID: 1, BaseDecodeTime: 9000, Samples: []hls.Sample{
			{Offset: moofAt + 8, Size: 100, Duration: 3000, Flags: 0x02000000},
			{Offset: moofAt + 108, Size: 100, Duration: 3000, Flags: 0x01010000, CompositionOffset: -1000},
			{Offset: moofAt + 208, Size: 50, Duration: 3000, Flags: 0x01010000},
		}},
		{TrackID: 2, BaseDecodeTime: 48000, Samples: []hls.Sample{
			{Offset: 400, Size: 10, Duration: 1024}, {Offset: 410, Size: 10, Duration: 1024}, {Offset: 420, Size: 10, Duration: 1024},
		}},
	}}}
	if !reflect.DeepEqual(frags, want) {
		t.Errorf("got  %+v\nwant %+v", frags, want)
	}

	// Without base offsets, the second traf's data follows the first's.
	traf2 = mp4Box("traf", mp4Box("tfhd", be32(0x000018), be32(2), be32(1024), be32(10)), mp4Box("trun", be32(0), be32(1)))
	moof = mp4Box("moof", traf1, traf2)
	seg = join(moof, mp4Box("mdat", make([]byte, 300)))
	frags, err = hls.ReadFragments(bytes.NewReader(seg), int64(len(seg)), tracks)
	if err != nil {
		t.Fatal(err)
	}
	if got := frags[0].Runs[1].Samples[0].Offset; got != 8+250 {
		t.Errorf("second traf's data at %d, want %d", got, 8+250)
	}
}

func TestReadFragmentsErrors(t *testing.T) {
	tracks := []hls.Track{{ID: 1, Handler: "vide", Timescale: 1000}}
	for _, tt := range []struct {
		name string
		seg  []byte
		want string
	}{
		{"stray bytes", []byte("abc"), "stray bytes"},
		{"box past the end", join(be32(100), []byte("mdat")), "bad size"},
		{"box too small", join(be32(4), []byte("mdat")), "bad size"},
		{"huge 64-bit size", join(be32(1), []byte("mdat"), be64(1<<40)), "box of"},
		{"traf without tfhd", mp4Box("moof", mp4Box("traf")), "tfhd"},
		{"huge sample count", mp4Box("moof", mp4Box("traf", mp4Box("tfhd", be32(0), be32(1)),
			mp4Box("trun", be32(0x200), be32(1<<30)))), "samples in"},
		{"sample outside", mp4Box("moof", mp4Box("traf", mp4Box("tfhd", be32(0x020010), be32(1), be32(1000)),
			mp4Box("trun", be32(0), be32(1)))), "outside the segment"},
		{"short tfhd", mp4Box("moof", mp4Box("traf", mp4Box("tfhd", be32(0x08), be32(1)))), "short tfhd"},
		{"bad tfdt", mp4Box("moof", mp4Box("traf", mp4Box("tfhd", be32(0), be32(1)), mp4Box("tfdt", be32(1<<24)))), "tfdt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hls.ReadFragments(bytes.NewReader(tt.seg), int64(len(tt.seg)), tracks)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// FuzzReadFragments feeds the box reader arbitrary segments: it must never
// panic, and every sample it returns must lie inside the segment.
func FuzzReadFragments(f *testing.F) {
	f.Add(readFile(f, "testdata/av/seg_00000.m4s"))
	f.Add(readFile(f, "testdata/av/seg_00001.m4s"))
	f.Add(mp4Box("moof", mp4Box("traf", mp4Box("tfhd", be32(1), be32(1), be64(0)), mp4Box("trun", be32(0xf05), be32(1), be32(0), be32(0), be32(1), be32(1), be32(1), be32(1)))))
	tracks, err := hls.ParseInit(readFile(f, "testdata/av/init.mp4"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, seg []byte) {
		frags, err := hls.ReadFragments(bytes.NewReader(seg), int64(len(seg)), tracks)
		if err != nil {
			return
		}
		for _, fr := range frags {
			for _, run := range fr.Runs {
				for _, s := range run.Samples {
					if s.Offset < 0 || s.Offset+int64(s.Size) > int64(len(seg)) {
						t.Fatalf("sample %+v outside %d bytes", s, len(seg))
					}
				}
			}
		}
	})
}

// FuzzParseInit checks that ParseInit never panics.
func FuzzParseInit(f *testing.F) {
	f.Add(readFile(f, "testdata/av/init.mp4"))
	f.Add(readFile(f, "testdata/init_video_only.mp4"))
	f.Fuzz(func(t *testing.T, init []byte) {
		hls.ParseInit(init)
	})
}

// TestPresentationStart reads edit lists as Chromium's MSE does (only
// their first entry, an empty edit ignored) and times a rendition's first
// fragment from them: an x264 rung's 2-frame composition offset at 12800
// units a second, cut by its edit (a whole or split encode with
// frag_discont), or not (an empty edit in front, as a whole encode without
// it had).
func TestPresentationStart(t *testing.T) {
	init := func(elst []byte) []byte {
		trak := [][]byte{
			mp4Box("tkhd", be32(0), be32(0), be32(0), be32(1), make([]byte, 60)),
			mp4Box("mdia", mp4Box("hdlr", be32(0), be32(0), []byte("vide")), mp4Box("mdhd", be32(0), be32(0), be32(0), be32(12800), be32(0))),
		}
		if elst != nil {
			trak = append(trak, mp4Box("edts", mp4Box("elst", elst)))
		}
		return mp4Box("moov", mp4Box("trak", trak...))
	}
	// First fragment, frames of 512: decoded from 1024, presented from
	// 2048 (the IDR frame, then a P-frame and the B-frame shown between).
	traf := mp4Box("traf",
		mp4Box("tfhd", be32(0x020008), be32(1), be32(512)),
		mp4Box("tfdt", be32(1<<24), be64(1024)),
		mp4Box("trun", be32(0x000a01), be32(3), be32(0), be32(10), be32(1024), be32(10), be32(2048), be32(10), be32(512)),
	)
	moof := mp4Box("moof", mp4Box("mfhd", be32(0), be32(1)), traf)
	seg := join(moof, mp4Box("mdat", make([]byte, 30)))
	for _, tt := range []struct {
		name      string
		elst      []byte
		empty     bool
		mediaTime int64
		start     int64 // in 12800ths
	}{
		{"no edit list", nil, false, 0, 2048},
		{"no entry", join(be32(0), be32(0)), false, 0, 2048},
		{"media time, version 0", join(be32(0), be32(1), be32(0), be32(1024), be32(1<<16)), false, 1024, 1024},
		{"media time, version 1", join(be32(1<<24), be32(1), be64(0), be64(1024), be32(1<<16)), false, 1024, 1024},
		{"empty edit first", join(be32(0), be32(2), be32(80), be32(0xffffffff), be32(1<<16), be32(0), be32(1024), be32(1<<16)), true, 0, 2048},
	} {
		tracks, err := hls.ParseInit(init(tt.elst))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tr := tracks[0]; tr.EmptyEdit != tt.empty || tr.MediaTime != tt.mediaTime {
			t.Errorf("%s: empty edit %v, media time %d; want %v, %d", tt.name, tr.EmptyEdit, tr.MediaTime, tt.empty, tt.mediaTime)
		}
		frags, err := hls.ReadFragments(bytes.NewReader(seg), int64(len(seg)), tracks)
		if err != nil {
			t.Fatal(err)
		}
		if start, err := hls.PresentationStart(tracks[0], frags[0]); err != nil || start != tt.start {
			t.Errorf("%s: starts at %d (%v), want %d", tt.name, start, err, tt.start)
		}
		if ts, err := hls.MPEGTS(init(tt.elst), bytes.NewReader(seg), int64(len(seg))); err != nil || ts != tt.start*90000/12800 {
			t.Errorf("%s: MPEGTS %d (%v), want %d", tt.name, ts, err, tt.start*90000/12800)
		}
	}
	if _, err := hls.ParseInit(init(join(be32(0), be32(1), be32(0)))); err == nil {
		t.Error("a short elst box did not fail")
	}
	if _, err := hls.MPEGTS(init(nil), bytes.NewReader(nil), 0); err == nil {
		t.Error("a segment without a fragment did not fail")
	}
}
