package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"reel/api"
	"reel/api/apitest"
	"reel/pgtest"
	"reel/s3test"
	"reel/tusclient"
)

// TestCluster runs reel as a cluster of real processes on one database
// (PostgreSQL, and SQLite shared by processes on one machine) and one S3
// server (versitygw): two API processes (serve --workers 0), each with a
// data dir of its own, and two workers. A tus upload begun on the first
// API process is finished on the second; the worker transcoding it is
// killed with SIGKILL mid-transcode and the other worker finishes the
// video; a playback URL from the first API process plays through the
// second (the signing key is the database's), and a sign-in on one is
// valid on the other.
func TestCluster(t *testing.T) {
	bin := buildReel(t)
	t.Run("postgres", func(t *testing.T) { cluster(t, bin, pgtest.New(t).URL) })
	t.Run("sqlite", func(t *testing.T) { cluster(t, bin, filepath.Join(t.TempDir(), "reel.db")) })
}

func cluster(t *testing.T, bin, db string) {
	srv := s3test.Start(t)
	shared := t.TempDir()
	stores := []string{"--db", db, "--originals", srv.Bucket(t, "originals"), "--outputs", srv.Bucket(t, "outputs"),
		"--part-size", "5MiB", "--stall-timeout", "5s", "--log-level", "info"}
	key := createKey(t, shared, "admin", "admin", "--db", db)
	src := clusterClip(t)

	urlA, _ := startChild(t, bin, srv.Env(), "api-a", append([]string{"serve", "--data", filepath.Join(shared, "api-a"), "--addr", "127.0.0.1:0", "--workers", "0"}, stores...)...)
	urlB, _ := startChild(t, bin, srv.Env(), "api-b", append([]string{"serve", "--data", filepath.Join(shared, "api-b"), "--addr", "127.0.0.1:0", "--workers", "0"}, stores...)...)
	workers := map[string]*exec.Cmd{}
	for _, name := range []string{"worker-1", "worker-2"} {
		_, workers[name] = startChild(t, bin, srv.Env(), name, append([]string{"worker", "--data", filepath.Join(shared, name), "--concurrency", "1"}, stores...)...)
	}
	bearer := http.Header{"Authorization": {"Bearer " + key}}

	// A sign-in on A is valid on B.
	cookie := signIn(t, urlA, key)
	var session struct {
		SignedIn bool   `json:"signed_in"`
		Role     string `json:"role"`
	}
	fetchJSON(t, urlB+"/api/session", http.Header{"Cookie": {cookie}}, &session)
	if !session.SignedIn || session.Role != "admin" {
		t.Errorf("session from A on B: %+v", session)
	}

	// Created and half sent on A, finished on B.
	a := &tusclient.Client{Endpoint: urlA + "/api/uploads/", Header: bearer}
	b := &tusclient.Client{Endpoint: urlB + "/api/uploads/", Header: bearer}
	loc := createUpload(t, a, len(src))
	id := videoID(loc)
	patchUntil(t, []*tusclient.Client{a}, loc, src, int64(len(src)/2))
	up := &tusclient.Uploader{Client: b, ChunkSize: 4 << 20, Backoff: func(int) time.Duration { return 200 * time.Millisecond }}
	if err := up.Resume(context.Background(), b.Endpoint+id, bytes.NewReader(src), int64(len(src))); err != nil {
		t.Fatalf("finish the upload on B: %v", err)
	}
	if got := s3Object(t, srv, "originals", id+"/original"); !bytes.Equal(got, src) {
		t.Fatalf("original: %d bytes differ from the %d sent", len(got), len(src))
	}

	// Kill the worker whose work folder holds the transcode, once it has
	// made progress.
	victim := transcodingWorker(t, urlA, bearer, id, shared, workers)
	workers[victim].Process.Signal(syscall.SIGKILL)
	workers[victim].Wait()
	killed := time.Now()

	// The other worker finishes it: River elects it leader if the victim
	// led, and the rescue requeues the video its transcode left.
	var v api.Video
	for deadline := time.Now().Add(4 * time.Minute); ; {
		fetchJSON(t, urlB+"/api/videos/"+id, bearer, &v)
		if v.Status == "ready" || v.Status == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("video still %s (%.2f) four minutes after the kill", v.Status, v.Progress)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if v.Status != "ready" {
		t.Fatalf("video %s: %s", v.Status, v.Error)
	}
	t.Logf("killed %s mid-transcode; the video was ready %.1f s later", victim, time.Since(killed).Seconds())

	// A playback URL signed by A plays through B: master, a variant, its
	// init segment and first segment.
	fetchJSON(t, urlA+"/api/videos/"+id, bearer, &v)
	if v.Playback == nil || !strings.HasPrefix(v.Playback.URL, urlA) {
		t.Fatalf("playback from A: %+v", v.Playback)
	}
	base := urlB + strings.TrimSuffix(strings.TrimPrefix(v.Playback.URL, urlA), "master.m3u8")
	s := &server{t: t, url: urlB, api: apitest.Transport(t, http.DefaultTransport, urlB)}
	resp, master := s.get(base + "master.m3u8")
	mustStatus(t, "master via B", resp, master, http.StatusOK)
	variants, _ := uris(string(master))
	if len(variants) == 0 {
		t.Fatalf("no variants in\n%s", master)
	}
	resp, media := s.get(base + variants[0])
	mustStatus(t, "variant via B", resp, media, http.StatusOK)
	segments, initURI := uris(string(media))
	if initURI == "" || len(segments) == 0 {
		t.Fatalf("media playlist without init or segments:\n%s", media)
	}
	vdir := variants[0][:strings.LastIndexByte(variants[0], '/')+1]
	for _, f := range []string{initURI, segments[0]} {
		resp, body := s.get(base + vdir + f)
		mustStatus(t, f+" via B", resp, body, http.StatusOK)
		if len(body) == 0 {
			t.Errorf("%s via B: empty", f)
		}
	}

	// SIGTERM stops the surviving worker cleanly.
	for name, cmd := range workers {
		if name == victim {
			continue
		}
		cmd.Process.Signal(syscall.SIGTERM)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("%s after SIGTERM: %v", name, err)
			}
		case <-time.After(time.Minute):
			t.Errorf("%s still running a minute after SIGTERM", name)
		}
	}
}

