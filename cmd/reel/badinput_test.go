package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/mediatest"
	"reel/token"
)

// TestBadUploads sends every kind of broken upload and checks that each
// gets a clear 4xx and leaves nothing behind.
func TestBadUploads(t *testing.T) {
	s := startServer(t, "--max-upload-size", "1MiB")
	clip, err := os.ReadFile(mediatest.Path(t, mediatest.Anamorphic)) // 416 kB
	if err != nil {
		t.Fatal(err)
	}

	form := func(fields ...[2]string) func() (io.Reader, string) {
		return func() (io.Reader, string) { return multipartBody(t, "clip.mp4", fields...) }
	}
	tests := []struct {
		name   string
		body   func() (io.Reader, string)
		status int
	}{
		{"empty body", func() (io.Reader, string) { return strings.NewReader(""), "multipart/form-data; boundary=x" }, 400},
		{"not multipart", func() (io.Reader, string) { return bytes.NewReader(clip), "video/mp4" }, 400},
		{"json", func() (io.Reader, string) { return strings.NewReader(`{"file":1}`), "application/json" }, 400},
		{"no boundary", func() (io.Reader, string) { return strings.NewReader("x"), "multipart/form-data" }, 400},
		{"garbage multipart", func() (io.Reader, string) {
			return strings.NewReader("--x\r\nnot a header line\r\n\r\n"), "multipart/form-data; boundary=x"
		}, 400},
		{"no file part", form([2]string{"title", "no file"}), 400},
		{"zero-length file", form([2]string{"file", ""}), 400},
		{"two files", form([2]string{"file", string(clip)}, [2]string{"file", string(clip)}), 400},
		{"title of megabytes before the file", form([2]string{"title", strings.Repeat("t", 2<<20)}, [2]string{"file", string(clip)}), 413},
		{"title too long before the file", form([2]string{"title", strings.Repeat("t", 600)}, [2]string{"file", string(clip)}), 400},
		{"title too long after the file", form([2]string{"file", string(clip)}, [2]string{"title", strings.Repeat("t", 600)}), 400},
		{"file over the limit", form([2]string{"file", strings.Repeat("x", 1<<20+1)}), 413},
		{"many parts", func() (io.Reader, string) {
			fields := make([][2]string, 10_000)
			for i := range fields {
				fields[i] = [2]string{"f", "x"}
			}
			return multipartBody(t, "clip.mp4", fields...)
		}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ctype := tt.body()
			status, _, e := s.post(body, ctype)
			if status != tt.status {
				t.Errorf("status %d (%s), want %d", status, e.Error.Message, tt.status)
			}
			if e.Error.Message == "" {
				t.Error("no error message")
			}
		})
	}

	t.Run("cut off mid-upload", func(t *testing.T) {
		body, ctype := multipartBody(t, "clip.mp4", [2]string{"file", string(clip)})
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /api/videos HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ctype, body.Len())
		conn.Write(body.Bytes()[:body.Len()/2])
		time.Sleep(200 * time.Millisecond) // let the server start storing
		conn.Close()
		time.Sleep(300 * time.Millisecond) // and notice the disconnect
	})

	// None of the above left a video or a file.
	resp, body := s.get(s.url + "/api/videos")
	if !strings.Contains(string(body), `"videos":[]`) {
		t.Errorf("videos left after bad uploads: %d %s", resp.StatusCode, trim(body))
	}
	if left := files(t, filepath.Join(s.data, "originals")); len(left) != 0 {
		t.Errorf("originals left after bad uploads: %v", left)
	}
}

// TestHostileFilename: the name is kept only as a label, cleaned.
func TestHostileFilename(t *testing.T) {
	s := startServer(t, "--workers", "0")
	for name, want := range map[string]string{
		"../../etc/passwd":                "passwd",
		"..\\..\\windows\\win.ini":        "win.ini",
		strings.Repeat("é", 300) + ".mp4": strings.Repeat("é", 127),
		"bad\xff\xfename.mp4":             "bad\uFFFDname.mp4",
		"tab\tin name.mp4":                "tabin name.mp4",
	} {
		body, ctype := multipartBody(t, name, [2]string{"file", "some bytes"})
		status, v, e := s.post(body, ctype)
		if status != http.StatusCreated {
			t.Errorf("%q: status %d %s", name, status, e.Error.Message)
			continue
		}
		if v.Filename != want {
			t.Errorf("%q stored as %q, want %q", name, v.Filename, want)
		}
	}
	// Whatever the names, originals live only under their ids.
	for _, f := range files(t, filepath.Join(s.data, "originals")) {
		if !strings.HasSuffix(f, string(filepath.Separator)+"original") {
			t.Errorf("unexpected file in originals: %s", f)
		}
	}
}

