package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"reel/api/apitest"
	"reel/tusclient"
)

// TestShutdownHandsBack runs one API process and two workers as real
// processes on one SQLite database and shared stores. SIGTERM reaches the
// worker transcoding a video: it exits 0 and the other worker finishes the
// video at once, with a stall timeout (10 minutes) far longer than the
// test allows, so that no rescue can be what saves it. The metrics of the
// API process and of the surviving worker (on --metrics-addr) then show
// the upload, the transcode and a failed one; its /readyz answers 200.
func TestShutdownHandsBack(t *testing.T) {
	bin := buildReel(t)
	shared := t.TempDir()
	stores := []string{"--db", filepath.Join(shared, "reel.db"),
		"--originals", "file://" + filepath.Join(shared, "originals"), "--outputs", "file://" + filepath.Join(shared, "outputs"),
		"--stall-timeout", "10m", "--log-level", "info"}
	apiURL, _ := startChild(t, bin, nil, "api", append([]string{"serve", "--data", filepath.Join(shared, "api"), "--addr", "127.0.0.1:0", "--workers", "0"}, stores...)...)
	names := []string{"worker-1", "worker-2"}
	workers, metricsURL := map[string]*exec.Cmd{}, map[string]string{}
	for _, name := range names {
		addr := freeAddr(t)
		metricsURL[name] = "http://" + addr
		_, workers[name] = startChild(t, bin, nil, name, append([]string{"worker", "--data", filepath.Join(shared, name),
			"--concurrency", "1", "--metrics-addr", addr}, stores...)...)
	}
	src := clusterClip(t)
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if err := os.WriteFile(clip, src, 0o644); err != nil {
		t.Fatal(err)
	}
	api1 := &server{t: t, url: apiURL, api: apitest.Transport(t, http.DefaultTransport, apiURL)}
	code, v, e := api1.upload(clip, "handed back")
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %+v", code, e)
	}
	id := v.ID

	// SIGTERM to the worker whose work folder holds the transcode, once
	// it has made progress.
	victim := transcodingWorker(t, apiURL, nil, id, shared, workers)
	workers[victim].Process.Signal(syscall.SIGTERM)
	signalled := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- workers[victim].Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("%s after SIGTERM: %v, want exit status 0", victim, err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s still running a minute after SIGTERM", victim)
	}
	t.Logf("%s exited %.1f s after SIGTERM", victim, time.Since(signalled).Seconds())

	for deadline := time.Now().Add(4 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		fetchJSON(t, apiURL+"/api/videos/"+id, nil, &v)
		if v.Status == "ready" || v.Status == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("video still %s (%.2f) four minutes after SIGTERM", v.Status, v.Progress)
		}
	}
	if v.Status != "ready" {
		t.Fatalf("video %s: %s", v.Status, v.Error)
	}
	t.Logf("the video was ready %.1f s after SIGTERM", time.Since(signalled).Seconds())

	// Handed back by a snooze: the interrupted attempt was not counted.
	db, err := sql.Open("sqlite", filepath.Join(shared, "reel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var attempt int
	var snoozes sql.NullInt64
	err = db.QueryRow(`SELECT attempt, json_extract(metadata, '$.snoozes') FROM river_job WHERE kind = 'transcode' AND json_extract(args, '$.video_id') = ?`, id).Scan(&attempt, &snoozes)
	if err != nil {
		t.Fatal(err)
	}
	if attempt != 1 || snoozes.Int64 != 1 {
		t.Errorf("the transcode job: attempt %d after %d snoozes; want attempt 1 after one snooze", attempt, snoozes.Int64)
	}

	// A failure: the first 64 KiB of the clip are no video ffmpeg can read.
	bad := filepath.Join(t.TempDir(), "cut.mp4")
	os.WriteFile(bad, src[:64<<10], 0o644)
	code, bv, e := api1.upload(bad, "cut short")
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %+v", code, e)
	}
	if got := api1.waitFinal(bv.ID, 3*time.Minute); got.Status != "failed" {
		t.Fatalf("a cut clip: %s, want failed", got.Status)
	}

	var survivor string
	for _, name := range names {
		if name != victim {
			survivor = name
		}
	}
	// The video row turns failed just before River records the job's
	// end, whose event the metrics count: scrape until it is in.
	want := map[string]float64{
		`reel_jobs_total{kind="transcode",outcome="completed"}`: 1,
		`reel_jobs_total{kind="transcode",outcome="cancelled"}`: 1,
		`reel_job_queue_wait_seconds_count{kind="transcode"}`:   2,
		`reel_transcode_failures_total{reason="invalid"}`:       1,
		`reel_transcode_seconds_total`:                          0.1,
		`reel_transcoded_media_seconds_total`:                   39,
		`go_goroutines`:                                         1,
	}
	var m map[string]float64
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		m = scrapeMetrics(t, metricsURL[survivor]+"/metrics")
		short := false
		for series, min := range want {
			short = short || m[series] < min
		}
		if !short || time.Now().After(deadline) {
			break
		}
	}
	for series, min := range want {
		if m[series] < min {
			t.Errorf("%s of %s = %v, want at least %v", series, survivor, m[series], min)
		}
	}
	if n := m[`reel_transcoded_media_seconds_total`]; n > 41 {
		t.Errorf("reel_transcoded_media_seconds_total = %v for one 40 s clip", n)
	}
	resp, err := http.Get(metricsURL[survivor] + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz of %s: %v %v", survivor, resp, err)
	}

	// The API process counts by route pattern, on its main listener for
	// a loopback client.
	m = scrapeMetrics(t, apiURL+"/metrics")
	if n := m[`reel_http_requests_total{method="POST",route="/api/videos",status="201"}`]; n != 2 {
		t.Errorf("%v uploads counted, want 2", n)
	}
	if n := m[`reel_upload_bytes_total`]; n < float64(len(src)+64<<10) {
		t.Errorf("reel_upload_bytes_total = %v, want at least the %d bytes sent", n, len(src)+64<<10)
	}
	if m[`reel_http_requests_total{method="GET",route="/api/videos/{id}",status="200"}`] < 2 {
		t.Errorf("reads of a video not counted under their route pattern")
	}
}

