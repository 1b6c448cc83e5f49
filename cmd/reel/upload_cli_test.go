package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"reel/mediatest"
)

// listVideos lists the videos the key sees, up to 100.
func listVideos(t *testing.T, s *server, key string) []struct{ ID, Title, Filename, Status string } {
	t.Helper()
	var list struct {
		Videos []struct{ ID, Title, Filename, Status string }
	}
	if status := call(t, "GET", s.url+"/api/videos?limit=100", key, nil, "", &list); status != 200 {
		t.Fatalf("list videos: %d", status)
	}
	return list.Videos
}

// TestUploadManyFilesOnce runs the built reel upload on a folder of 12
// videos (and files that are none) against a reel with its default rate
// limits, flags after the folder: the two uploads over the burst get 429
// and wait for their Retry-After, and each file arrives exactly once as a
// video titled after it. A rerun uploads nothing and says so; --again
// uploads anew.
func TestUploadManyFilesOnce(t *testing.T) {
	bin := buildReel(t)
	data := t.TempDir()
	key := createKey(t, data, "uploader", "uploader")
	s := startServerCtx(t, context.Background(), data, "--workers", "0") // no transcodes: only uploads are tested

	clip, err := os.ReadFile(mediatest.Path(t, mediatest.Anamorphic))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	want := map[string]bool{}
	for i := range 12 {
		name := fmt.Sprintf("clip %02d.mp4", i)
		sub := dir
		if i%3 == 0 {
			sub = filepath.Join(dir, "more") // folders are walked
		}
		os.MkdirAll(sub, 0o755)
		if err := os.WriteFile(filepath.Join(sub, name), clip, 0o644); err != nil {
			t.Fatal(err)
		}
		want[strings.TrimSuffix(name, ".mp4")] = true
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("no video"), 0o644)
	os.MkdirAll(filepath.Join(dir, ".hidden"), 0o755)
	os.WriteFile(filepath.Join(dir, ".hidden", "skip.mp4"), clip, 0o644)

	state := t.TempDir()
	upload := func(args ...string) (int, string, string) {
		// Flags after the folder, and the key from the environment.
		return runReel(t, bin, t.TempDir(), []string{"REEL_API_KEY=" + key},
			append(append([]string{"upload"}, args...), "--server", s.url, "--state", state)...)
	}
	start := time.Now()
	code, stdout, stderr := upload(dir)
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("reel upload: exit %d\n%s", code, stderr)
	}
	t.Logf("12 files in %v:\n%s", took.Round(time.Millisecond), stderr)
	if !strings.Contains(stderr, "429 Too Many Requests") || !strings.Contains(stderr, "retrying in") {
		t.Errorf("no upload was rate limited (burst 10 of 12 files):\n%s", stderr)
	}
	if !strings.Contains(stderr, "12 files: 12 uploaded.") {
		t.Errorf("summary:\n%s", stderr)
	}
	ids := strings.Fields(stdout)
	videos := listVideos(t, s, key)
	if len(ids) != 12 || len(videos) != 12 {
		t.Fatalf("%d ids printed, %d videos on the server, want 12 of each:\n%s", len(ids), len(videos), stdout)
	}
	for _, v := range videos {
		if !want[v.Title] || v.Status != "queued" {
			t.Errorf("video %+v: a title not of a file, or twice, or not uploaded whole", v)
		}
		delete(want, v.Title)
		if !strings.Contains(stderr, v.ID) {
			t.Errorf("video %s not in the summary", v.ID)
		}
	}

	// Rerun: nothing sent, each reported with its video.
	code, stdout, stderr = upload(dir)
	if code != 0 || !strings.Contains(stderr, "12 files: 12 already uploaded.") || len(listVideos(t, s, key)) != 12 {
		t.Errorf("rerun: exit %d, %d videos\n%s", code, len(listVideos(t, s, key)), stderr)
	}
	if got := strings.Fields(stdout); strings.Join(got, " ") != strings.Join(ids, " ") {
		t.Errorf("rerun printed %q, want the same ids %q", got, ids)
	}
	// --again sends one anew; a missing file fails the run, not the others.
	one := filepath.Join(dir, "clip 01.mp4")
	code, _, stderr = upload(one, "--again", filepath.Join(dir, "missing.mp4"))
	if code != 1 || !strings.Contains(stderr, "2 files: 1 uploaded, 1 failed.") || len(listVideos(t, s, key)) != 13 {
		t.Errorf("--again with a missing file: exit %d, %d videos\n%s", code, len(listVideos(t, s, key)), stderr)
	}
}