// clusterClip encodes a 40 s 640x360 clip with sound, about 20 MB: several
// tus chunks, and a transcode long enough to be interrupted.
func clusterClip(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	out, err := exec.Command("ffmpeg", "-v", "error",
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=40",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=40",
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "4M", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-shortest", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startChild runs reel with args until the test ends, its environment
// extended by env, and waits until it serves (returning its URL) or, for
// reel worker, runs. Its log goes to the test's log if the test fails.
func startChild(t *testing.T, bin string, env []string, name string, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = dieWithTest
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var log bytes.Buffer
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("%s log:\n%s", name, log.String())
			mu.Unlock()
		}
	})
	ready := make(chan string, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		addr := regexp.MustCompile(`addr=(http://[0-9.:]+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			if log.Len() < 256<<10 {
				log.WriteString(line + "\n")
			}
			mu.Unlock()
			if m := addr.FindStringSubmatch(line); m != nil {
				ready <- m[1]
			} else if strings.Contains(line, "reel worker running") {
				ready <- ""
			}
		}
	}()
	select {
	case u := <-ready:
		return u, cmd
	case <-exited:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%s exited:\n%s", name, log.String())
	case <-time.After(time.Minute):
		t.Fatalf("%s did not start", name)
	}
	return "", nil
}

// transcodingWorker waits until video id is transcoding with progress and
// returns the name of the worker (of workers, each with its data folder
// under shared) whose work folder holds the transcode.
func transcodingWorker(t *testing.T, apiURL string, header http.Header, id, shared string, workers map[string]*exec.Cmd) string {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var v api.Video
		fetchJSON(t, apiURL+"/api/videos/"+id, header, &v)
		if v.Status == "ready" || v.Status == "failed" {
			t.Fatalf("the transcode ended (%s) before it could be interrupted", v.Status)
		}
		if v.Status == "processing" && v.Progress > 0 {
			for name := range workers {
				if m, _ := filepath.Glob(filepath.Join(shared, name, "work", "proc-*", "transcode-"+id+"-*")); len(m) > 0 {
					return name
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no worker seen transcoding: %s %.2f", v.Status, v.Progress)
		}
	}
}

// signIn signs in at url with key and returns the session cookie.
func signIn(t *testing.T, url, key string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/session", strings.NewReader(`{"key": "`+key+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", url) // a browser's same-origin request
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || len(resp.Cookies()) == 0 {
		t.Fatalf("sign-in: %s, cookies %v", resp.Status, resp.Cookies())
	}
	c := resp.Cookies()[0]
	return c.Name + "=" + c.Value
}

// fetchJSON fetches url with header and decodes the JSON body into v.
func fetchJSON(t *testing.T, url string, header http.Header, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// workFiles lists the files under dir like files, less the lock files
// of the processes' work folders (see claimWorkDir).
func workFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range files(t, dir) {
		if f != claimFile && !strings.HasSuffix(f, ".lock") {
			out = append(out, f)
		}
	}
	return out
}
