package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reel"
	"reel/api"
	"reel/hls"
)

// captionMaster is a published master playlist with an audio group and
// an I-frame playlist, which caption edits must leave as they are.
const captionMaster = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=700000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=25.000,AUDIO="audio"
360p/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.64001e",RESOLUTION=640x360,URI="360p/iframes.m3u8"
`

// putCaptionVideo publishes master as the video id's master playlist with
// its one variant, 360p: a 10 fps H.264 and AAC rendition (from package
// hls's test data, encoded with an empty edit of 0.2 s in front, as whole
// encodes were), whose first frame Chromium presents at 0.2 s.
func putCaptionVideo(t *testing.T, s *Server, id, master string) {
	t.Helper()
	prefix := reel.OutputPrefix(id)
	for _, name := range []string{reel.MediaPlaylist, reel.InitSegment, "seg_00000.m4s", "seg_00001.m4s"} {
		data, err := os.ReadFile(filepath.Join("..", "hls", "testdata", "av", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Outputs.Put(context.Background(), prefix+"360p/"+name, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Outputs.Put(context.Background(), prefix+reel.MasterPlaylist, strings.NewReader(master)); err != nil {
		t.Fatal(err)
	}
}

// captionHead is the start of every WebVTT segment of a caption of a
// video put by putCaptionVideo: cue time 0 at its first frame, 0.2 s in.
const captionHead = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:18000,LOCAL:00:00:00.000\n"

// TestCaptions uploads, replaces, lists and deletes captions through the
// API, as their owner may and others may not, and plays them through the
// playback URL handed out before the first upload.
func TestCaptions(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	ctx := context.Background()
	id := e.video["alice-public"]
	duration := 10.0
	if _, err := e.store.UpdateVideo(ctx, id, reel.VideoUpdate{Duration: &duration}); err != nil {
		t.Fatal(err)
	}
	putCaptionVideo(t, e.s, id, captionMaster)
	_, _, b := e.do(req{method: "GET", path: "/api/videos/" + id, key: "alice"})
	playback := decode[api.Video](t, b).Playback
	if playback == nil {
		t.Fatalf("no playback URL: %s", b)
	}
	base := strings.TrimSuffix(playback.URL, reel.MasterPlaylist)
	play := func(file string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + file)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	put := func(key, lang, query, body string) (int, []byte) {
		t.Helper()
		status, _, b := e.do(req{method: "PUT", path: "/api/videos/" + id + "/captions/" + lang + query, key: key, body: strings.NewReader(body)})
		return status, b
	}
	srt := "1\r\n00:00:01,000 --> 00:00:03,000\r\n<i>Hello</i> & welcome\r\n\r\n2\r\n00:00:04,000 --> 00:00:05,000\r\nBye\r\n"

	// Only the owner (or an admin) may add captions.
	for key, want := range map[string]int{"": 401, "viewer": 403, "bob": 403} {
		if status, b := put(key, "en", "", srt); status != want {
			t.Errorf("PUT as %q: %d %s, want %d", key, status, b, want)
		}
	}
	// The master as a player's cache holds it before the upload.
	before, err := http.Get(base + reel.MasterPlaylist)
	if err != nil {
		t.Fatal(err)
	}
	before.Body.Close()
	status, b := put("alice", "en", "?label=English+(CC)", srt)
	if status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", status, b)
	}
	if c := decode[api.Caption](t, b); c != (api.Caption{Language: "en", Label: "English (CC)", Source: "upload"}) {
		t.Errorf("caption %+v", c)
	}
	// The master names it, and the playback URL from before plays it:
	// the SubRip as WebVTT.
	_, master := play(reel.MasterPlaylist)
	uri := subtitleURI(t, master, `NAME="English (CC)",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES`)
	if !strings.Contains(master, `AUDIO="audio",SUBTITLES="subs"`) || !strings.Contains(master, `URI="360p/iframes.m3u8"`) {
		t.Errorf("master:\n%s", master)
	}
	// Rewritten within the same second, it keeps its Last-Modified: the
	// ETag tells a revalidating cache that it changed.
	cond, _ := http.NewRequest("GET", base+reel.MasterPlaylist, nil)
	cond.Header.Set("If-Modified-Since", before.Header.Get("Last-Modified"))
	cond.Header.Set("If-None-Match", before.Header.Get("ETag"))
	resp, err := http.DefaultClient.Do(cond)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || before.Header.Get("ETag") == resp.Header.Get("ETag") {
		t.Errorf("revalidated master: %s, ETag %q then %q", resp.Status, before.Header.Get("ETag"), resp.Header.Get("ETag"))
	}
	// Published as the source's subtitles are: WebVTT segments on the
	// video's 6 s grid, in a folder named by the content, each with the
	// timestamp map of the video's start.
	if !strings.HasPrefix(uri, "captions/en/") || !strings.HasSuffix(uri, "/index.m3u8") {
		t.Errorf("caption playlist URI %q", uri)
	}
	status, playlist := play(uri)
	if status != 200 || !strings.HasSuffix(playlist, "#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"+
		"#EXTINF:6.000,\nseg_00000.vtt\n#EXTINF:4.000,\nseg_00001.vtt\n#EXT-X-ENDLIST\n") {
		t.Fatalf("caption playlist %s: %d\n%s", uri, status, playlist)
	}
	dir := strings.TrimSuffix(uri, reel.MediaPlaylist)
	head := captionHead
	vttURI := dir + "seg_00000.vtt"
	for file, want := range map[string]string{
		vttURI:                head + "\n00:00:01.000 --> 00:00:03.000\n<i>Hello</i> &amp; welcome\n\n00:00:04.000 --> 00:00:05.000\nBye\n",
		dir + "seg_00001.vtt": head,
	} {
		if status, vtt := play(file); status != 200 || vtt != want {
			t.Errorf("caption %s: %d\n%s\nwant\n%s", file, status, vtt, want)
		}
	}

	// A second language, its label from the header; then the first
	// replaced: one rendition per language, the old files gone.
	status, _, b = e.do(req{method: "PUT", path: "/api/videos/" + id + "/captions/pt-BR", key: "admin",
		header: map[string]string{"Caption-Label": `Português "BR"`}, body: strings.NewReader("WEBVTT\n\n00:02.000 --> 00:03.000\nOlá\n")})
	if status != http.StatusCreated || decode[api.Caption](t, b).Language != "pt-BR" {
		t.Fatalf("PUT pt-br: %d %s", status, b)
	}
	if status, b := put("alice", "en", "", "WEBVTT\n\n00:01.000 --> 00:02.000\nHi again\n"); status != http.StatusOK {
		t.Fatalf("replace: %d %s", status, b)
	}
	_, master = play(reel.MasterPlaylist)
	if strings.Count(master, "TYPE=SUBTITLES") != 2 || strings.Contains(master, uri) {
		t.Errorf("after replacing:\n%s", master)
	}
	for _, file := range []string{vttURI, dir + "seg_00001.vtt", uri} {
		if status, _ := play(file); status != http.StatusNotFound {
			t.Errorf("old caption file %s: %d", file, status)
		}
	}
	_, _, b = e.do(req{method: "GET", path: "/api/videos/" + id + "/captions", key: "viewer"})
	list := decode[api.CaptionList](t, b).Captions
	if len(list) != 2 || list[0] != (api.Caption{Language: "pt-BR", Label: "Português 'BR'", Source: "upload"}) ||
		list[1] != (api.Caption{Language: "en", Label: "English", Source: "upload"}) {
		t.Errorf("list %+v from %s", list, b)
	}

	// Delete: the master as it was once both are gone.
	for _, lang := range []string{"en", "pt-BR"} {
		if status, _, b := e.do(req{method: "DELETE", path: "/api/videos/" + id + "/captions/" + lang, key: "alice"}); status != http.StatusNoContent {
			t.Errorf("DELETE %s: %d %s", lang, status, b)
		}
	}
	if _, master = play(reel.MasterPlaylist); master != captionMaster {
		t.Errorf("after deleting:\n%s", master)
	}
	if status, _, _ := e.do(req{method: "DELETE", path: "/api/videos/" + id + "/captions/en", key: "alice"}); status != http.StatusNotFound {
		t.Errorf("DELETE again: %d", status)
	}
}

// TestCaptionsOneFile deletes and replaces a caption published as one
// WebVTT file and its playlist, as captions were before they were
// segmented: both files go.
func TestCaptionsOneFile(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	ctx := context.Background()
	id := e.video["alice-public"]
	prefix := reel.OutputPrefix(id)
	old := strings.Replace(captionMaster, "#EXT-X-STREAM-INF:", `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="captions/en/0123456789abcdef.m3u8"`+"\n#EXT-X-STREAM-INF:", 1)
	old = strings.Replace(old, `AUDIO="audio"`, `AUDIO="audio",SUBTITLES="subs"`, 1)
	for name, data := range map[string]string{
		reel.MasterPlaylist:                 old,
		"captions/en/0123456789abcdef.m3u8": "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.000,\n0123456789abcdef.vtt\n#EXT-X-ENDLIST\n",
		"captions/en/0123456789abcdef.vtt":  "WEBVTT\n\n00:01.000 --> 00:02.000\nOld\n",
	} {
		if _, err := e.s.Outputs.Put(ctx, prefix+name, strings.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	if status, _, b := e.do(req{method: "DELETE", path: "/api/videos/" + id + "/captions/en", key: "alice"}); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", status, b)
	}
	for _, name := range []string{"captions/en/0123456789abcdef.m3u8", "captions/en/0123456789abcdef.vtt"} {
		if b, err := e.s.Outputs.Open(ctx, prefix+name); err == nil {
			b.Close()
			t.Errorf("%s left behind", name)
		}
	}
	if master, err := e.s.readMaster(ctx, id); err != nil || string(master) != captionMaster {
		t.Errorf("master (%v):\n%s", err, master)
	}
}

// subtitleURI returns the URI of the master's subtitle rendition whose
// attributes contain attrs.
func subtitleURI(t *testing.T, master, attrs string) string {
	t.Helper()
	for _, line := range strings.Split(master, "\n") {
		if strings.HasPrefix(line, "#EXT-X-MEDIA:TYPE=SUBTITLES,") && strings.Contains(line, attrs) {
			_, uri, _ := strings.Cut(line, `URI="`)
			return strings.TrimSuffix(uri, `"`)
		}
	}
	t.Fatalf("no subtitle rendition with %s in\n%s", attrs, master)
	return ""
}

