package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"reel/s3test"
)

// A form upload to S3 that stops sending mid-file, its connection left
// open, is closed by --body-timeout and
// leaves no object and no multipart upload in the bucket, as a cut
// connection does; the server keeps serving others meanwhile.
func TestS3UploadStalled(t *testing.T) {
	srv := s3test.Start(t)
	setS3Env(t, srv)
	s := startServer(t, "--originals", srv.Bucket(t, "originals"), "--workers", "0", "--part-size", "5MiB", "--body-timeout", "3s")

	file := bytes.Repeat([]byte("0123456789abcdef"), 30<<20/16) // 30 MiB: several parts
	body, ctype := multipartBody(t, "big.mp4", [2]string{"file", string(file)})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/videos HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ctype, body.Len())
	conn.Write(body.Bytes()[:body.Len()*6/10]) // then nothing, the connection open

	start := time.Now()
	if resp, _ := s.get(s.url + "/api/videos"); resp.StatusCode != 200 {
		t.Errorf("another client while the upload stalls: %d", resp.StatusCode)
	}
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	answer, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the stalled upload's connection: %v after %v, want it closed", err, time.Since(start))
	}
	if !bytes.HasPrefix(answer, []byte("HTTP/1.1 400")) {
		t.Errorf("answer to the stalled upload: %.100q, want 400", answer)
	}
	t.Logf("stalled upload closed after %v", time.Since(start).Round(100*time.Millisecond))

	deadline := time.Now().Add(30 * time.Second)
	for {
		objects, uploads := leftovers(t, srv, "originals")
		if objects == 0 && uploads == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a stalled upload: %d objects, %d multipart uploads left", objects, uploads)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, body := s.get(s.url + "/api/videos"); !strings.Contains(string(body), `"videos":[]`) {
		t.Errorf("a video was created: %s", body)
	}
}

// The limits of the HTTP edge read their REEL_* variables and refuse bad
// values.
func TestEdgeFlags(t *testing.T) {
	env := map[string]string{"REEL_BODY_TIMEOUT": "5s", "REEL_MAX_CONNS_PER_IP": "0", "REEL_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1"}
	c := &ServeCommand{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if err := c.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	a := c.Access.config(nil)
	if a.BodyTimeout != 5*time.Second || a.MaxConnsPerIP != 0 || len(a.TrustedProxies) != 2 || a.TrustedProxies[1].String() != "192.168.1.1/32" {
		t.Errorf("from the environment: %+v", a)
	}
	c = &ServeCommand{Lookup: func(string) (string, bool) { return "", false }}
	if err := c.ParseFlags(nil); err != nil || c.Access.BodyTimeout != time.Minute || c.Access.MaxConnsPerIP != 64 || len(c.Access.trusted) != 0 {
		t.Errorf("defaults: %+v, %v", c.Access, err)
	}
	for _, args := range [][]string{{"--body-timeout", "0s"}, {"--max-conns-per-ip", "-1"}, {"--trusted-proxies", "10.0.0.0/33"}, {"--trusted-proxies", "proxy.example"}} {
		c := &ServeCommand{Lookup: func(string) (string, bool) { return "", false }}
		if err := c.ParseFlags(args); err == nil {
			t.Errorf("ParseFlags(%q) accepted", args)
		}
	}
}
