package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"reel"
	"reel/api"
	"reel/api/apitest"
	"reel/pgtest"
	"reel/s3test"
	"reel/sqlstore"
)

// TestSplitCluster runs two reel worker processes on one PostgreSQL
// database and one S3 server: both take pieces of one split video; one is
// killed with SIGKILL while it encodes a piece; that piece alone runs
// again (its attempts are counted), on the other worker, and the video
// ends ready and plays.
func TestSplitCluster(t *testing.T) {
	bin := buildReel(t)
	pg := pgtest.New(t).URL
	srv := s3test.Start(t)
	shared := t.TempDir()
	stores := []string{"--db", pg, "--originals", srv.Bucket(t, "originals"), "--outputs", srv.Bucket(t, "outputs"),
		"--part-size", "5MiB", "--stall-timeout", "5s", "--log-level", "info",
		// Seven pieces of the 40 s clip: 0-6, 6-12, ... 36-40.
		"--split-above", "10s", "--chunk-duration", "6s"}
	key := createKey(t, shared, "admin", "admin", "--db", pg)
	bearer := http.Header{"Authorization": {"Bearer " + key}}
	apiURL, _ := startChild(t, bin, srv.Env(), "api", append([]string{"serve", "--data", filepath.Join(shared, "api"), "--addr", "127.0.0.1:0", "--workers", "0"}, stores...)...)
	workers := map[string]*exec.Cmd{}
	for _, name := range []string{"worker-1", "worker-2"} {
		_, workers[name] = startChild(t, bin, srv.Env(), name, append([]string{"worker", "--data", filepath.Join(shared, name), "--concurrency", "1"}, stores...)...)
	}

	s := &server{t: t, url: apiURL, api: apitest.Transport(t, bearerTransport{key: key, next: http.DefaultTransport}, apiURL)}
	path := filepath.Join(t.TempDir(), "clip.mp4")
	if err := os.WriteFile(path, clusterClip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	status, v, e := s.upload(path, "split cluster")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	id := v.ID

	// Kill the worker encoding a piece past the first, once it is at it.
	var victim string
	for deadline := time.Now().Add(3 * time.Minute); victim == ""; time.Sleep(20 * time.Millisecond) {
		for name := range workers {
			if m, _ := filepath.Glob(filepath.Join(shared, name, "work", "proc-*", "piece-"+id+"-*")); len(m) > 0 {
				victim = name
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no worker seen encoding a piece")
		}
	}
	workers[victim].Process.Signal(syscall.SIGKILL)
	workers[victim].Wait()
	killed := time.Now()

	for deadline := time.Now().Add(4 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		fetchJSON(t, apiURL+"/api/videos/"+id, bearer, &v)
		if v.Status == "ready" || v.Status == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("video still %s (%.2f) four minutes after the kill", v.Status, v.Progress)
		}
	}
	if v.Status != "ready" || v.Chunks != 7 {
		t.Fatalf("video %s, chunks %d: %s", v.Status, v.Chunks, v.Error)
	}
	t.Logf("killed %s mid-piece; the video was ready %.1f s later", victim, time.Since(killed).Seconds())

	// Attempts per piece: one piece twice (the victim's), every other
	// piece and the stitch once.
	db, err := sqlstore.Open(context.Background(), pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT idx, attempts FROM pieces WHERE video_id = $1 ORDER BY idx`, id)
	if err != nil {
		t.Fatal(err)
	}
	var attempts []string
	twice := 0
	for rows.Next() {
		var idx, n int
		rows.Scan(&idx, &n)
		attempts = append(attempts, fmt.Sprintf("%d:%d", idx, n))
		if n == 2 {
			twice++
		} else if n != 1 {
			twice = 100
		}
	}
	rows.Close()
	if len(attempts) != 8 || twice != 1 {
		t.Errorf("attempts per piece (index:attempts, the stitch last) %v: want one piece run twice, the rest once", attempts)
	}

	// Both workers took pieces: the event log names each start's worker.
	var log api.VideoEvents
	fetchJSON(t, apiURL+"/api/videos/"+id+"/events", bearer, &log)
	hosts := map[string]bool{}
	for _, e := range log.Events {
		var d struct {
			Piece  *int   `json:"piece"`
			Worker string `json:"worker"`
		}
		if e.Type == reel.LogStarted && json.Unmarshal(e.Data, &d) == nil && d.Piece != nil {
			hosts[d.Worker] = true
		}
	}
	if len(hosts) != 2 {
		t.Errorf("pieces started on %v, want both workers", hosts)
	}

	// It plays: the master, a variant, its init segment and its last
	// segment, through the API process.
	fetchJSON(t, apiURL+"/api/videos/"+id, bearer, &v)
	if v.Playback == nil {
		t.Fatal("no playback URL")
	}
	base := strings.TrimSuffix(v.Playback.URL, "master.m3u8")
	resp, master := s.get(base + "master.m3u8")
	mustStatus(t, "master", resp, master, http.StatusOK)
	variants, _ := uris(string(master))
	if len(variants) == 0 {
		t.Fatalf("no variants in\n%s", master)
	}
	resp, media := s.get(base + variants[0])
	mustStatus(t, "variant", resp, media, http.StatusOK)
	segments, initURI := uris(string(media))
	if initURI == "" || len(segments) < 6 {
		t.Fatalf("media playlist:\n%s", media)
	}
	vdir := variants[0][:strings.LastIndexByte(variants[0], '/')+1]
	for _, f := range []string{initURI, segments[len(segments)-1]} {
		resp, body := s.get(base + vdir + f)
		mustStatus(t, f, resp, body, http.StatusOK)
	}
}

// bearerTransport adds an API key to every request.
type bearerTransport struct {
	key  string
	next http.RoundTripper
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.next.RoundTrip(r)
}
