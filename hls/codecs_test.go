package hls_test

import (
	"encoding/binary"
	"os"
	"testing"

	"reel/hls"
)

func TestCodecs(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		// ffmpeg 5.1, libx264 High at level 3.0 (640x360) and AAC-LC.
		{"testdata/init_avc_aac.mp4", "avc1.64001e,mp4a.40.2"},
		// libx264 Main, no audio.
		{"testdata/init_video_only.mp4", "avc1.4d400c"},
	} {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := hls.Codecs(data)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if got != tt.want {
			t.Errorf("%s: Codecs = %q, want %q", tt.file, got, tt.want)
		}
	}
}

// mp4Box returns an ISO BMFF box of type typ holding the bodies.
func mp4Box(typ string, bodies ...[]byte) []byte {
	b := make([]byte, 8)
	copy(b[4:], typ)
	for _, body := range bodies {
		b = append(b, body...)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

// desc returns an MPEG-4 descriptor with a one-byte size.
func desc(tag byte, body ...byte) []byte { return append([]byte{tag, byte(len(body))}, body...) }

// initWithAudio builds a minimal init segment whose only track is an mp4a
// sample entry with the given esds body.
func initWithAudio(esds []byte) []byte {
	entry := mp4Box("mp4a", make([]byte, 28), mp4Box("esds", make([]byte, 4), esds))
	stsd := mp4Box("stsd", make([]byte, 8), entry)
	trak := mp4Box("trak", mp4Box("mdia", mp4Box("minf", mp4Box("stbl", stsd))))
	return append(mp4Box("ftyp", []byte("iso6")), mp4Box("moov", trak)...)
}

func TestCodecsAudioObjectTypes(t *testing.T) {
	decConfig := func(oti byte, asc ...byte) []byte {
		body := append([]byte{oti, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, desc(0x05, asc...)...)
		return desc(0x04, body...)
	}
	es := func(flags byte, extra []byte, dc []byte) []byte {
		body := append([]byte{0, 1, flags}, extra...)
		return desc(0x03, append(body, dc...)...)
	}
	for _, tt := range []struct {
		name string
		esds []byte
		want string
	}{
		{"AAC-LC", es(0, nil, decConfig(0x40, 0x12, 0x10)), "mp4a.40.2"},
		{"HE-AAC", es(0, nil, decConfig(0x40, 0x2b, 0x92)), "mp4a.40.5"},
		{"escaped type 42 (USAC)", es(0, nil, decConfig(0x40, 0xf9, 0x40)), "mp4a.40.42"},
		{"MP3", es(0, nil, decConfig(0x6b)), "mp4a.6b"},
		{"optional ES fields", es(0xe0, []byte{0, 2, 3, 'a', 'b', 'c', 0, 4}, decConfig(0x40, 0x12, 0x10)), "mp4a.40.2"},
		{"four-byte sizes", []byte{0x03, 0x80, 0x80, 0x80, 28, 0, 1, 0,
			0x04, 0x80, 0x80, 0x80, 20, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0x05, 0x80, 0x80, 0x80, 2, 0x12, 0x10}, "mp4a.40.2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hls.Codecs(initWithAudio(tt.esds))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Codecs = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCodecsErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"no moov", mp4Box("ftyp", []byte("iso6"))},
		{"empty moov", mp4Box("moov")},
		{"truncated esds", initWithAudio([]byte{0x03, 40, 0, 1})},
		{"hevc", mp4Box("moov", mp4Box("trak", mp4Box("mdia", mp4Box("minf", mp4Box("stbl",
			mp4Box("stsd", make([]byte, 8), mp4Box("hvc1", make([]byte, 78))))))))},
	} {
		if got, err := hls.Codecs(tt.data); err == nil {
			t.Errorf("%s: Codecs = %q, want an error", tt.name, got)
		}
	}
}

func FuzzCodecs(f *testing.F) {
	for _, name := range []string{"testdata/init_avc_aac.mp4", "testdata/init_video_only.mp4"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add(initWithAudio([]byte{0x03, 0x80, 0x80, 0x80, 0x7f}))
	f.Fuzz(func(t *testing.T, data []byte) {
		hls.Codecs(data) // must not panic or hang
	})
}