// freeAddr returns a loopback address no one listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// scrapeMetrics fetches a /metrics page and returns each series' value,
// keyed like `name{label="value",...}`, histograms by their _count.
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			var labels []string
			for _, l := range m.Label {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			suffix := ""
			if len(labels) > 0 {
				suffix = "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[name+suffix] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[name+suffix] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[name+"_count"+suffix] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// TestShutdownMidUpload sends SIGTERM to an API process while a tus PATCH
// is arriving: the process waits --shutdown-timeout for it, closes the
// connection, exits 0, and the upload resumes on a second process from
// the offset saved, the original complete and intact.
func TestShutdownMidUpload(t *testing.T) {
	bin := buildReel(t)
	shared := t.TempDir()
	stores := []string{"--db", filepath.Join(shared, "reel.db"), "--workers", "0", "--addr", "127.0.0.1:0",
		"--originals", "file://" + filepath.Join(shared, "originals"), "--outputs", "file://" + filepath.Join(shared, "outputs")}
	urlA, cmdA := startChild(t, bin, nil, "api-a", append([]string{"serve", "--data", filepath.Join(shared, "a"), "--shutdown-timeout", "2s"}, stores...)...)
	urlB, _ := startChild(t, bin, nil, "api-b", append([]string{"serve", "--data", filepath.Join(shared, "b")}, stores...)...)
	src := clusterClip(t)

	a := &tusclient.Client{Endpoint: urlA + "/api/uploads/"}
	loc := createUpload(t, a, len(src))
	off := patchUntil(t, []*tusclient.Client{a}, loc, src, 1)

	// A PATCH whose body stops after half a chunk, then SIGTERM.
	n := min(tusChunk, int64(len(src))-off)
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest(http.MethodPatch, loc, pr)
	req.ContentLength = n
	req.Header.Set("Tus-Resumable", tusclient.Version)
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(off, 10))
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if _, err := pw.Write(src[off : off+n/2]); err != nil {
		t.Fatalf("PATCH body: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // let the server store some of it
	cmdA.Process.Signal(syscall.SIGTERM)
	signalled := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- cmdA.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("api-a after SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("api-a still running a minute after SIGTERM")
	}
	t.Logf("api-a exited %.1f s after SIGTERM (--shutdown-timeout 2s)", time.Since(signalled).Seconds())

	// B resumes it from the offset A saved.
	b := &tusclient.Client{Endpoint: urlB + "/api/uploads/"}
	target := b.Endpoint + videoID(loc)
	held, _, err := b.Offset(context.Background(), target)
	if err != nil {
		t.Fatalf("HEAD on B: %v", err)
	}
	if held <= off {
		t.Errorf("B sees %d bytes, no more than the %d before the cut PATCH", held, off)
	}
	resumed := time.Now()
	up := &tusclient.Uploader{Client: b, ChunkSize: 4 << 20, Backoff: func(int) time.Duration { return 200 * time.Millisecond }}
	if err := up.Resume(context.Background(), target, bytes.NewReader(src), int64(len(src))); err != nil {
		t.Fatalf("resume on B: %v", err)
	}
	t.Logf("resumed on B from %d of %d bytes in %.1f s", held, len(src), time.Since(resumed).Seconds())
	got, err := os.ReadFile(filepath.Join(shared, "originals", videoID(loc), "original"))
	if err != nil || !bytes.Equal(got, src) {
		t.Fatalf("original: %d bytes (%v), want the %d sent", len(got), err, len(src))
	}
}
