package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"reel/mediatest"
)

func TestUploadFlags(t *testing.T) {
	env := map[string]string{"REEL_SERVER": "http://example.com:9000/", "REEL_API_KEY": "from-env"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c := &UploadCommand{Lookup: lookup}
	if err := c.ParseFlags([]string{"--state", "/tmp/s", "a.mp4", "b.mp4"}); err != nil {
		t.Fatal(err)
	}
	if c.Server != "http://example.com:9000" || c.Key != "from-env" || c.ChunkSize != 8<<20 || len(c.Files) != 2 {
		t.Errorf("from the environment: %+v", c)
	}
	c = &UploadCommand{Lookup: lookup}
	if err := c.ParseFlags([]string{"--server", "https://v.example", "--key", "k", "--chunk-size", "8MiB", "--title", "T", "--wait", "x.mp4"}); err != nil {
		t.Fatal(err)
	}
	if c.Server != "https://v.example" || c.Key != "k" || c.ChunkSize != 8<<20 || c.Title != "T" || !c.Wait {
		t.Errorf("flags before the environment: %+v", c)
	}
	if !strings.HasSuffix(c.StateDir, "reel") {
		t.Errorf("default state dir %q", c.StateDir)
	}
	for _, args := range [][]string{{}, {"--server", "ftp://x", "a"}, {"--chunk-size", "10", "a"}, {"a", "--nope"}} {
		if err := (&UploadCommand{Lookup: lookup}).ParseFlags(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	b := newProgressBar(&out, "clip.mp4", 100<<20)
	now := time.Unix(0, 0)
	b.now = func() time.Time { return now }
	b.set(0)
	now = now.Add(5 * time.Second)
	b.set(50 << 20) // 10 MiB/s
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("not a terminal: want a line per 5 s, got %q", out.String())
	}
	want := "clip.mp4  50.0% [============            ] 50.0 MiB / 100.0 MiB  10.0 MiB/s  ETA 0:05"
	if lines[1] != want {
		t.Errorf("got  %q\nwant %q", lines[1], want)
	}
	now = now.Add(time.Second)
	b.set(20 << 20) // a chunk lost: the speed starts over
	if b.speed() != 0 {
		t.Errorf("speed after going back: %v", b.speed())
	}
	if got := fmtETA(3*time.Hour + 2*time.Minute + 5*time.Second); got != "3:02:05" {
		t.Errorf("fmtETA: %q", got)
	}
}

// faultProxy sits between reel upload and reel: it records requests,
// cuts one PATCH in the middle of its body and cancels the command after
// a number of PATCHes, as a kill would stop it.
type faultProxy struct {
	mu       sync.Mutex
	requests []string // "METHOD path auth"
	patches  int
	cutAt    int // the PATCH to cut, 1-based; 0 for none
	stopAt   int // cancel stop after this many PATCHes; 0 for never
	stop     context.CancelFunc
}

func (p *faultProxy) handler(target string) http.Handler {
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests = append(p.requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		n := 0
		if r.Method == http.MethodPatch {
			p.patches++
			n = p.patches
		}
		cut, stop := n > 0 && n == p.cutAt, n > 0 && n == p.stopAt
		p.mu.Unlock()
		// The test's key is not one reel knows: recorded, not passed on.
		r.Header.Del("Authorization")
		if cut {
			// Pass reel half the body and then a read error, and drop the
			// client's connection: a network cut seen from both ends.
			half := make([]byte, r.ContentLength/2)
			io.ReadFull(r.Body, half)
			req := r.Clone(context.Background())
			req.URL.Scheme, req.URL.Host, req.RequestURI = u.Scheme, u.Host, ""
			req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(half), errReader{}))
			if resp, err := http.DefaultTransport.RoundTrip(req); err == nil {
				resp.Body.Close()
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		rp.ServeHTTP(w, r)
		if stop {
			p.stop()
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func (p *faultProxy) count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.requests {
		if strings.HasPrefix(r, method+" ") {
			n++
		}
	}
	return n
}

// TestUploadCommandResumes runs reel upload against a real reel through a
// proxy that cuts a PATCH (the command retries from the server's offset)
// and then stops the command, as a kill would. Run again, the command
// finds the upload in its state file and continues it with HEAD + PATCH,
// with no new upload; with --wait it prints the id and the playback URL.
func TestUploadCommandResumes(t *testing.T) {
	s := startServer(t)
	probe, _ := http.Post(s.url+"/api/uploads/", "", nil)
	if probe.StatusCode == http.StatusNotFound {
		t.Skip("this build of reel answers 404 on /api/uploads/: no tus endpoint")
	}
	src := mediatest.Path(t, mediatest.Camera)
	want, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &faultProxy{cutAt: 2, stopAt: 4}
	ps := httptest.NewServer(proxy.handler(s.url))
	defer ps.Close()
	state := t.TempDir()
	cmd := func(args ...string) (*UploadCommand, *bytes.Buffer, *bytes.Buffer) {
		c := &UploadCommand{Lookup: func(string) (string, bool) { return "", false }}
		if err := c.ParseFlags(append([]string{"--server", ps.URL, "--key", "secret", "--state", state,
			"--chunk-size", "256KiB", "--title", "resumed"}, args...)); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		c.Backoff = func(int) time.Duration { return 50 * time.Millisecond }
		c.PollInterval = 200 * time.Millisecond
		return c, &stdout, &stderr
	}

	// First run: cut once, retried, then stopped after the 4th PATCH.
	c, stdout, stderr := cmd(src)
	ctx, cancel := context.WithCancel(context.Background())
	proxy.stop = cancel
	if err := c.Run(ctx); err == nil || !strings.Contains(err.Error(), "run the same command again") {
		t.Fatalf("stopped run: %v\n%s", err, stderr)
	}
	if stdout.Len() != 0 {
		t.Errorf("an unfinished upload printed %q", stdout)
	}
	if !strings.Contains(stderr.String(), "retrying") {
		t.Errorf("no retry after the cut:\n%s", stderr)
	}
	entries, _ := os.ReadDir(state)
	if len(entries) != 1 {
		t.Fatalf("state dir holds %d files, want the unfinished upload's", len(entries))
	}
	posts := proxy.count("POST")

	// Second run: resumed, waited for.
	c, stdout, stderr = cmd("--wait", src)
	if err := c.Run(context.Background()); err != nil {
		t.Fatalf("resumed run: %v\n%s", err, stderr)
	}
	if proxy.count("POST") != posts || posts != 1 {
		t.Errorf("%d uploads created, want 1: %v", proxy.count("POST"), proxy.requests)
	}
	if !strings.Contains(stderr.String(), "resuming") {
		t.Errorf("stderr does not say it resumed:\n%s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout %q, want the id and the playback URL", stdout)
	}
	id, playURL := lines[0], lines[1]
	got, err := os.ReadFile(filepath.Join(s.data, "originals", id, "original"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("stored original (%d bytes, %v) differs from the source (%d)", len(got), err, len(want))
	}
	if v := s.mustVideo(id); v.Title != "resumed" || v.Filename != filepath.Base(src) || !strings.HasSuffix(playURL, "/"+id+"/master.m3u8") {
		t.Errorf("video %+v, printed URL %s", v, playURL)
	}
	if resp, _ := s.get(playURL); resp.StatusCode != http.StatusOK {
		t.Errorf("printed playback URL: %d", resp.StatusCode)
	}
	if entries, _ := os.ReadDir(state); len(entries) != 1 {
		t.Errorf("state dir holds %v, want the finished upload's record", entries)
	}
	for _, r := range proxy.requests {
		if strings.Contains(r, " /api/") && !strings.HasSuffix(r, " Bearer secret") {
			t.Errorf("request without the key: %q", r)
		}
	}
}

func TestUploadSummary(t *testing.T) {
	var out bytes.Buffer
	failed := printSummary(&out, []uploadResult{
		{path: "a.mp4", size: 2 << 20, outcome: outcomeUploaded, id: "aaaa", transcode: "ready"},
		{path: "b.mov", size: 1 << 10, outcome: outcomeAlready, id: "bbbb", transcode: "failed", err: errors.New("transcoding failed: no video\nstream")},
		{path: "c.mkv", size: -1, outcome: outcomeFailed, err: errors.New("open c.mkv: permission denied")},
	}, true)
	want := `FILE   SIZE     RESULT                                 VIDEO  TRANSCODE
a.mp4  2.0 MiB  uploaded                               aaaa   ready
b.mov  1.0 KiB  already uploaded                       bbbb   failed: transcoding failed: no video stream
c.mkv  -        failed: open c.mkv: permission denied  -      -
3 files: 1 uploaded, 1 already uploaded, 1 failed, 1 failed to transcode.
`
	if out.String() != want || failed != 2 {
		t.Errorf("%d failed, table:\n%s\nwant:\n%s", failed, out.String(), want)
	}
}