// TestCaptionListAnonymous checks that the captions of a video anyone
// may watch (public, or unlisted by its id) are listed to anyone, as the
// video itself is, while a private one stays hidden and changing
// captions still needs a key.
func TestCaptionListAnonymous(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	ctx := context.Background()
	for _, name := range []string{"alice-public", "alice-unlisted", "alice-private"} {
		if _, err := e.s.Outputs.Put(ctx, reel.OutputPrefix(e.video[name])+reel.MasterPlaylist, strings.NewReader(captionMaster)); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]int{"alice-public": 200, "alice-unlisted": 200, "alice-private": 404} {
		status, _, b := e.do(req{method: "GET", path: "/api/videos/" + e.video[name] + "/captions"})
		if status != want {
			t.Errorf("anonymous GET captions of %s: %d %s, want %d", name, status, b, want)
		}
		if want == 200 && strings.TrimSpace(string(b)) != `{"captions":[]}` {
			t.Errorf("anonymous GET captions of %s: %s", name, b)
		}
	}
	status, _, b := e.do(req{method: "PUT", path: "/api/videos/" + e.video["alice-public"] + "/captions/en",
		body: strings.NewReader("WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n")})
	if status != http.StatusUnauthorized {
		t.Errorf("anonymous PUT: %d %s, want 401", status, b)
	}
}

