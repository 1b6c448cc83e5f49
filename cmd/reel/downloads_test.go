package main

import (
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/api"
	"reel/mediatest"
)

// TestDownloads transcodes a clip under --downloads and fetches its
// downloads as a browser would: with the signed URLs the video's JSON
// names, as attachments named after the title, holding the top rung's
// codecs for the video's duration; refused without a valid token. An
// encrypted video has none, and neither has a video without the flag.
func TestDownloads(t *testing.T) {
	src := mediatest.Path(t, mediatest.Odd)
	s := startServer(t, "--downloads")
	v := uploadReady(t, s, src, title)
	checkDownloads(t, s, v)

	// A split video gets them at its stitch.
	t.Run("split", func(t *testing.T) {
		s := startServer(t, append([]string{"--downloads"}, splitFlags...)...)
		v := uploadReady(t, s, mediatest.Path(t, mediatest.Camera), title)
		if v.Chunks != 3 {
			t.Fatalf("chunks %d, want 3", v.Chunks)
		}
		checkDownloads(t, s, v)
	})

	// Encrypted: the segments in the store are, and the downloads would
	// not be; so there are none.
	clip, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := multipartBody(t, "clip.mp4", [2]string{"encrypt", "true"}, [2]string{"file", string(clip)})
	status, enc, e := s.post(body, ctype)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	enc = s.waitFinal(enc.ID, 3*time.Minute)
	noDownloads(t, s, enc)

	plain := startServer(t)
	noDownloads(t, plain, uploadReady(t, plain, src, "plain"))
}

// title is the downloads' videos': not ASCII, with a slash and quotes.
const title = "Été / live \"take\""

// checkDownloads fetches v's downloads with the URLs its JSON names and
// checks their headers and media, and that a bad token gets neither.
func checkDownloads(t *testing.T, s *server, v api.Video) {
	t.Helper()
	p := v.Playback
	if p.DownloadURL == "" || p.AudioDownloadURL == "" {
		t.Fatalf("no download URLs: %+v", p)
	}
	var top reel.Rendition
	for _, r := range v.Renditions {
		if !r.IsAudio() && r.Height > top.Height {
			top = r
		}
	}
	for _, c := range []struct {
		url, ctype, ext string
		kinds           []string
	}{
		{p.DownloadURL, "video/mp4", ".mp4", []string{"video", "audio"}},
		{p.AudioDownloadURL, "audio/mp4", ".m4a", []string{"audio"}},
	} {
		resp, body := s.get(c.url)
		mustStatus(t, c.url, resp, body, http.StatusOK)
		if got := resp.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("%s: Content-Type %q", c.url, got)
		}
		want := `attachment; filename="_t_ - live _take_` + c.ext + `"; filename*=UTF-8''%C3%89t%C3%A9%20-%20live%20%22take%22` + c.ext
		if got := resp.Header.Get("Content-Disposition"); got != want {
			t.Errorf("%s: Content-Disposition\n%s, want\n%s", c.url, got, want)
		}
		file := filepath.Join(t.TempDir(), "download"+c.ext)
		if err := os.WriteFile(file, body, 0o644); err != nil {
			t.Fatal(err)
		}
		pr := ffprobe(t, file)
		if len(pr.Streams) != len(c.kinds) {
			t.Errorf("%s: %d streams, want %v", c.url, len(pr.Streams), c.kinds)
		}
		if codec, w, h, ok := pr.stream("video"); c.ext == ".mp4" && (!ok || codec != "h264" || w != top.Width || h != top.Height) {
			t.Errorf("%s video: %s %dx%d, top rung %s %dx%d", c.url, codec, w, h, top.Codecs, top.Width, top.Height)
		}
		if codec, _, _, ok := pr.stream("audio"); !ok || codec != "aac" {
			t.Errorf("%s audio: %q", c.url, codec)
		}
		if d := pr.duration(); math.Abs(d-v.Duration) > 0.2 {
			t.Errorf("%s lasts %.3f s, the video %.3f s", c.url, d, v.Duration)
		}

		// Without a valid token, or with another video's, nothing.
		tok := strings.Split(strings.TrimPrefix(c.url, s.url+"/play/"), "/")[0]
		for _, bad := range []string{strings.Replace(c.url, tok, "x"+tok[1:], 1), strings.Replace(c.url, "/"+tok+"/", "/", 1)} {
			if resp, body := s.get(bad); resp.StatusCode == http.StatusOK || strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("%s: %d %s", bad, resp.StatusCode, trim(body))
			}
		}
	}

}

func uploadReady(t *testing.T, s *server, src, title string) api.Video {
	t.Helper()
	status, v, e := s.upload(src, title)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	v = s.waitFinal(v.ID, 3*time.Minute)
	if v.Status != reel.StatusReady || v.Playback == nil {
		t.Fatalf("video %s: %s", v.Status, v.Error)
	}
	return v
}

// noDownloads checks that v, ready, names no download and has none.
func noDownloads(t *testing.T, s *server, v api.Video) {
	t.Helper()
	if v.Status != reel.StatusReady || v.Playback == nil {
		t.Fatalf("video %s: %s", v.Status, v.Error)
	}
	if v.Playback.DownloadURL != "" || v.Playback.AudioDownloadURL != "" {
		t.Errorf("video %s (encrypted %v) names downloads: %+v", v.ID, v.Encrypted, v.Playback)
	}
	base := strings.TrimSuffix(v.Playback.URL, reel.MasterPlaylist)
	if resp, body := s.get(base + reel.DownloadVideo); resp.StatusCode != http.StatusNotFound {
		t.Errorf("video %s (encrypted %v): download.mp4: %d %s", v.ID, v.Encrypted, resp.StatusCode, trim(body))
	}
}