// killProxy passes requests to reel and counts the PATCH body bytes it
// receives. In the PATCH numbered killAt it stops reading half-way and
// calls kill, which kills the client; the rest of that body never comes
// (reel sees the body cut short).
type killProxy struct {
	target *url.URL
	killAt int
	kill   func()

	mu      sync.Mutex
	patches int
	posts   int
	bytes   int64 // PATCH body bytes received from the client
}

func (p *killProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	switch r.Method {
	case http.MethodPatch:
		p.patches++
		n := p.patches
		body := &patchBody{r: r.Body, p: p}
		if n == p.killAt {
			body.killAfter = r.ContentLength / 2
		}
		r.Body = body
	case http.MethodPost:
		p.posts++
	}
	p.mu.Unlock()
	httputil.NewSingleHostReverseProxy(p.target).ServeHTTP(w, r)
}

type patchBody struct {
	r         io.ReadCloser
	p         *killProxy
	read      int64
	killAfter int64 // 0: never
}

func (b *patchBody) Read(buf []byte) (int, error) {
	if b.killAfter > 0 && b.read >= b.killAfter {
		// What the client had written to its socket before dying could
		// still arrive whole: the rest is lost, as with the network.
		b.p.kill() // returns once the client is dead
		return 0, io.ErrUnexpectedEOF
	}
	if b.killAfter > 0 {
		buf = buf[:min(int64(len(buf)), b.killAfter-b.read)]
	}
	n, err := b.r.Read(buf)
	b.read += int64(n)
	b.p.mu.Lock()
	b.p.bytes += int64(n)
	b.p.mu.Unlock()
	return n, err
}

func (b *patchBody) Close() error { return b.r.Close() }

// TestUploadKilledResumesWithinAChunk kills (SIGKILL) reel upload in the
// middle of a PATCH and runs it again: it continues the same upload from
// the server's offset, so what is sent again is less than one chunk, and
// the original arrives whole, once.
func TestUploadKilledResumesWithinAChunk(t *testing.T) {
	bin := buildReel(t)
	s := startServer(t, "--workers", "0")
	src := mediatest.Path(t, mediatest.Camera)
	want, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 256 << 10
	target, _ := url.Parse(s.url)
	proxy := &killProxy{target: target, killAt: 4}
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	state := t.TempDir()
	args := []string{"upload", src, "--server", ps.URL, "--state", state, "--chunk-size", "256KiB"}

	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = dieWithTest
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	proxy.kill = func() {
		cmd.Process.Kill()
		<-exited
	}
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		t.Fatal("reel upload neither finished nor was killed")
	}
	if cmd.ProcessState.ExitCode() != -1 {
		t.Fatalf("reel upload was not killed (exit %d): %s", cmd.ProcessState.ExitCode(), stderr.String())
	}
	proxy.mu.Lock()
	sentBefore := proxy.bytes
	proxy.mu.Unlock()

	code, _, stderr2 := runReel(t, bin, t.TempDir(), nil, args...)
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, stderr2)
	}
	if !strings.Contains(stderr2, "resuming") || !strings.Contains(stderr2, "1 file: 1 uploaded (resumed).") {
		t.Errorf("rerun did not resume:\n%s", stderr2)
	}
	proxy.mu.Lock()
	total, posts := proxy.bytes, proxy.posts
	proxy.mu.Unlock()
	resent := total - int64(len(want))
	t.Logf("file %d bytes, chunk %d: killed after %d bytes received, %d re-sent on resuming (%.2f chunks)",
		len(want), chunk, sentBefore, resent, float64(resent)/chunk)
	if resent <= 0 || resent >= chunk {
		t.Errorf("%d bytes sent again, want between 0 and one chunk (%d)", resent, chunk)
	}
	if posts != 1 {
		t.Errorf("%d uploads created, want 1", posts)
	}
	videos := listVideos(t, s, "")
	if len(videos) != 1 {
		t.Fatalf("%d videos, want 1", len(videos))
	}
	got, err := os.ReadFile(filepath.Join(s.data, "originals", videos[0].ID, "original"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("stored original (%d bytes, %v) differs from the source (%d)", len(got), err, len(want))
	}
	if videos[0].Title != strings.TrimSuffix(filepath.Base(src), filepath.Ext(src)) {
		t.Errorf("title %q, want the file name without extension", videos[0].Title)
	}
}

