package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"io/fs"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"reel/api"
	"reel/tusclient"
)

// TestLoadBalancer puts Debian's nginx, configured from
// docs/nginx-lb.conf, in front of two reel serve processes on one
// database, and sends a 1 GiB multipart upload (generated as it is sent,
// never held in memory) and a tus upload through it. nginx must stream
// both through: nothing is ever written to its client body temp folder,
// which the test watches during the uploads and checks after.
func TestLoadBalancer(t *testing.T) {
	ngx := nginxBinary(t)
	bin := buildReel(t)
	data := t.TempDir()
	key := createKey(t, data, "admin", "admin")
	var upstreams []string
	for _, name := range []string{"api-a", "api-b"} {
		u, _ := startChild(t, bin, nil, name, "serve", "--data", data, "--addr", "127.0.0.1:0", "--workers", "0")
		upstreams = append(upstreams, strings.TrimPrefix(u, "http://"))
	}

	conf, err := os.ReadFile("../../docs/nginx-lb.conf")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nginx binds it next
	prefix := t.TempDir()
	text := strings.NewReplacer(
		"server @UPSTREAM@;", "server "+strings.Join(upstreams, ";\n        server ")+";",
		"@LISTEN@", addr,
		"@TEMP_DIR@", prefix,
	).Replace(string(conf))
	lb := runNginx(t, ngx, prefix, addr, text)
	temp := filepath.Join(prefix, "client_temp")

	// Anything that appears in the temp folder while the uploads run:
	// nginx unlinks a body's temp file as soon as it creates it, so look
	// for open files under the folder too.
	var mu sync.Mutex
	var spooled []string
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			found := openUnder(temp)
			filepath.WalkDir(temp, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					found = append(found, p)
				}
				return nil
			})
			mu.Lock()
			spooled = append(spooled, found...)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	// 1 GiB multipart upload with its Content-Length, as browsers send it.
	const size = 1 << 30
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField("title", "through the load balancer")
	if _, err := mw.CreateFormFile("file", "big.mp4"); err != nil {
		t.Fatal(err)
	}
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	body := io.MultiReader(bytes.NewReader(head.Bytes()), io.LimitReader(zeros{}, size), strings.NewReader(tail))
	req, _ := http.NewRequest(http.MethodPost, lb+"/api/videos", body)
	req.ContentLength = int64(head.Len()) + size + int64(len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload through nginx: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var v api.Video
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &v) != nil || v.Size != size {
		t.Fatalf("upload through nginx: %s %s", resp.Status, trim(raw))
	}
	if fi, err := os.Stat(filepath.Join(data, "originals", v.ID, "original")); err != nil || fi.Size() != size {
		t.Errorf("stored original: %v %v", fi, err)
	}

	// A tus upload, its PATCHes spread over both processes by nginx.
	src := make([]byte, 24<<20)
	rand.Read(src)
	c := &tusclient.Client{Endpoint: lb + "/api/uploads/", Header: http.Header{"Authorization": {"Bearer " + key}}}
	loc, err := c.Create(context.Background(), int64(len(src)), map[string]string{"filename": "clip.mp4", "title": "tus through the load balancer"})
	if err != nil {
		t.Fatalf("tus create through nginx: %v", err)
	}
	up := &tusclient.Uploader{Client: c, ChunkSize: 4 << 20, Backoff: func(int) time.Duration { return 200 * time.Millisecond }}
	if err := up.Resume(context.Background(), c.Endpoint+videoID(loc), bytes.NewReader(src), int64(len(src))); err != nil {
		t.Fatalf("tus upload through nginx: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(data, "originals", videoID(loc), "original")); err != nil || !bytes.Equal(got, src) {
		t.Errorf("tus original: %d bytes, %v; want the %d sent", len(got), err, len(src))
	}

	close(stop)
	<-watched
	if len(spooled) > 0 {
		t.Errorf("nginx spooled request bodies to %s: seen %d times, first %s", temp, len(spooled), spooled[0])
	}
	if left := files(t, temp); len(left) > 0 {
		t.Errorf("left in nginx's temp folder: %v", left)
	}
}

// openUnder lists the files under dir that some process of ours holds
// open, deleted or not, as /proc/PID/fd shows them.
func openUnder(dir string) []string {
	var out []string
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && strings.HasPrefix(target, dir+"/") {
			out = append(out, target)
		}
	}
	return out
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
