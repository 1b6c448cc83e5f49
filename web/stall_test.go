package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"reel"
	"reel/disk"
)

// TestStalledBodies holds 20 requests whose bodies stop (announced and
// never sent, or a multipart upload that stops mid-file) on every kind of
// route, with a 3 s body timeout: every connection is closed within
// seconds, another client is served meanwhile, the cut-off uploads leave
// no file behind, and the tus upload keeps exactly what it acknowledged.
func TestStalledBodies(t *testing.T) {
	originalsDir := t.TempDir()
	e := newAuthEnv(t, AccessConfig{AllowOpen: true, BodyTimeout: 3 * time.Second}, func(e *authEnv) {
		st, err := disk.New(originalsDir)
		if err != nil {
			t.Fatal(err)
		}
		e.originals, e.s.Originals = st, st
	}, withTus)
	id := e.addVideo("", reel.VisibilityPublic)
	status, h, b := e.do(req{method: "POST", path: "/api/uploads/", header: map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": "1000"}})
	if status != 201 {
		t.Fatalf("create tus upload: %d %s", status, b)
	}
	upload := h.Get("Location")
	if status, _, b := e.do(req{method: "PATCH", path: upload, body: strings.NewReader("0123456789"), header: map[string]string{
		"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}}); status != 204 {
		t.Fatalf("first PATCH: %d %s", status, b)
	}
	files := func() []string {
		var out []string
		filepath.WalkDir(originalsDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, p)
			}
			return nil
		})
		return out
	}
	before := len(files())

	const multipartHead = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
	stalls := []struct{ name, head, body string }{
		{"multipart upload stopping mid-file", "POST /api/videos HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000\r\n",
			multipartHead + strings.Repeat("v", 70000)},
		{"multipart upload stopping in a part header", "POST /api/videos HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000\r\n",
			"--B\r\nContent-Disposition: form-data; name=\"title\"\r\n"},
		{"sign-in JSON never sent", "POST /api/session HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n", ""},
		{"PATCH JSON half sent", "PATCH /api/videos/" + id + " HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n", `{"title":`},
		{"tus PATCH never sent", "PATCH " + upload + " HTTP/1.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 10\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 990\r\n", ""},
		{"GET with an announced body", "GET /api/videos HTTP/1.1\r\nContent-Length: 100\r\n", ""},
	}
	host := e.ts.Listener.Addr().String()
	type result struct {
		name    string
		elapsed time.Duration
		err     error
	}
	results := make(chan result, 20)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 20 {
		st := stalls[i%len(stalls)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", host)
			if err != nil {
				results <- result{st.name, 0, err}
				return
			}
			defer c.Close()
			io.WriteString(c, st.head+"Host: "+host+"\r\n\r\n"+st.body)
			// Whatever the server answers, it must then close: read to EOF.
			c.SetReadDeadline(time.Now().Add(60 * time.Second))
			_, err = io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = fmt.Errorf("still open after 60 s")
			} else {
				err = nil // EOF or reset: closed
			}
			results <- result{st.name, time.Since(start), err}
		}()
	}
	// Another client is served while the 20 wait.
	time.Sleep(500 * time.Millisecond)
	if status, _, b := e.do(req{method: "GET", path: "/api/videos"}); status != 200 {
		t.Errorf("another client during the stalls: %d %s", status, b)
	}
	wg.Wait()
	close(results)
	var slowest time.Duration
	for r := range results {
		if r.err != nil {
			t.Errorf("%s: %v", r.name, r.err)
		}
		slowest = max(slowest, r.elapsed)
	}
	t.Logf("20 stalled bodies, body timeout 3 s: all closed within %v", slowest.Round(100*time.Millisecond))

	// Nothing of the cut-off uploads stays; the tus upload keeps its 10
	// acknowledged bytes. Cleanup runs after the answer: poll.
	deadline := time.Now().Add(30 * time.Second)
	for len(files()) != before && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := files(); len(got) != before {
		t.Errorf("files after the stalls: %v, want %d", got, before)
	}
	_, h, _ = e.do(req{method: "HEAD", path: upload, header: map[string]string{"Tus-Resumable": "1.0.0"}})
	if h.Get("Upload-Offset") != "10" {
		t.Errorf("tus upload offset %q after a stalled PATCH, want 10", h.Get("Upload-Offset"))
	}
	if videos, _, _ := e.store.Videos(context.Background(), reel.VideoFilter{Limit: 100}); len(videos) != 2 {
		t.Errorf("%d videos after the stalls, want 2 (the ready one and the tus upload)", len(videos))
	}
}

// TestMaxConnsPerIP holds 64 connections from one address; the 65th is
// answered 503 with Retry-After and closed, and once one of the 64 closes
// the address is served again.
func TestMaxConnsPerIP(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{AllowOpen: true, MaxConnsPerIP: 64})
	host := e.ts.Listener.Addr().String()
	get := func(c net.Conn) (*http.Response, error) {
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
		}
		return resp, err
	}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range 64 {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		if resp, err := get(c); err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d: %v %v", i+1, resp, err)
		}
	}
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := get(c)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("65th connection: %v %v, want 503 with Retry-After", resp, err)
	}
	held[0].Close()
	// The slot comes back when the server sees the close: poll.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := get(c)
		c.Close()
		if err == nil && resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after one of the 64 closed: %v %v", resp, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
