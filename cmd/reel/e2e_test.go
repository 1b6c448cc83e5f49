package main

import (
	"math"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"reel"
	"reel/api"
	"reel/mediatest"
	"reel/s3test"
)

// TestEndToEnd uploads clips of three containers, waits for them to be transcoded and
// plays every rendition back through signed URLs, checking the media with
// ffprobe: once with both stores on local disk, once on a real S3 server.
func TestEndToEnd(t *testing.T) {
	t.Run("disk", func(t *testing.T) { endToEnd(t, startServer(t)) })
	t.Run("s3", func(t *testing.T) {
		s := startServer(t, s3Stores(t)...)
		endToEnd(t, s)
		// With S3 stores nothing of a video is kept on local disk: no
		// original, no output, no temp file of an upload.
		for _, area := range []string{"originals", "outputs"} {
			if left := files(t, filepath.Join(s.data, area)); len(left) != 0 {
				t.Errorf("local %s with S3 stores: %v", area, left)
			}
		}
	})
}

// s3Stores starts versitygw with two buckets and returns the flags that
// put reel's originals and outputs there.
func s3Stores(t *testing.T) []string {
	srv := s3test.Start(t)
	setS3Env(t, srv)
	srv.Bucket(t, "outputs")
	return []string{"--originals", srv.Bucket(t, "originals"), "--outputs", srv.URL("outputs", "hls")}
}

func endToEnd(t *testing.T, s *server) {
	clips := []string{mediatest.Anamorphic, mediatest.AudioFirst, mediatest.WebM}

	var wg sync.WaitGroup
	for _, clip := range clips {
		src := mediatest.Path(t, clip)
		status, v, e := s.upload(src, "clip "+clip)
		if status != http.StatusCreated {
			t.Fatalf("upload %s: %d %+v", clip, status, e)
		}
		if v.Status != "queued" || v.Title != "clip "+clip || v.Filename != filepath.Base(src) {
			t.Errorf("upload %s answered %+v", clip, v)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(clip, func(t *testing.T) { checkPlayback(t, s, v.ID, src) })
		}()
	}
	wg.Wait()
}

func checkPlayback(t *testing.T, s *server, id, src string) {
	v := s.waitFinal(id, 4*time.Minute)
	if v.Status != "ready" {
		t.Fatalf("status %s: %s", v.Status, v.Error)
	}
	source := ffprobe(t, src)
	srcW, srcH := source.displaySize()
	_, _, _, srcHasAudio := source.stream("audio")
	_, _, _, srcHasVideo := source.stream("video")
	if math.Abs(v.Duration-source.duration()) > 0.5 {
		t.Errorf("reported duration %.2f, source %.2f", v.Duration, source.duration())
	}
	if v.Playback == nil || len(v.Renditions) == 0 {
		t.Fatalf("ready video without playback or renditions: %+v", v)
	}
	resp, err := s.client().Post(s.url+"/api/videos/"+id+"/retry", "", nil)
	if err != nil || resp.StatusCode != http.StatusConflict {
		t.Errorf("retry of a ready video: %v %v, want 409", resp.StatusCode, err)
	}
	videoRenditions := 0
	for _, r := range v.Renditions {
		if r.IsAudio() {
			// The audio, encoded once: its own rendition, last.
			if !srcHasAudio || r.Name != "audio" || r.Channels != 2 || r.Bandwidth <= 0 {
				t.Errorf("audio rendition %+v of a source with audio %v", r, srcHasAudio)
			}
			continue
		}
		videoRenditions++
		if !srcHasVideo {
			t.Errorf("audio-only source got a %dx%d rendition", r.Width, r.Height)
			continue
		}
		// Never upscale (allowing a pixel of rounding to even sizes), and
		// keep the aspect ratio.
		if r.Height > srcH+1 || r.Width > srcW+1 {
			t.Errorf("rendition %s %dx%d upscales the %dx%d source", r.Name, r.Width, r.Height, srcW, srcH)
		}
		if got, want := float64(r.Width)/float64(r.Height), float64(srcW)/float64(srcH); math.Abs(got-want) > 0.03 {
			t.Errorf("rendition %s aspect %.3f, source %.3f", r.Name, got, want)
		}
		if r.Bandwidth <= 0 || r.AverageBandwidth <= 0 || r.AverageBandwidth > r.Bandwidth {
			t.Errorf("rendition %s bandwidth %d average %d", r.Name, r.Bandwidth, r.AverageBandwidth)
		}
	}

	resp, body := s.get(v.Playback.URL)
	mustStatus(t, "master", resp, body, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.apple.mpegurl" {
		t.Errorf("master Content-Type %q", ct)
	}
	if cors := resp.Header.Get("Access-Control-Allow-Origin"); cors != "*" {
		t.Errorf("master Access-Control-Allow-Origin %q", cors)
	}
	master := string(body)
	tags := []string{"BANDWIDTH=", "AVERAGE-BANDWIDTH=", "CODECS="}
	if srcHasVideo {
		tags = append(tags, "RESOLUTION=", "FRAME-RATE=")
	}
	variants := streamURIs(master)
	if srcHasVideo && srcHasAudio {
		// Every variant plays the one audio rendition.
		tags = append(tags, `AUDIO="audio"`)
		if !strings.Contains(master, `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",`) {
			t.Errorf("master lacks the audio group:\n%s", master)
		}
	}
	for _, tag := range tags {
		if strings.Count(master, "#EXT-X-STREAM-INF:"+tag)+strings.Count(master, ","+tag) < len(variants) {
			t.Errorf("master lacks %s on every variant:\n%s", tag, master)
		}
	}
	if want := max(videoRenditions, 1); len(variants) != want {
		t.Fatalf("master lists %d variants, API %d renditions with video", len(variants), videoRenditions)
	}
	audioURIs := mediaURIs(master)
	if want := srcHasVideo && srcHasAudio; (len(audioURIs) == 1) != want || len(audioURIs) > 1 {
		t.Errorf("master lists audio renditions %v; want one: %v", audioURIs, want)
	}

	base := strings.TrimSuffix(v.Playback.URL, reel.MasterPlaylist)
	dir := t.TempDir()
	for _, variant := range append(variants, audioURIs...) {
		audioRendition := slices.Contains(audioURIs, variant)
		resp, body := s.get(base + variant)
		mustStatus(t, variant, resp, body, http.StatusOK)
		playlist := string(body)
		if !strings.Contains(playlist, "#EXT-X-PLAYLIST-TYPE:VOD") {
			t.Errorf("%s is not a VOD playlist", variant)
		}
		segments, initURI := uris(playlist)
		if initURI == "" || len(segments) == 0 {
			t.Fatalf("%s has no init segment or no segments:\n%s", variant, playlist)
		}
		vdir := base + path.Dir(variant) + "/"

		// Init + every segment make the whole rendition: check its media.
		whole := filepath.Join(dir, path.Dir(variant)+".mp4")
		f, err := os.Create(whole)
		if err != nil {
			t.Fatal(err)
		}
		for j, uri := range append([]string{initURI}, segments...) {
			resp, body := s.get(vdir + uri)
			mustStatus(t, uri, resp, body, http.StatusOK)
			if j == 1 {
				checkSegmentHeaders(t, s, vdir+uri, resp, len(body))
			}
			f.Write(body)
		}
		f.Close()
		got := ffprobe(t, whole)
		codec, w, h, hasVideo := got.stream("video")
		r := renditionNamed(v, path.Dir(variant))
		// A video rendition is video alone when the source has audio: that
		// is the audio rendition's.
		wantVideo := srcHasVideo && !audioRendition
		wantAudio := srcHasAudio && (audioRendition || !srcHasVideo)
		if hasVideo != wantVideo || wantVideo && (codec != "h264" || w != r.Width || h != r.Height) {
			t.Errorf("%s: video %v %s %dx%d, want %v h264 %dx%d", variant, hasVideo, codec, w, h, wantVideo, r.Width, r.Height)
		}
		if _, _, _, hasAudio := got.stream("audio"); hasAudio != wantAudio {
			t.Errorf("%s: audio %v, want %v", variant, hasAudio, wantAudio)
		}
		if d := got.duration(); math.Abs(d-source.duration()) > 0.5 {
			t.Errorf("%s: duration %.2f, source %.2f", variant, d, source.duration())
		}
	}

	resp, body = s.get(v.Playback.PosterURL)
	mustStatus(t, "poster", resp, body, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" || len(body) < 1000 {
		t.Errorf("poster: %s, %d bytes", ct, len(body))
	}
}

