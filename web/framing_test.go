package web

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"reel"
)

// TestPartHeaderLimit: a part with 1 MiB of headers is refused with 400
// and nothing is stored (mime/multipart alone accepts 10 MiB); one just
// under the cap is fine.
func TestPartHeaderLimit(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{AllowOpen: true})
	post := func(extra int) (int, []byte) {
		body := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nX-Pad: " + strings.Repeat("a", extra) +
			"\r\n\r\nvideo bytes\r\n--B--\r\n"
		status, _, b := e.do(req{method: "POST", path: "/api/videos", body: strings.NewReader(body), header: map[string]string{"Content-Type": "multipart/form-data; boundary=B"}})
		return status, b
	}
	before := e.snapshot()
	if status, b := post(1 << 20); status != 400 || !strings.Contains(string(b), "KiB of headers") {
		t.Errorf("1 MiB part header: %d %s, want 400", status, b)
	}
	if e.snapshot() != before {
		t.Error("the refused upload changed the state")
	}
	if status, b := post(15 << 10); status != 201 {
		t.Errorf("15 KiB part header: %d %s, want 201", status, b)
	}
}

// TestPartHeaderLimitReads runs the limit over bodies read in every
// chunking, so that delimiters and blank lines split across reads count.
func TestPartHeaderLimitReads(t *testing.T) {
	part := func(name string, header int, body string) string {
		return "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\nX-Pad: " + strings.Repeat("h", header) + "\r\n\r\n" + body + "\r\n"
	}
	ok := part("a", 100, strings.Repeat("\r\n--XyZ-not-quite \r\n\r\n", 500)) + part("b", 16000, "x") + part("file", 10, strings.Repeat("v", 100000)) + "--XyZ--\r\n"
	bad := part("a", 10, "x") + part("b", 17000, "y") + "--XyZ--\r\n"
	readers := map[string]func(string) io.Reader{
		"whole":    func(s string) io.Reader { return strings.NewReader(s) },
		"one byte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		"half":     func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
		"7 bytes":  func(s string) io.Reader { return &chunked{s: s, n: 7} },
	}
	for name, rd := range readers {
		l := newPartHeaderLimit(rd(ok), "XyZ", maxPartHeader)
		if n, err := io.Copy(io.Discard, l); err != nil || n != int64(len(ok)) {
			t.Errorf("%s: a body within the limit: %d bytes, %v", name, n, err)
		}
		l = newPartHeaderLimit(rd(bad), "XyZ", maxPartHeader)
		if _, err := io.Copy(io.Discard, l); !errors.Is(err, errPartHeader) {
			t.Errorf("%s: a 17 KB part header: %v, want errPartHeader", name, err)
		}
	}
}

// chunked reads s n bytes at a time.
type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[k:]
	return k, nil
}

// TestContentLengthAndChunked: a request with both Content-Length and
// Transfer-Encoding is answered with Connection: close and the connection
// ends, so a request smuggled behind it is never served (RFC 9112 §6.1).
func TestContentLengthAndChunked(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{AllowOpen: true})
	c, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	smuggled := "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
	fmt.Fprintf(c, "POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n%s",
		len("0\r\n\r\n")+len(smuggled), smuggled)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if !resp.Close {
		t.Errorf("answer without Connection: close: %v", resp.Header)
	}
	if rest, err := io.ReadAll(br); len(rest) > 0 || err != nil {
		t.Errorf("after the answer: %q, %v; want the connection closed", rest, err)
	}
	// A plain chunked request is closed after too; keep-alive otherwise.
	if status, h, _ := e.do(req{method: "GET", path: "/api/session"}); status != 200 || h.Get("Connection") == "close" {
		t.Errorf("plain request: %d, Connection %q", status, h.Get("Connection"))
	}
}

// TestRangeUnknownUnit: a Range in a unit other than bytes is ignored
// (200, the whole file), not refused with 416; the bytes unit in any case
// still works.
func TestRangeUnknownUnit(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{AllowOpen: true})
	id := e.addVideo("", reel.VisibilityPublic)
	master := "#EXTM3U\n#EXT-X-VERSION:7\n"
	if _, err := e.s.Outputs.Put(context.Background(), reel.OutputPrefix(id)+reel.MasterPlaylist, strings.NewReader(master)); err != nil {
		t.Fatal(err)
	}
	seg := bytes.Repeat([]byte("s"), 1000)
	if _, err := e.s.Outputs.Put(context.Background(), reel.OutputPrefix(id)+"v0/seg1.m4s", bytes.NewReader(seg)); err != nil {
		t.Fatal(err)
	}
	tok := e.s.Signer.Sign(id, authNow.Add(time.Hour))
	for _, file := range []string{reel.MasterPlaylist, "v0/seg1.m4s"} {
		for rng, want := range map[string]int{"items=0-5": 200, "none": 200, "x-bytes=0-1": 200, "bytes=0-1": 206, "BYTES=0-1": 206, "Bytes=0-1,3-4": 206} {
			status, _, b := e.do(req{method: "GET", path: "/play/" + tok + "/" + id + "/" + file, header: map[string]string{"Range": rng}})
			if status != want {
				t.Errorf("%s with Range %q: %d, want %d", file, rng, status, want)
			}
			if want == 200 && status == 200 && (file == reel.MasterPlaylist && string(b) != master || file != reel.MasterPlaylist && len(b) != len(seg)) {
				t.Errorf("%s with Range %q: %d bytes, want the whole file", file, rng, len(b))
			}
		}
	}
}
