package main

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"reel/api"
	"reel/api/apitest"
	"reel/mediatest"
)

// startProcess runs reel serve as a child process on data and returns its
// URL and the command, for tests that kill it.
func startProcess(t *testing.T, bin, data string) (string, *exec.Cmd) {
	t.Helper()
	return startChild(t, bin, nil, "reel serve", "serve", "--data", data, "--addr", "127.0.0.1:0", "--signing-key", testKey,
		// A stall timeout well above a loaded machine's pauses in ffmpeg's
		// progress, yet short enough that a killed transcode is rescued soon.
		"--workers", "1", "--stall-timeout", "8s")
}

// waitProcessing waits until the video's transcode has made progress.
func waitProcessing(t *testing.T, s *server, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		v, _ := s.video(id)
		if v.Status == "processing" && v.Progress > 0 {
			return
		}
		if v.Status == "ready" || v.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("never saw the transcode under way: %s", v.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCrashMidTranscode kills reel with SIGKILL in the middle of a
// transcode and starts it again: the video reaches ready with no operator
// action, because the rescuer requeues what the dead worker left.
func TestCrashMidTranscode(t *testing.T) {
	bin := buildReel(t)
	data := t.TempDir()

	url, cmd := startProcess(t, bin, data)
	s := &server{t: t, url: url, data: data, api: apitest.Transport(t, http.DefaultTransport, url)}
	status, v, e := s.upload(mediatest.Path(t, mediatest.Camera), "crash")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, e.Error.Message)
	}
	waitProcessing(t, s, v.ID)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	s.url, _ = startProcess(t, bin, data)
	if got := s.waitFinal(v.ID, 3*time.Minute); got.Status != "ready" {
		t.Fatalf("after the crash: %s %q", got.Status, got.Error)
	}
	if resp, _ := s.get(s.mustVideo(v.ID).Playback.URL); resp.StatusCode != http.StatusOK {
		t.Errorf("master after recovery: %d", resp.StatusCode)
	}
}

// TestRestartMidTranscode stops reel gracefully mid-transcode; the job is
// retried by the next start.
func TestRestartMidTranscode(t *testing.T) {
	data := t.TempDir()
	ctx, stop := context.WithCancel(context.Background())
	s := startServerCtx(t, ctx, data)
	_, v, _ := s.upload(mediatest.Path(t, mediatest.Camera), "restart")
	waitProcessing(t, s, v.ID)
	stop()
	s.wait()

	s2 := startServerCtx(t, context.Background(), data)
	if got := s2.waitFinal(v.ID, 3*time.Minute); got.Status != "ready" {
		t.Fatalf("after the restart: %s %q", got.Status, got.Error)
	}
}

func (s *server) mustVideo(id string) api.Video {
	s.t.Helper()
	v, ok := s.video(id)
	if !ok || v.Playback == nil {
		s.t.Fatalf("video %s: found %v, %+v", id, ok, v)
	}
	return v
}

// dieWithTest makes a child process get SIGKILL when the test process
// ends, even when go test kills it on a timeout and no cleanup runs: no
// reel, nginx or worker is left running after a failed run.
var dieWithTest = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}

// buildReel builds reel for tests that run it as a process and kill it,
// skipping them under -short or without ffmpeg.
func buildReel(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs reel as a process")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	bin := filepath.Join(t.TempDir(), "reel")
	args := []string{"build", "-o", bin}
	if commit, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		// As make build does, for reel version.
		args = append(args, "-ldflags", "-X main.commit="+strings.TrimSpace(string(commit)))
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
