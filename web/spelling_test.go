package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/s3"
	"reel/s3test"
	"reel/tus"
)

// withTus mounts a real tus endpoint (tusd's handler and reel's store) on
// the server's originals store, as reel serve does.
func withTus(e *authEnv) {
	h, err := tus.New(tus.Config{
		Videos: e.store, Uploads: e.store, Originals: e.s.Originals, MaxSize: 1 << 20,
		Logger: slog.New(slog.DiscardHandler), Prepare: UploadOwner,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.s.Uploads = h
}

// withS3 puts the originals in a bucket of a real S3 server (versitygw).
func withS3(e *authEnv) {
	srv := s3test.Start(e.t)
	srv.Bucket(e.t, "media")
	st, err := s3.Open(context.Background(), srv.URL("media", "originals"), s3.Options{
		Credentials: srv.Credentials(), Pool: s3.NewPartPool(s3.MinPartSize, 4),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.originals, e.s.Originals = st, st
}

// spellings returns the ways to write p other than p itself that a layer
// reading paths loosely could take for p: a trailing slash, "//", "%2F"
// and "%2f" for a slash, "/." and "./", "x/../", case changes, double
// encoding, needless escapes of letters and dots, and control characters.
func spellings(p string) []string {
	var out []string
	add := func(s string) {
		if s != p {
			out = append(out, s)
		}
	}
	slashes := []int{}
	for i, c := range p {
		if c == '/' {
			slashes = append(slashes, i)
		}
	}
	at := func(i int, with string) string { return p[:i] + with + p[i+1:] }
	add(p + "/")
	add(p + "/.")
	add(p + "/..")
	add(p + "%2F")
	add(p + "%00")
	add(p + "%0A")
	add(p + "%20")
	add(strings.ToUpper(p))
	for n, i := range slashes {
		add(at(i, "//"))
		add(at(i, "/./"))
		add(at(i, "/%2E/"))
		add(at(i, "/x/../"))
		add(at(i, "/x/%2E%2E/"))
		if n > 0 {
			add(at(i, `\`))
			add(at(i, "%2F"))
			add(at(i, "%2f"))
			add(at(i, "%252F"))
			add(at(i, "%5C"))
		}
		// The segment after this slash, upper-cased, and its first
		// character escaped, singly and doubly.
		rest := p[i+1:]
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		if end > 0 {
			seg := rest[:end]
			add(p[:i+1] + strings.ToUpper(seg) + rest[end:])
			add(p[:i+1] + fmt.Sprintf("%%%02X", seg[0]) + seg[1:] + rest[end:])
			add(p[:i+1] + fmt.Sprintf("%%%02x", seg[0]) + seg[1:] + rest[end:])
			add(p[:i+1] + fmt.Sprintf("%%25%02X", seg[0]) + seg[1:] + rest[end:])
		}
	}
	return out
}

// route is one route of the table: a request on its canonical path.
type route struct {
	method, path string
	key          string            // caller
	header       map[string]string // besides the key
	body         func() io.Reader
	want         int // the canonical request's status
}

// TestRouteSpellings sends every route of the server under every other
// spelling of its path (see spellings) and checks that each is refused
// and changed nothing, then that the canonical spelling
// works. The uploads of the tus endpoint are attacked by a second
// uploader, on disk and on S3 (versitygw): its HEAD, PATCH and DELETE
// must never reach alice's upload, whatever the spelling.
func TestRouteSpellings(t *testing.T) {
	t.Run("disk", func(t *testing.T) { t.Parallel(); testRouteSpellings(t, newAuthEnv(t, AccessConfig{}, withTus)) })
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		testRouteSpellings(t, newAuthEnv(t, AccessConfig{}, withS3, withTus))
	})
}

func testRouteSpellings(t *testing.T, e *authEnv) {
	e.populate()
	ready, priv := e.video["alice-unlisted"], e.video["alice-private"]
	ctx := context.Background()
	// alice's video has outputs to play.
	if _, err := e.s.Outputs.Put(ctx, reel.OutputPrefix(ready)+reel.MasterPlaylist, strings.NewReader("#EXTM3U\n")); err != nil {
		t.Fatal(err)
	}
	tok := e.s.Signer.Sign(ready, authNow.Add(time.Hour))

	// alice's unfinished tus upload, 8 bytes in.
	tusHdr := map[string]string{"Tus-Resumable": "1.0.0"}
	status, h, b := e.do(req{method: "POST", path: "/api/uploads/", key: "alice",
		header: map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": "100"}})
	if status != http.StatusCreated {
		t.Fatalf("create tus upload: %d %s", status, b)
	}
	upload := h.Get("Location")
	patch := func(offset string) map[string]string {
		return map[string]string{"Tus-Resumable": "1.0.0", "Upload-Offset": offset, "Content-Type": "application/offset+octet-stream"}
	}
	if status, _, b := e.do(req{method: "PATCH", path: upload, key: "alice", header: patch("0"), body: strings.NewReader("alice's ")}); status != http.StatusNoContent {
		t.Fatalf("alice's PATCH: %d %s", status, b)
	}
	offset := func() string {
		_, h, _ := e.do(req{method: "HEAD", path: upload, key: "alice", header: tusHdr})
		return h.Get("Upload-Offset")
	}

	text := func(s string) func() io.Reader { return func() io.Reader { return strings.NewReader(s) } }
	form := func() (func() io.Reader, map[string]string) {
		body, ctype := uploadBody(t, map[string]string{"title": "spelled"})
		raw, _ := io.ReadAll(body)
		return func() io.Reader { return bytes.NewReader(raw) }, map[string]string{"Content-Type": ctype}
	}
	formBody, formHdr := form()
	directWant := http.StatusConflict // direct uploads need S3
	if _, ok := e.s.Originals.(*s3.Store); ok {
		directWant = http.StatusCreated
	}
	routes := []route{
		{method: "GET", path: "/", want: 200},
		{method: "GET", path: "/static/app.js", want: 200},
		{method: "GET", path: "/healthz", want: 200},
		{method: "GET", path: "/api/videos", key: "alice", want: 200},
		{method: "GET", path: "/api/videos/" + priv, key: "alice", want: 200},
		{method: "GET", path: "/api/videos/" + priv, want: 404},
		{method: "GET", path: "/api/session", key: "alice", want: 200},
		{method: "POST", path: "/api/session", body: text(`{"key":"` + e.secret["bob"] + `"}`), want: 201},
		{method: "DELETE", path: "/api/session", key: "alice", want: 204},
		{method: "POST", path: "/api/videos", key: "alice", header: formHdr, body: formBody, want: 201},
		{method: "POST", path: "/api/videos/direct", key: "alice", body: text(`{"size":10}`), want: directWant},
		{method: "POST", path: "/api/videos/" + ready + "/retry", key: "alice", want: 409},
		{method: "POST", path: "/api/videos/" + ready + "/complete", key: "alice", body: text(`{"parts":[]}`), want: 409},
		{method: "POST", path: "/api/hooks/s3", body: text(`{}`), want: 404},
		{method: "GET", path: "/play/" + tok + "/" + ready + "/master.m3u8", want: 200},
		{method: "PATCH", path: "/api/videos/" + ready, key: "alice", body: text(`{"title":"renamed"}`), want: 200},
		{method: "POST", path: "/api/uploads/", key: "bob", header: map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": "10"}, want: 201},
		// bob on alice's upload: nothing to him, under any spelling.
		{method: "HEAD", path: upload, key: "bob", header: tusHdr, want: 404},
		{method: "PATCH", path: upload, key: "bob", header: patch("8"), body: text("bob's"), want: 404},
		{method: "DELETE", path: upload, key: "bob", header: tusHdr, want: 404},
		// The owner still works on the canonical URL.
		{method: "HEAD", path: upload, key: "alice", header: tusHdr, want: 200},
		{method: "PATCH", path: upload, key: "alice", header: patch("8"), body: text("more"), want: 204},
		// Last: the canonical requests delete.
		{method: "DELETE", path: upload, key: "alice", header: tusHdr, want: 204},
		{method: "DELETE", path: "/api/videos/" + ready, key: "alice", want: 204},
	}
	tried := 0
	for _, rt := range routes {
		name := rt.method + " " + rt.path
		send := func(p string) (int, []byte) {
			r := req{method: rt.method, path: p, key: rt.key, header: rt.header}
			if rt.body != nil {
				r.body = rt.body()
			}
			status, _, b := e.do(r)
			return status, b
		}
		for _, p := range spellings(rt.path) {
			before, off := e.snapshot(), offset()
			status, b := send(p)
			tried++
			// Refused as malformed or unknown; a spelling that names
			// another resource (a case change, a literal "%") may also
			// meet that resource's refusal (401, 403, 405).
			if status != 400 && status != 404 && status != 401 && status != 403 && status != 405 {
				t.Errorf("%s as %s: %d, want a refusal: %.200s", name, p, status, b)
			}
			if after := e.snapshot(); after != before {
				t.Errorf("%s as %s changed the state:\nbefore:\n%safter:\n%s", name, p, before, after)
			}
			if o := offset(); o != off && rt.path == upload {
				t.Errorf("%s as %s moved alice's upload from %s to %s", name, p, off, o)
			}
		}
		if status, b := send(rt.path); status != rt.want {
			t.Errorf("%s: %d, want %d: %.200s", name, status, rt.want, b)
		}
	}
	t.Logf("%d routes × their spellings: %d requests refused", len(routes), tried)
	if n, _ := strconv.Atoi(offset()); n != 0 {
		t.Errorf("alice's upload still answers HEAD after its DELETE (offset %d)", n)
	}
}
