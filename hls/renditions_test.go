package hls_test

import (
	"strings"
	"testing"

	"reel"
	"reel/hls"
)

// TestMasterOfAudioOnly checks the master of a video without picture, in
// several languages: every audio rendition in the audio group, as with
// video, and one variant, the default's playlist, naming the group, at
// the heaviest rendition's bandwidth; the default's media being the
// variant's, its EXT-X-MEDIA has no URI. In one language, the rendition
// is the variant.
func TestMasterOfAudioOnly(t *testing.T) {
	var b strings.Builder
	err := hls.MasterOf([]reel.Rendition{
		{Name: "audio", Bandwidth: 140_000, AverageBandwidth: 110_000, Codecs: "mp4a.40.2", Channels: 2, Language: "fr", Label: "French", Default: true, AutoSelect: true},
		{Name: "audio2", Bandwidth: 130_000, AverageBandwidth: 120_000, Codecs: "mp4a.40.2", Channels: 2, Language: "en", Label: "English", AutoSelect: true},
		{Name: "audio3", Bandwidth: 125_000, AverageBandwidth: 121_000, Codecs: "mp4a.40.2", Channels: 2, Language: "en", Label: "English (commentary)"},
	}, nil).Encode(&b)
	if err != nil {
		t.Fatal(err)
	}
	want := `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="French",LANGUAGE="fr",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="2",URI="audio2/index.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English (commentary)",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=NO,CHANNELS="2",URI="audio3/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=140000,AVERAGE-BANDWIDTH=121000,CODECS="mp4a.40.2",AUDIO="audio"
audio/index.m3u8
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	if err := hls.MasterOf([]reel.Rendition{{Name: "audio", Bandwidth: 130_000, Codecs: "mp4a.40.2", Language: "en", Default: true}}, nil).Encode(&b); err != nil {
		t.Fatal(err)
	}
	want = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=130000,CODECS=\"mp4a.40.2\"\naudio/index.m3u8\n"
	if b.String() != want {
		t.Errorf("one language: got\n%s\nwant\n%s", b.String(), want)
	}

	// With video, every audio rendition has its URI, the default's too.
	b.Reset()
	err = hls.MasterOf([]reel.Rendition{
		{Name: "360p", Width: 640, Height: 360, Bandwidth: 900_000, Codecs: "avc1.64001e,mp4a.40.2"},
		{Name: "audio", Bandwidth: 130_000, Codecs: "mp4a.40.2", Channels: 2, Label: "English", Default: true},
	}, nil).Encode(&b)
	if err != nil || !strings.Contains(b.String(), `DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"`) {
		t.Errorf("with video (%v):\n%s", err, b.String())
	}
}
