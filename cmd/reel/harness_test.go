package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"reel/api"
	"reel/api/apitest"
)

// testKey signs playback URLs in tests, so they can forge expired ones.
const testKey = "test-signing-key-0123456789abcdef"

// server is a reel started in-process for a test.
type server struct {
	t    *testing.T
	url  string
	data string
	done chan error // Run's result
	// api sends requests and checks reel's answers against the OpenAPI
	// document; it does not gunzip.
	api http.RoundTripper
}

// startServer runs `reel serve` in-process on a free loopback port with a
// temp data dir and the extra flags, until the test ends.
func startServer(t *testing.T, flags ...string) *server {
	t.Helper()
	return startServerCtx(t, context.Background(), t.TempDir(), flags...)
}

// wait waits for a server whose context was cancelled to stop.
func (s *server) wait() {
	if err := <-s.done; err != nil {
		s.t.Errorf("reel serve: %v", err)
	}
	s.done <- nil // for the cleanup
}

// startServerCtx runs reel serve on data until ctx ends or the test ends.
func startServerCtx(t *testing.T, parent context.Context, data string, flags ...string) *server {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (make test installs it)", tool)
		}
	}
	cmd := &ServeCommand{Lookup: func(string) (string, bool) { return "", false }}
	args := append([]string{"--data", data, "--addr", "127.0.0.1:0", "--signing-key", testKey,
		"--workers", "2", "--log-level", "warn"}, flags...)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	cmd.Ready = func(addr string) { ready <- addr }
	ctx, cancel := context.WithCancel(parent)
	done := make(chan error, 1)
	go func() { done <- cmd.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("reel serve: %v", err)
		}
	})
	select {
	case addr := <-ready:
		base := "http://" + addr
		return &server{t: t, url: base, data: data, done: done, api: apitest.Transport(t, http.DefaultTransport, base)}
	case err := <-done:
		t.Fatalf("reel serve exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("reel serve did not start")
	}
	return nil
}

// multipartBody builds a form with the fields in order; a field named
// "file" becomes a file part named filename.
func multipartBody(t *testing.T, filename string, fields ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		var w io.Writer
		var err error
		if f[0] == "file" {
			w, err = mw.CreateFormFile("file", filename)
		} else {
			w, err = mw.CreateFormField(f[0])
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f[1])
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// upload posts the file at path and returns the status and decoded body.
func (s *server) upload(path, title string) (int, api.Video, api.ErrorResponse) {
	s.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	body, ctype := multipartBody(s.t, filepath.Base(path), [2]string{"title", title}, [2]string{"file", string(data)})
	return s.post(body, ctype)
}

func (s *server) post(body io.Reader, ctype string) (int, api.Video, api.ErrorResponse) {
	s.t.Helper()
	resp, err := s.client().Post(s.url+"/api/videos", ctype, body)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v api.Video
	var e api.ErrorResponse
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(raw, &v); err != nil {
			s.t.Fatalf("decode %s: %v", raw, err)
		}
	} else if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code == "" {
		s.t.Errorf("status %d with a body that is no JSON error: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, v, e
}

// client is an HTTP client whose answers from s are checked against the
// OpenAPI document.
func (s *server) client() *http.Client { return &http.Client{Transport: s.api} }

// get fetches url and returns the response with its body read.
func (s *server) get(url string, header ...string) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.api.RoundTrip(req) // no transparent gunzip
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp, body
}

// video fetches the video by id; ok is false on 404.
func (s *server) video(id string) (v api.Video, ok bool) {
	s.t.Helper()
	resp, body := s.get(s.url + "/api/videos/" + id)
	if resp.StatusCode == http.StatusNotFound {
		return v, false
	}
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET video %s: %d %s", id, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		s.t.Fatal(err)
	}
	return v, true
}

// waitFinal polls until the video is ready or failed.
func (s *server) waitFinal(id string, timeout time.Duration) api.Video {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, ok := s.video(id)
		if !ok {
			s.t.Fatalf("video %s disappeared", id)
		}
		if v.Status == "ready" || v.Status == "failed" {
			return v
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("video %s still %s (%.0f%%) after %v", id, v.Status, v.Progress*100, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// files lists the files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// probe describes a media file as ffprobe sees it.
type probe struct {
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		SAR       string `json:"sample_aspect_ratio"`
	} `json:"streams"`
}

func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p probe) duration() float64 {
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return d
}

func (p probe) stream(kind string) (codec string, w, h int, ok bool) {
	for _, s := range p.Streams {
		if s.CodecType == kind {
			return s.CodecName, s.Width, s.Height, true
		}
	}
	return "", 0, 0, false
}

// displaySize is the first video stream's size as shown: its width
// stretched by the sample aspect ratio.
func (p probe) displaySize() (w, h int) {
	for _, s := range p.Streams {
		if s.CodecType != "video" {
			continue
		}
		var num, den int
		if _, err := fmt.Sscanf(s.SAR, "%d:%d", &num, &den); err == nil && num > 0 && den > 0 {
			return s.Width * num / den, s.Height
		}
		return s.Width, s.Height
	}
	return 0, 0
}

// uris returns the non-comment lines of a playlist and the EXT-X-MAP URI.
func uris(playlist string) (lines []string, mapURI string) {
	for _, l := range strings.Split(playlist, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#EXT-X-MAP:") {
			if i := strings.Index(l, `URI="`); i >= 0 {
				mapURI = strings.SplitN(l[i+5:], `"`, 2)[0]
			}
		} else if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines, mapURI
}

func mustStatus(t *testing.T, what string, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Errorf("%s: status %d, want %d (%s)", what, resp.StatusCode, want, trim(body))
	}
}

func trim(b []byte) string {
	if len(b) > 200 {
		return fmt.Sprintf("%s...", b[:200])
	}
	return string(b)
}