// TestUploadChoices runs the built reel upload with every per-video
// choice the server takes (codecs, downloads, encrypt, visibility,
// description), from flags and from REEL_* variables, and checks each
// video as the server recorded it; without them the server's defaults
// stay; a choice the server would refuse stops the run before any file
// is sent.
func TestUploadChoices(t *testing.T) {
	bin := buildReel(t)
	data := t.TempDir()
	key := createKey(t, data, "uploader", "uploader")
	s := startServerCtx(t, context.Background(), data, "--workers", "0") // the choices are recorded at upload

	clip, err := os.ReadFile(mediatest.Path(t, mediatest.Odd))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"chosen.mp4", "env.mp4", "plain.mp4", "refused.mp4"} {
		if err := os.WriteFile(filepath.Join(dir, name), clip, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	upload := func(env []string, args ...string) (int, string, string) {
		return runReel(t, bin, t.TempDir(), append([]string{"REEL_API_KEY=" + key}, env...),
			append(append([]string{"upload"}, args...), "--server", s.url, "--state", t.TempDir())...)
	}
	type video struct {
		Title, Codecs, Visibility, Description string
		Downloads                              *bool
		Encrypted                              bool
	}
	get := func(stdout string) video {
		t.Helper()
		ids := strings.Fields(stdout)
		if len(ids) != 1 {
			t.Fatalf("printed %q, want one video id", stdout)
		}
		var v video
		if status := call(t, "GET", s.url+"/api/videos/"+ids[0], key, nil, "", &v); status != 200 {
			t.Fatalf("GET %s: %d", ids[0], status)
		}
		return v
	}
	yes, no := true, false

	code, stdout, stderr := upload(nil, filepath.Join(dir, "chosen.mp4"), "--codecs", "AV1,h264,hevc", "--downloads",
		"--visibility", "private", "--description", "Two\nlines")
	if code != 0 {
		t.Fatalf("with flags: exit %d\n%s", code, stderr)
	}
	want := video{Title: "chosen", Codecs: "h264,hevc,av1", Visibility: "private", Description: "Two\nlines", Downloads: &yes}
	if v := get(stdout); v.Codecs != want.Codecs || v.Visibility != want.Visibility || v.Description != want.Description ||
		v.Downloads == nil || !*v.Downloads || v.Encrypted || v.Title != want.Title {
		t.Errorf("with flags: %+v, want %+v", v, want)
	}

	code, stdout, stderr = upload([]string{"REEL_CODECS=h264,av1", "REEL_DOWNLOADS=false", "REEL_ENCRYPT=true", "REEL_VISIBILITY=public"},
		filepath.Join(dir, "env.mp4"))
	if code != 0 {
		t.Fatalf("from the environment: exit %d\n%s", code, stderr)
	}
	if v := get(stdout); v.Codecs != "h264,av1" || v.Downloads == nil || *v.Downloads || !v.Encrypted || v.Visibility != "public" {
		t.Errorf("from the environment: %+v, want h264,av1, downloads %v, encrypted, public", v, no)
	}

	code, stdout, stderr = upload(nil, filepath.Join(dir, "plain.mp4"))
	if code != 0 {
		t.Fatalf("without choices: exit %d\n%s", code, stderr)
	}
	if v := get(stdout); v.Codecs != "" || v.Downloads != nil || v.Encrypted || v.Visibility != "unlisted" || v.Description != "" {
		t.Errorf("without choices: %+v, want the server's defaults (no codecs or downloads recorded, unlisted)", v)
	}

	before := len(listVideos(t, s, key))
	for _, args := range [][]string{
		{"--codecs", "vp9"}, {"--codecs", "hevc"}, {"--downloads=maybe"}, {"--visibility", "secret"},
		{"--description", strings.Repeat("x", 5001)},
	} {
		code, _, stderr := upload(nil, append([]string{filepath.Join(dir, "refused.mp4")}, args...)...)
		if code != 2 || !strings.Contains(stderr, "--"+strings.TrimLeft(strings.SplitN(args[0], "=", 2)[0], "-")) {
			t.Errorf("%q: exit %d, want 2 naming the flag\n%s", args, code, stderr)
		}
	}
	if after := len(listVideos(t, s, key)); after != before {
		t.Errorf("refused choices created %d videos", after-before)
	}
}
