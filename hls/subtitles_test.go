package hls_test

import (
	"strings"
	"testing"

	"reel/hls"
)

const masterWithAudio = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=700000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=1900000,AVERAGE-BANDWIDTH=1700000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=25.000,AUDIO="audio"
720p/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.64001e",RESOLUTION=640x360,URI="360p/iframes.m3u8"
`

func TestRewriteSubtitles(t *testing.T) {
	add := func(s hls.Subtitle) func([]hls.Subtitle) []hls.Subtitle {
		return func(subs []hls.Subtitle) []hls.Subtitle { return append(subs, s) }
	}
	got, err := hls.RewriteSubtitles([]byte(masterWithAudio), add(hls.Subtitle{Name: "English", Language: "en", URI: "captions/en/a.m3u8", AutoSelect: true}))
	if err != nil {
		t.Fatal(err)
	}
	got, err = hls.RewriteSubtitles(got, add(hls.Subtitle{Name: "English", Language: "en-GB", URI: "captions/en-GB/b.m3u8"}))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		`URI="audio/index.m3u8"`+"\n", `URI="audio/index.m3u8"`+"\n"+
			`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="captions/en/a.m3u8"`+"\n"+
			`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English 2",LANGUAGE="en-GB",DEFAULT=NO,AUTOSELECT=NO,URI="captions/en-GB/b.m3u8"`+"\n",
		`AUDIO="audio"`, `AUDIO="audio",SUBTITLES="subs"`,
	).Replace(masterWithAudio)
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	subs, err := hls.Subtitles(got)
	if err != nil || len(subs) != 2 || subs[1].Language != "en-GB" || subs[1].Name != "English 2" || !subs[0].AutoSelect {
		t.Errorf("Subtitles: %+v, %v", subs, err)
	}

	// Removing them all gives back the master as it was.
	back, err := hls.RewriteSubtitles(got, func([]hls.Subtitle) []hls.Subtitle { return nil })
	if err != nil || string(back) != masterWithAudio {
		t.Errorf("without subtitles (%v):\n%s", err, back)
	}

	// What would break the playlist is refused.
	for _, s := range []hls.Subtitle{{Name: `a"b`, URI: "x.m3u8"}, {Name: "a", URI: "x\n#EXT-X-ENDLIST"}, {URI: "x.m3u8"}} {
		if _, err := hls.RewriteSubtitles([]byte(masterWithAudio), add(s)); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if _, err := hls.RewriteSubtitles([]byte("<html>"), add(hls.Subtitle{Name: "a", URI: "a"})); err == nil {
		t.Error("not a playlist, accepted")
	}
}