// checkSegmentHeaders checks caching, MIME type and range requests of a
// media segment.
func checkSegmentHeaders(t *testing.T, s *server, url string, resp *http.Response, size int) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "video/iso.segment" {
		t.Errorf("segment Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("segment Cache-Control %q", cc)
	}
	ranged, body := s.get(url, "Range", "bytes=100-199")
	if ranged.StatusCode != http.StatusPartialContent || len(body) != 100 {
		t.Errorf("range request: %d, %d bytes", ranged.StatusCode, len(body))
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		cond, _ := s.get(url, "If-Modified-Since", lm)
		if cond.StatusCode != http.StatusNotModified {
			t.Errorf("conditional GET: %d, want 304", cond.StatusCode)
		}
	} else {
		t.Error("segment without Last-Modified")
	}
}

// streamURIs returns the URIs of a master playlist's variant streams, not
// its I-frame playlists.
func streamURIs(master string) []string {
	var out []string
	lines := strings.Split(master, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#EXT-X-STREAM-INF:") && i+1 < len(lines) {
			out = append(out, strings.TrimSpace(lines[i+1]))
		}
	}
	return out
}

// mediaURIs returns the URIs of the audio renditions a master lists.
func mediaURIs(master string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^#EXT-X-MEDIA:TYPE=AUDIO,.*URI="([^"]+)"`).FindAllStringSubmatch(master, -1) {
		out = append(out, m[1])
	}
	return out
}

// renditionNamed returns the video's rendition with the name.
func renditionNamed(v api.Video, name string) (r struct{ Width, Height int }) {
	for _, x := range v.Renditions {
		if x.Name == name {
			r.Width, r.Height = x.Width, x.Height
		}
	}
	return r
}

// TestMoreMedia plays back every other kind of clip through the server:
// old phone video, audio only, no audio, HEVC, odd sizes and frame rates,
// and the extra real clips REEL_TEST_MEDIA names, if any.
func TestMoreMedia(t *testing.T) {
	if testing.Short() {
		t.Skip("transcodes seven clips")
	}
	s := startServer(t)
	sources := map[string]string{} // subtest name → clip
	for _, clip := range []string{mediatest.Phone, mediatest.AudioOnly, mediatest.Matroska, mediatest.Camera,
		mediatest.HEVC720, mediatest.HEVC, mediatest.Odd} {
		sources[clip] = mediatest.Path(t, clip)
	}
	for _, src := range mediatest.Extra(t) {
		sources["extra/"+filepath.Base(src)] = src
	}
	var wg sync.WaitGroup
	for name, src := range sources {
		status, v, e := s.upload(src, name)
		if status != http.StatusCreated {
			t.Fatalf("upload %s: %d %+v", name, status, e)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name, func(t *testing.T) { checkPlayback(t, s, v.ID, src) })
		}()
	}
	wg.Wait()
}
