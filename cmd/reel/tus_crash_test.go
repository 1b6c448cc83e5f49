package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"reel/api/apitest"
	"reel/pgtest"
	"reel/s3test"
	"reel/tusclient"
)

// TestTusCrash kills reel with SIGKILL in the middle of a tus upload, in
// the middle of a PATCH body, and continues the upload with HEAD + PATCH:
// through a restarted reel, and through a second reel process that shares
// the database and the store (taking turns with the first while both are
// alive, then alone once the first is dead). The original must equal the
// source byte for byte, and the video be queued for transcoding. Once with
// the originals on disk, once on S3 (versitygw), once with the database on
// PostgreSQL.
func TestTusCrash(t *testing.T) {
	bin := buildReel(t)
	src := tusClip(t)

	for _, store := range []string{"disk", "s3", "postgres"} {
		t.Run(store, func(t *testing.T) {
			open := func(t *testing.T) (flags, env []string, original func(id string) []byte) {
				switch store {
				case "disk":
					return nil, nil, nil
				case "postgres":
					// Upload state and the lease of the killed holder
					// in PostgreSQL, originals on disk.
					return []string{"--db", pgtest.New(t).URL}, nil, nil
				}
				srv := s3test.Start(t)
				// 5 MiB parts: the 12 MB clip spans several, plus a tail.
				flags = []string{"--originals", srv.Bucket(t, "originals"), "--part-size", "5MiB"}
				return flags, srv.Env(), func(id string) []byte { return s3Object(t, srv, "originals", id+"/original") }
			}
			t.Run("restart", func(t *testing.T) {
				flags, env, original := open(t)
				tusRestart(t, bin, src, flags, env, original)
			})
			t.Run("second process", func(t *testing.T) {
				flags, env, original := open(t)
				tusSecondProcess(t, bin, src, flags, env, original)
			})
		})
	}
}

// tusRestart uploads half of src, kills reel mid-PATCH, starts it again on
// the same data and finishes the upload.
func tusRestart(t *testing.T, bin string, src []byte, flags, env []string, original func(string) []byte) {
	data := t.TempDir()
	url, cmd := startTusProcess(t, bin, data, env, flags...)
	c := &tusclient.Client{Endpoint: url + "/api/uploads/"}
	loc := createUpload(t, c, len(src))
	off := patchUntil(t, []*tusclient.Client{c}, loc, src, int64(len(src)/2))
	killMidPatch(t, cmd, loc, src, off)

	url, _ = startTusProcess(t, bin, data, env, flags...)
	finishUpload(t, url, loc, src)
	checkOriginal(t, url, data, loc, src, original)
}

// tusSecondProcess runs two reel processes on the same data: chunks go to
// one and the other in turn, the first is killed mid-PATCH, the second
// finishes.
func tusSecondProcess(t *testing.T, bin string, src []byte, flags, env []string, original func(string) []byte) {
	data := t.TempDir()
	urlA, cmdA := startTusProcess(t, bin, data, env, flags...)
	urlB, _ := startTusProcess(t, bin, data, env, flags...)
	a := &tusclient.Client{Endpoint: urlA + "/api/uploads/"}
	b := &tusclient.Client{Endpoint: urlB + "/api/uploads/"}
	loc := createUpload(t, a, len(src))
	off := patchUntil(t, []*tusclient.Client{a, b}, loc, src, int64(len(src)/2))
	killMidPatch(t, cmdA, loc, src, off)

	finishUpload(t, urlB, loc, src)
	checkOriginal(t, urlB, data, loc, src, original)
}

// startTusProcess runs reel serve as a child process with no transcoding
// workers (the tests check uploads, not transcodes) and returns its URL.
func startTusProcess(t *testing.T, bin, data string, env []string, flags ...string) (string, *exec.Cmd) {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--signing-key", testKey,
		"--workers", "0"}, flags...)
	return startChild(t, bin, env, "reel serve", args...)
}

// tusClip encodes a 6 s 720p clip of about 12 MB.
func tusClip(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=6",
		"-c:v", "libx264", "-preset", "ultrafast", "-b:v", "16M", "-maxrate", "16M", "-bufsize", "16M",
		"-pix_fmt", "yuv420p", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 8<<20 {
		t.Fatalf("clip only %d bytes", len(b))
	}
	return b
}

