package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"reel/mediatest"
)

// A video made private stops playing, within seconds, through the URLs
// handed out while it was unlisted, while a URL asked for since plays; a
// deleted video stops playing through every URL. Real reel, real
// transcode, the segments of the video's first rendition.
func TestPlaybackRevoked(t *testing.T) {
	s := startServer(t)
	status, v, e := s.upload(mediatest.Path(t, mediatest.Anamorphic), "revoke")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, e.Error.Message)
	}
	v = s.waitFinal(v.ID, 3*time.Minute)
	if v.Status != "ready" || v.Playback == nil {
		t.Fatalf("video %s %q", v.Status, v.Error)
	}
	base := strings.TrimSuffix(v.Playback.URL, "master.m3u8")
	rendition := v.Renditions[0].Name
	unlisted := []string{v.Playback.URL, base + rendition + "/index.m3u8", base + rendition + "/init.mp4"}
	for _, u := range unlisted {
		if resp, body := s.get(u); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s while unlisted: %d %s", u, resp.StatusCode, body)
		}
	}

	// A second process on the same data, whose cache holds the video as
	// unlisted: it learns of the change from the database within seconds.
	s2 := startServerCtx(t, context.Background(), s.data, "--workers", "0")
	var other []string
	for _, u := range unlisted {
		u2 := s2.url + strings.TrimPrefix(u, s.url)
		if resp, body := s2.get(u2); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s on the second process: %d %s", u2, resp.StatusCode, body)
		}
		other = append(other, u2)
	}

	patch(t, s.url+"/api/videos/"+v.ID, `{"visibility": "private"}`)
	for _, u := range append(unlisted, other...) {
		waitStatus(t, s, u, http.StatusForbidden)
	}
	private := s.mustVideo(v.ID)
	priv := strings.TrimSuffix(private.Playback.URL, "master.m3u8")
	for _, u := range []string{private.Playback.URL, priv + rendition + "/index.m3u8", priv + rendition + "/init.mp4"} {
		if resp, body := s.get(u); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s minted while private: %d %s", u, resp.StatusCode, body)
		}
	}

	privOther := s2.url + strings.TrimPrefix(priv, s.url) + rendition + "/init.mp4"
	if resp, body := s2.get(privOther); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s on the second process: %d %s", privOther, resp.StatusCode, body)
	}
	req, _ := http.NewRequest(http.MethodDelete, s.url+"/api/videos/"+v.ID, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	for _, u := range []string{private.Playback.URL, priv + rendition + "/init.mp4", unlisted[0], privOther} {
		waitStatus(t, s, u, http.StatusNotFound)
	}
}

func patch(t *testing.T, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH %s: %d", url, resp.StatusCode)
	}
}

// waitStatus polls url until it answers want, for up to 30 s (revocation
// takes a few seconds at most; the margin is for a loaded machine), and
// logs how long it took.
func waitStatus(t *testing.T, s *server, url string, want int) {
	t.Helper()
	start := time.Now()
	for {
		resp, _ := s.get(url)
		if resp.StatusCode == want {
			t.Logf("%d after %v: %s", want, time.Since(start).Round(time.Millisecond), url[strings.LastIndex(url, "/")+1:])
			return
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("GET %s: still %d after 30 s, want %d", url, resp.StatusCode, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
