package main

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestDiskCrashMidUpload kills reel with SIGKILL while a multipart upload
// streams into the disk originals store: the partial original (a temp
// file) is removed by the next start, at once, not an hour later. A third
// process started on the same folder while the second one receives an
// upload leaves that live upload's temp file alone, and it completes.
func TestDiskCrashMidUpload(t *testing.T) {
	bin := buildReel(t)
	data := t.TempDir()
	tmp := filepath.Join(data, "originals", ".tmp")

	url1, cmd1 := startTusProcess(t, bin, data, nil)
	pw1, _, status1 := startUpload(t, url1)
	crashed := waitTempFile(t, tmp, "")
	cmd1.Process.Signal(syscall.SIGKILL)
	cmd1.Wait()
	pw1.CloseWithError(io.ErrUnexpectedEOF) // the client gives up too
	select {
	case <-status1:
	case <-time.After(time.Minute):
		t.Fatal("the cut upload's request did not end within a minute")
	}
	if _, err := os.Stat(crashed); err != nil {
		t.Fatalf("the killed upload's temp file should be there before the restart: %v", err)
	}

	url2, _ := startTusProcess(t, bin, data, nil)
	if _, err := os.Stat(crashed); !os.IsNotExist(err) {
		t.Errorf("temp file of the killed upload still there after the restart: %v", err)
	}

	// An upload in flight on the second process, then a third process.
	pw, mw, status2 := startUpload(t, url2)
	live := waitTempFile(t, tmp, crashed)
	startTusProcess(t, bin, data, nil)
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("another process's start removed a live upload's temp file: %v", err)
	}
	pw.Write(bytes.Repeat([]byte("the rest "), 1000))
	mw.Close()
	pw.Close()
	select {
	case code := <-status2:
		if code != http.StatusCreated {
			t.Errorf("the live upload ended with %d, want 201", code)
		}
	case <-time.After(time.Minute):
		t.Fatal("the live upload did not finish within a minute")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// startUpload begins a multipart upload to url, sends the first MiB of its
// file and leaves the request open: the caller finishes it by writing to
// the pipe and closing the form and the pipe. The status arrives on the
// channel, 0 if the request failed.
func startUpload(t *testing.T, url string) (*io.PipeWriter, *multipart.Writer, <-chan int) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	status := make(chan int, 1)
	go func() {
		resp, err := http.Post(url+"/api/videos", mw.FormDataContentType(), pr)
		if err != nil {
			pr.CloseWithError(err)
			status <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	part, err := mw.CreateFormFile("file", "clip.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(bytes.Repeat([]byte("first MiB "), 1<<20/10)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
	return pw, mw, status
}

// waitTempFile waits for a temp file other than except to hold bytes in
// dir, and returns its path.
func waitTempFile(t *testing.T, dir, except string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if fi, err := e.Info(); err == nil && p != except && fi.Size() > 0 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no upload's temp file in %s within a minute", dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