// TestCaptionsHostile sends what must be refused, each with a clear 4xx,
// and checks the master is left untouched.
func TestCaptionsHostile(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	ctx := context.Background()
	id := e.video["alice-public"]
	duration := 10.0
	if _, err := e.store.UpdateVideo(ctx, id, reel.VideoUpdate{Duration: &duration}); err != nil {
		t.Fatal(err)
	}
	putCaptionVideo(t, e.s, id, captionMaster)
	good := "WEBVTT\n\n00:01.000 --> 00:02.000\nfine\n"
	processing := e.addVideo("alice", reel.VisibilityPublic)
	status := reel.StatusProcessing
	if _, err := e.store.UpdateVideo(ctx, processing, reel.VideoUpdate{Status: &status}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, video, lang, query, body string
		status                         int
		msg                            string
	}{
		{"language not BCP 47", id, "english", "", good, 400, "BCP 47"},
		{"language with underscore", id, "en_US", "", good, 400, "BCP 47"},
		{"language with private use", id, "en-x-hack", "", good, 400, "BCP 47"},
		{"language in another case", id, "pt-br", "", good, 400, "spelled pt-BR"},
		{"language as ISO 639-2", id, "eng", "", good, 400, "spelled en"},
		{"deprecated language", id, "iw", "", good, 400, "spelled he"},
		{"binary", id, "en", "", "\x89PNG\r\n\x1a\n\x00\x00", 400, "binary"},
		{"not captions", id, "en", "", "<html><script>alert(1)</script></html>", 400, "neither WebVTT nor SubRip"},
		{"script in a cue", id, "en", "", "WEBVTT\n\n00:01.000 --> 00:02.000\n<script>alert(1)</script>\n", 400, "<script>"},
		{"image in a SubRip cue", id, "en", "", "1\n00:00:01,000 --> 00:00:02,000\n<img src=x onerror=alert(1)>\n", 400, "<img"},
		{"cue after the end", id, "en", "", "WEBVTT\n\n01:00:00.000 --> 01:00:01.000\nlate\n", 400, "after the video's end"},
		{"time out of range", id, "en", "", "WEBVTT\n\n00:00:61.000 --> 00:01:02.000\nx\n", 400, "past 59"},
		{"huge", id, "en", "", "WEBVTT\n\n" + strings.Repeat("00:01.000 --> 00:02.000\nx\n\n", 200000), 413, "MiB"},
		{"label too long", id, "en", "?label=" + strings.Repeat("a", 101), good, 400, "label"},
		{"not ready", processing, "en", "", good, 409, "ready"},
		{"no such video", "aaaaaaaaaaaaaaaa", "en", "", good, 404, ""},
	} {
		status, _, b := e.do(req{method: "PUT", path: "/api/videos/" + tt.video + "/captions/" + tt.lang + tt.query, key: "alice", body: bytes.NewReader([]byte(tt.body))})
		if status != tt.status || !strings.Contains(decode[api.ErrorResponse](t, b).Error.Message, tt.msg) {
			t.Errorf("%s: %d %s, want %d saying %q", tt.name, status, b, tt.status, tt.msg)
		}
	}
	b, err := e.s.Outputs.Open(ctx, reel.OutputPrefix(id)+reel.MasterPlaylist)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if master, _ := io.ReadAll(b); string(master) != captionMaster {
		t.Errorf("master changed:\n%s", master)
	}
}