// TestNotAVideo: a text file is accepted, then fails with a reason.
func TestNotAVideo(t *testing.T) {
	s := startServer(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.mp4")
	os.WriteFile(text, bytes.Repeat([]byte("this is not a video\n"), 100), 0o644)
	truncated := filepath.Join(dir, "truncated.mp4")
	clip, _ := os.ReadFile(mediatest.Path(t, mediatest.AudioFirst))
	os.WriteFile(truncated, clip[:len(clip)/20], 0o644)

	for _, f := range []string{text, truncated} {
		status, v, e := s.upload(f, "")
		if status != http.StatusCreated {
			t.Fatalf("%s: status %d %s", f, status, e.Error.Message)
		}
		got := s.waitFinal(v.ID, 2*time.Minute)
		if got.Status != "failed" || got.Error == "" {
			t.Errorf("%s: %s with error %q, want failed with a reason", filepath.Base(f), got.Status, got.Error)
		}
		if strings.Contains(got.Error, "ffmpeg version") || len(got.Error) > 300 {
			t.Errorf("%s: error is not a sentence for users: %q", filepath.Base(f), got.Error)
		}
	}

	// A failed video can be retried; it fails again, for the same reason.
	_, v, _ := s.upload(text, "")
	failed := s.waitFinal(v.ID, time.Minute)
	resp, err := http.Post(s.url+"/api/videos/"+v.ID+"/retry", "", nil)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("retry: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if again := s.waitFinal(v.ID, time.Minute); again.Status != "failed" || again.Error != failed.Error {
		t.Errorf("after retry: %s %q, want failed %q", again.Status, again.Error, failed.Error)
	}
	resp, _ = http.Post(s.url+"/api/videos/aaaaaaaaaaaaaaaa/retry", "", nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("retry of an unknown video: %d", resp.StatusCode)
	}
}

// TestPlaybackTokens checks that only a valid token for the right video
// plays, and that deleting a video removes everything.
func TestPlaybackTokens(t *testing.T) {
	s := startServer(t)
	status, up, _ := s.upload(mediatest.Path(t, mediatest.Anamorphic), "")
	if status != http.StatusCreated {
		t.Fatal(status)
	}
	_, other, _ := s.upload(mediatest.Path(t, mediatest.Anamorphic), "")
	v := s.waitFinal(up.ID, 3*time.Minute)
	if v.Status != "ready" {
		t.Fatalf("%s: %s", v.Status, v.Error)
	}
	signer, _ := token.New([]byte(testKey))
	valid := signer.Sign(v.ID, time.Now().Add(time.Hour))
	expired := signer.Sign(v.ID, time.Now().Add(-time.Second))
	otherVideo := signer.Sign(other.ID, time.Now().Add(time.Hour))
	tampered := []byte(valid)
	tampered[len(tampered)-1] ^= 1
	wrongKey, _ := token.New([]byte(strings.Repeat("k", 32)))

	play := func(tok, file string) string { return s.url + "/play/" + tok + "/" + v.ID + "/" + file }
	for _, tt := range []struct {
		name, url string
		want      int
	}{
		{"valid", play(valid, reel.MasterPlaylist), 200},
		{"expired", play(expired, reel.MasterPlaylist), 410},
		{"other video's token", play(otherVideo, reel.MasterPlaylist), 403},
		{"tampered", play(string(tampered), reel.MasterPlaylist), 403},
		{"wrong key", play(wrongKey.Sign(v.ID, time.Now().Add(time.Hour)), reel.MasterPlaylist), 403},
		{"missing", s.url + "/play//" + v.ID + "/master.m3u8", 404},
		{"garbage", play("nonsense", reel.MasterPlaylist), 403},
		{"unknown file", play(valid, "nothing.m3u8"), 404},
		{"unserved extension", play(valid, "../../reel.db"), 404},
		{"encoded traversal", play(valid, "%2e%2e/%2e%2e/reel.db"), 404},
		{"dot file", play(valid, ".hidden.mp4"), 404},
	} {
		resp, body := s.get(tt.url)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d (%s)", tt.name, resp.StatusCode, tt.want, trim(body))
		}
	}

	// Playlists are gzipped for clients that take it.
	resp, _ := s.get(play(valid, reel.MasterPlaylist), "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Error("master playlist not gzipped for a gzip client")
	}

	// Delete removes the row, the original and every output.
	req, _ := http.NewRequest("DELETE", s.url+"/api/videos/"+v.ID, nil)
	dresp, err := http.DefaultClient.Do(req)
	if err != nil || dresp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", dresp.StatusCode, err)
	}
	if _, ok := s.video(v.ID); ok {
		t.Error("video still listed after delete")
	}
	for _, area := range []string{"originals", "outputs"} {
		for _, f := range files(t, filepath.Join(s.data, area)) {
			if strings.HasPrefix(f, v.ID) {
				t.Errorf("%s/%s left after delete", area, f)
			}
		}
	}
	if resp, _ := s.get(play(valid, reel.MasterPlaylist)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("master after delete: %d, want 404", resp.StatusCode)
	}
}

// TestDeleteWhileTranscoding: deleting a video mid-transcode stops the
// job and leaves no outputs.
func TestDeleteWhileTranscoding(t *testing.T) {
	s := startServer(t)
	_, v, _ := s.upload(mediatest.Path(t, mediatest.Camera), "")
	deadline := time.Now().Add(time.Minute)
	for {
		got, _ := s.video(v.ID)
		if got.Status == "processing" {
			break
		}
		if got.Status == "ready" || time.Now().After(deadline) {
			t.Fatalf("never saw the video processing: %s", got.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	req, _ := http.NewRequest("DELETE", s.url+"/api/videos/"+v.ID, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v", err)
	}
	// The worker notices within its next progress update and cleans up.
	time.Sleep(3 * time.Second)
	for _, area := range []string{"originals", "outputs", "work"} {
		if left := workFiles(t, filepath.Join(s.data, area)); len(left) != 0 {
			t.Errorf("%s left after deleting a transcoding video: %v", area, left)
		}
	}
}