func createUpload(t *testing.T, c *tusclient.Client, size int) string {
	t.Helper()
	loc, err := c.Create(context.Background(), int64(size), map[string]string{
		"filename": "clip.mp4", "filetype": "video/mp4", "title": "crash " + t.Name()})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return loc
}

// tusChunk is the size of the PATCHes before the crash: not a multiple of
// an S3 part, so tails are in play.
const tusChunk = 3 << 20

// patchUntil sends chunks of src, each to the next client in turn, until
// the server holds at least half bytes; it returns the offset.
func patchUntil(t *testing.T, clients []*tusclient.Client, loc string, src []byte, half int64) int64 {
	t.Helper()
	var off int64
	for i := 0; off < half; i++ {
		c := clients[i%len(clients)]
		// Each process answers for the same upload at its own address.
		target := c.Endpoint + videoID(loc)
		next, err := c.Patch(context.Background(), target, bytes.NewReader(src), off, min(tusChunk, int64(len(src))-off), nil)
		if err != nil {
			t.Fatalf("PATCH at %d through %s: %v", off, c.Endpoint, err)
		}
		off = next
	}
	return off
}

// killMidPatch starts a PATCH at off whose body stops after half a chunk,
// and kills reel with SIGKILL while the server is reading it. There is no
// checksum, so the server writes what it receives as it comes.
func killMidPatch(t *testing.T, cmd *exec.Cmd, loc string, src []byte, off int64) {
	t.Helper()
	n := min(tusChunk, int64(len(src))-off)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPatch, loc, pr)
	req.ContentLength = n
	req.Header.Set("Tus-Resumable", tusclient.Version)
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(off, 10))
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = errors.New(resp.Status)
		}
		done <- err
	}()
	if _, err := pw.Write(src[off : off+n/2]); err != nil {
		t.Fatalf("PATCH body: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // let the server store some of it
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	pw.CloseWithError(errors.New("reel was killed"))
	if err := <-done; err == nil || err.Error() == "204 No Content" {
		t.Fatalf("the PATCH cut off by the kill answered %v", err)
	}
}

// finishUpload continues the upload through the server at url from the
// offset a HEAD reports, the way reel upload does.
func finishUpload(t *testing.T, url, loc string, src []byte) {
	t.Helper()
	c := &tusclient.Client{Endpoint: url + "/api/uploads/"}
	target := c.Endpoint + videoID(loc)
	held, _, err := c.Offset(context.Background(), target)
	if err != nil {
		t.Fatalf("HEAD after the kill: %v", err)
	}
	if held < int64(len(src))/2 || held >= int64(len(src)) {
		t.Errorf("after the kill the server holds %d of %d bytes, want at least the half sent before", held, len(src))
	}
	t.Logf("after the kill the server holds %d of %d bytes", held, len(src))
	up := &tusclient.Uploader{Client: c, ChunkSize: 4 << 20, Backoff: func(int) time.Duration { return 200 * time.Millisecond }}
	if err := up.Resume(context.Background(), target, bytes.NewReader(src), int64(len(src))); err != nil {
		t.Fatalf("resume: %v", err)
	}
}

// checkOriginal compares the stored original with src (on disk under
// data, or through original for S3) and checks the video is queued.
func checkOriginal(t *testing.T, url, data, loc string, src []byte, original func(string) []byte) {
	t.Helper()
	id := videoID(loc)
	var got []byte
	if original == nil {
		var err error
		if got, err = os.ReadFile(filepath.Join(data, "originals", id, "original")); err != nil {
			t.Fatal(err)
		}
	} else {
		got = original(id)
		if left := files(t, filepath.Join(data, "originals")); len(left) != 0 {
			t.Errorf("local originals with an S3 store: %v", left)
		}
	}
	if !bytes.Equal(got, src) {
		t.Fatalf("stored original: %d bytes, differs from the %d byte source at %d", len(got), len(src), firstDiff(got, src))
	}
	s := &server{t: t, url: url, data: data, api: apitest.Transport(t, http.DefaultTransport, url)}
	v, ok := s.video(id)
	if !ok || v.Status != "queued" || v.Size != int64(len(src)) || v.Title != "crash "+t.Name() {
		t.Errorf("video after the upload: found %v, %+v", ok, v)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// s3Object reads an object from versitygw.
func s3Object(t *testing.T, srv *s3test.Server, bucket, key string) []byte {
	t.Helper()
	out, err := srv.Client().GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