// TestCaptionMPEGTS holds an uploaded caption's X-TIMESTAMP-MAP to where
// the video presents its first frame, read from its outputs: encrypted
// (AES-128, the segment decrypted with the video's key) as in the clear;
// and refuses a caption, leaving the master as it was, when the video's
// renditions cannot be read.
func TestCaptionMPEGTS(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}).populate()
	ctx := context.Background()
	id := e.video["alice-public"]
	duration := 10.0
	if _, err := e.store.UpdateVideo(ctx, id, reel.VideoUpdate{Duration: &duration}); err != nil {
		t.Fatal(err)
	}
	prefix := reel.OutputPrefix(id)
	putCaptionVideo(t, e.s, id, captionMaster)
	// Encrypted as publishing encrypts a video: each segment whole, the
	// playlist naming the key after its map.
	key := bytes.Repeat([]byte{7}, hls.KeySize)
	seg, err := os.ReadFile(filepath.Join("..", "hls", "testdata", "av", "seg_00000.m4s"))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := hls.EncryptSegment(key, 0, seg)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := os.ReadFile(filepath.Join("..", "hls", "testdata", "av", reel.MediaPlaylist))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"360p/seg_00000.m4s":         enc,
		"360p/" + reel.MediaPlaylist: hls.AddKey(pl, "../"+reel.ContentKey),
		reel.ContentKey:              key,
	} {
		if _, err := e.s.Outputs.Put(ctx, prefix+name, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	if status, _, b := e.do(req{method: "PUT", path: "/api/videos/" + id + "/captions/en", key: "alice", body: strings.NewReader("WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n")}); status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", status, b)
	}
	master, err := e.s.readMaster(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	subs, err := hls.Subtitles(master)
	if err != nil || len(subs) != 1 {
		t.Fatalf("subtitles %+v, %v", subs, err)
	}
	vtt, err := e.s.readOutput(ctx, prefix+strings.TrimSuffix(subs[0].URI, reel.MediaPlaylist)+"seg_00000.vtt", 1<<20)
	if err != nil || !strings.HasPrefix(string(vtt), captionHead) {
		t.Errorf("caption of an encrypted video (%v):\n%s\nwant it to start\n%s", err, vtt, captionHead)
	}

	// Its first segment gone: refused, the master as it was.
	if err := e.s.Outputs.Delete(ctx, prefix+"360p/seg_00000.m4s"); err != nil {
		t.Fatal(err)
	}
	if status, _, b := e.do(req{method: "PUT", path: "/api/videos/" + id + "/captions/fr", key: "alice", body: strings.NewReader("WEBVTT\n\n00:01.000 --> 00:02.000\nSalut\n")}); status < 400 {
		t.Errorf("PUT with the renditions unreadable: %d %s", status, b)
	}
	if after, err := e.s.readMaster(ctx, id); err != nil || !bytes.Equal(after, master) {
		t.Errorf("master changed (%v):\n%s", err, after)
	}
}
