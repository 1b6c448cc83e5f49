package hls_test

import (
	"strings"
	"testing"

	"reel/hls"
)

func TestWriteMaster(t *testing.T) {
	var b strings.Builder
	err := hls.WriteMaster(&b, []hls.Variant{
		{URI: "720p/index.m3u8", Bandwidth: 2_900_000, AverageBandwidth: 2_000_000,
			Codecs: "avc1.64001f,mp4a.40.2", Width: 1280, Height: 720, FrameRate: 30000.0 / 1001},
		{URI: "360p/index.m3u8", Bandwidth: 900_000, AverageBandwidth: 600_000,
			Codecs: "avc1.64001e,mp4a.40.2", Width: 640, Height: 360, FrameRate: 30000.0 / 1001},
		{URI: "x/index.m3u8", Bandwidth: 1000}, // optional attributes left out
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=1000
x/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=600000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2900000,AVERAGE-BANDWIDTH=2000000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=29.970
720p/index.m3u8
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteMasterErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		variants []hls.Variant
	}{
		{"no variants", nil},
		{"no URI", []hls.Variant{{Bandwidth: 1}}},
		{"newline in URI", []hls.Variant{{URI: "a\n#EXT-X-ENDLIST", Bandwidth: 1}}},
		{"tag as URI", []hls.Variant{{URI: "#a", Bandwidth: 1}}},
		{"no bandwidth", []hls.Variant{{URI: "a.m3u8"}}},
		{"quote in codecs", []hls.Variant{{URI: "a.m3u8", Bandwidth: 1, Codecs: `a",B=1`}}},
		{"negative", []hls.Variant{{URI: "a.m3u8", Bandwidth: 1, Width: -1}}},
	} {
		if err := hls.WriteMaster(&strings.Builder{}, tt.variants); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestWriteMasterIFrames(t *testing.T) {
	var b strings.Builder
	err := hls.WriteMaster(&b, []hls.Variant{
		{URI: "audio/index.m3u8", Bandwidth: 140_000, AverageBandwidth: 131_000, Codecs: "mp4a.40.2"},
	},
		hls.IFrameVariant{URI: "720p/iframes.m3u8", Bandwidth: 300_000, AverageBandwidth: 250_000, Codecs: "avc1.64001f", Width: 1280, Height: 720},
		hls.IFrameVariant{URI: "360p/iframes.m3u8", Bandwidth: 90_000, Codecs: "avc1.64001e", Width: 640, Height: 360},
	)
	if err != nil {
		t.Fatal(err)
	}
	// Audio only: no RESOLUTION, no FRAME-RATE. I-frame playlists by
	// bandwidth, after the variants, with their URI as an attribute.
	want := `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=140000,AVERAGE-BANDWIDTH=131000,CODECS="mp4a.40.2"
audio/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.64001e",RESOLUTION=640x360,URI="360p/iframes.m3u8"
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=300000,AVERAGE-BANDWIDTH=250000,CODECS="avc1.64001f",RESOLUTION=1280x720,URI="720p/iframes.m3u8"
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	v := []hls.Variant{{URI: "a.m3u8", Bandwidth: 1}}
	for _, bad := range []hls.IFrameVariant{{URI: "i.m3u8"}, {URI: `i".m3u8`, Bandwidth: 1}, {Bandwidth: 1}} {
		if err := hls.WriteMaster(&strings.Builder{}, v, bad); err == nil {
			t.Errorf("I-frame variant %+v: no error", bad)
		}
	}
}

func TestWriteMasterAudioGroup(t *testing.T) {
	audio := hls.Variant{URI: "audio/index.m3u8", Bandwidth: 130_000, AverageBandwidth: 128_000, Codecs: "mp4a.40.2"}
	variants := hls.WithAudio([]hls.Variant{
		{URI: "720p/index.m3u8", Bandwidth: 2_900_000, AverageBandwidth: 2_000_000, Codecs: "avc1.64001f", Width: 1280, Height: 720, FrameRate: 30},
		{URI: "360p/index.m3u8", Bandwidth: 900_000, Codecs: "avc1.64001e", Width: 640, Height: 360, FrameRate: 30},
	}, "aac", audio)
	var b strings.Builder
	err := hls.Master{
		Audio:    []hls.Audio{{GroupID: "aac", Name: "English", Language: "en", Channels: 2, URI: audio.URI, Default: true}},
		Variants: variants,
	}.Encode(&b)
	if err != nil {
		t.Fatal(err)
	}
	// Audio first; each variant counts the audio in its bandwidths (the
	// average only when both are known) and codecs, and names the group.
	want := `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=1030000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000,AUDIO="aac"
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=3030000,AVERAGE-BANDWIDTH=2128000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="aac"
720p/index.m3u8
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}

	// A group without a rendition, or a rendition with a quote, is refused.
	for _, m := range []hls.Master{
		{Variants: variants},
		{Audio: []hls.Audio{{GroupID: "aac", Name: `a"b`, URI: audio.URI}}, Variants: variants},
		{Audio: []hls.Audio{{GroupID: "aac", URI: audio.URI}}, Variants: variants},
	} {
		if err := m.Encode(&strings.Builder{}); err == nil {
			t.Errorf("%+v: no error", m)
		}
	}
}
