package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reel/api"
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
		Logger: slog.New(slog.DiscardHandler), Caller: Caller, BodyTimeout: e.s.Access.BodyTimeout,
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
	putCaptionVideo(t, e.s, ready, captionMaster)
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
	poster := picture(t, "png", 32, 32)
	// A webhook to read, rotate and delete.
	e.s.Webhooks, e.s.Events = WebhookConfig{Store: e.store}, e.store
	hook := &reel.Webhook{URL: "https://example.com/hook", Events: []string{reel.EventVideoReady}, Secret: "whsec_AAAA"}
	if err := e.store.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	// A key to revoke.
	e.addKey("spare", reel.RoleViewer, false)
	directWant := http.StatusConflict // direct uploads need S3
	if _, ok := e.s.Originals.(*s3.Store); ok {
		directWant = http.StatusCreated
	}
	routes := []route{
		{method: "GET", path: "/", want: 200},
		{method: "GET", path: "/static/app.js", want: 200},
		{method: "GET", path: "/healthz", want: 200},
		{method: "GET", path: "/api/openapi.json", want: 200},
		{method: "GET", path: "/readyz", want: 200},  // no checker set: ok
		{method: "GET", path: "/metrics", want: 404}, // no metrics kept
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
		{method: "GET", path: "/api/videos/" + ready + "/events", key: "alice", want: 200},
		{method: "PUT", path: "/api/videos/" + ready + "/poster", key: "alice", header: map[string]string{"Content-Type": "image/png"},
			body: func() io.Reader { return bytes.NewReader(poster) }, want: 200},
		{method: "GET", path: "/embed/" + ready, want: 200},
		{method: "GET", path: "/api/videos/" + ready + "/captions", key: "alice", want: 200},
		{method: "PUT", path: "/api/videos/" + ready + "/captions/en", key: "alice", body: text("WEBVTT\n\n00:00.000 --> 00:00.500\nhi\n"), want: 201},
		{method: "DELETE", path: "/api/videos/" + ready + "/captions/en", key: "alice", want: 204},
		{method: "GET", path: "/api/webhooks", key: "admin", want: 200},
		{method: "POST", path: "/api/webhooks", key: "admin", body: text(`{"url":"https://example.com/h2","events":["video.failed"]}`), want: 201},
		{method: "POST", path: "/api/webhooks/" + hook.ID + "/rotate", key: "admin", want: 200},
		{method: "GET", path: "/api/webhooks/" + hook.ID + "/deliveries", key: "admin", want: 200},
		{method: "DELETE", path: "/api/webhooks/" + hook.ID, key: "admin", want: 204},
		{method: "GET", path: "/api/keys", key: "admin", want: 200},
		{method: "POST", path: "/api/keys", key: "admin", body: text(`{"name":"spelled","role":"viewer"}`), want: 201},
		{method: "DELETE", path: "/api/keys/" + e.keyID["spare"], key: "admin", want: 200},
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
	// The table covers every route of the server but the fallbacks (any
	// other /api/ path, any preflight under /play/), which hold nothing.
	table := http.NewServeMux()
	for _, r := range Routes() {
		table.Handle(r.muxPattern(), http.NotFoundHandler())
	}
	covered := map[string]bool{"/api/": true, "OPTIONS /play/": true}
	for _, rt := range routes {
		_, pattern := table.Handler(httptest.NewRequest(rt.method, rt.path, nil))
		covered[pattern] = true
	}
	for _, r := range Routes() {
		if !covered[r.muxPattern()] {
			t.Errorf("route %s is not in the spelling table", r.muxPattern())
		}
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

// TestEnumeratedFields sends every spelling of visibility, encrypt, codecs
// and downloads to every entry point that takes them (multipart form,
// direct upload JSON, tus metadata, PATCH): the accepted ones mean the
// same everywhere, and anything else is 400 with nothing created, never a
// silent default.
func TestEnumeratedFields(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}, withS3, withTus).populate()
	target := e.video["alice-unlisted"]
	type answer struct {
		status    int
		encrypted bool
		vis       reel.Visibility
		codecs    string // as the video JSON says; "" when not chosen
		downloads string // "true", "false", or "" when not chosen
	}
	answerOf := func(status int, v api.Video) answer {
		a := answer{status: status, encrypted: v.Encrypted, vis: v.Visibility, codecs: v.Codecs}
		if v.Downloads != nil {
			a.downloads = strconv.FormatBool(*v.Downloads)
		}
		return a
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	entry := map[string]func(field, value string) answer{
		"form": func(field, value string) answer {
			body, ctype := uploadBody(t, map[string]string{field: value})
			status, _, b := e.do(req{method: "POST", path: "/api/videos", key: "alice", body: body, header: map[string]string{"Content-Type": ctype}})
			if status != 201 {
				return answer{status: status}
			}
			return answerOf(status, decode[api.Video](t, b))
		},
		"direct": func(field, value string) answer {
			js, _ := json.Marshal(value)
			if (field == "encrypt" || field == "downloads") && value != "" {
				js = []byte(value) // JSON has its own true and false
			}
			body := `{"size":10,"` + field + `":` + string(js) + `}`
			status, _, b := e.do(req{method: "POST", path: "/api/videos/direct", key: "alice", body: strings.NewReader(body)})
			if status != 201 {
				return answer{status: status}
			}
			return answerOf(status, decode[api.DirectUpload](t, b).Video)
		},
		"tus": func(field, value string) answer {
			status, h, _ := e.do(req{method: "POST", path: "/api/uploads/", key: "alice", header: map[string]string{
				"Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": field + " " + b64(value)}})
			if status != 201 {
				return answer{status: status}
			}
			_, _, b := e.do(req{method: "GET", path: "/api/videos/" + strings.TrimPrefix(h.Get("Location"), "/api/uploads/"), key: "alice"})
			return answerOf(status, decode[api.Video](t, b))
		},
		"patch": func(field, value string) answer {
			js, _ := json.Marshal(value)
			status, _, b := e.do(req{method: "PATCH", path: "/api/videos/" + target, key: "alice", body: strings.NewReader(`{"` + field + `":` + string(js) + `}`)})
			if status != 200 {
				return answer{status: status}
			}
			return answerOf(status, decode[api.Video](t, b))
		},
	}
	cases := []struct {
		field, value string
		entries      []string
		want         answer
	}{
		{"encrypt", "true", []string{"form", "direct", "tus"}, answer{201, true, reel.VisibilityUnlisted, "", ""}},
		{"encrypt", "false", []string{"form", "direct", "tus"}, answer{201, false, reel.VisibilityUnlisted, "", ""}},
		{"encrypt", "yes", []string{"form", "tus"}, answer{201, true, reel.VisibilityUnlisted, "", ""}},
		{"encrypt", "ON", []string{"form", "tus"}, answer{201, true, reel.VisibilityUnlisted, "", ""}},
		{"encrypt", "1", []string{"form", "tus"}, answer{201, true, reel.VisibilityUnlisted, "", ""}},
		{"encrypt", "off", []string{"form", "tus"}, answer{201, false, reel.VisibilityUnlisted, "", ""}},
		{"encrypt", "0", []string{"form", "tus"}, answer{201, false, reel.VisibilityUnlisted, "", ""}},
		{"encrypt", "maybe", []string{"form", "tus"}, answer{status: 400}},
		{"encrypt", "ture", []string{"form", "tus"}, answer{status: 400}},
		{"encrypt", "2", []string{"form", "tus"}, answer{status: 400}},
		{"encrypt", "true\u200b", []string{"form", "tus"}, answer{status: 400}},
		{"encrypt", `"yes"`, []string{"direct"}, answer{status: 400}},
		{"encrypt", "1", []string{"direct"}, answer{status: 400}},
		{"codecs", "h264,hevc", []string{"form", "direct", "tus"}, answer{201, false, reel.VisibilityUnlisted, "h264,hevc", ""}},
		{"codecs", " AV1, hevc,h264 ", []string{"form", "direct", "tus"}, answer{201, false, reel.VisibilityUnlisted, "h264,hevc,av1", ""}},
		{"codecs", "h264", []string{"form", "direct", "tus"}, answer{201, false, reel.VisibilityUnlisted, "h264", ""}},
		{"codecs", "", []string{"form", "direct", "tus"}, answer{201, false, reel.VisibilityUnlisted, "", ""}},
		{"codecs", "hevc", []string{"form", "direct", "tus"}, answer{status: 400}},
		{"codecs", "h264,vp9", []string{"form", "direct", "tus"}, answer{status: 400}},
		{"codecs", "h264,hevc,hevc", []string{"form", "direct", "tus"}, answer{status: 400}},
		{"codecs", "h264;hevc", []string{"form", "direct", "tus"}, answer{status: 400}},
		{"codecs", "h264,hevc\u200b", []string{"form", "direct", "tus"}, answer{status: 400}},
		{"codecs", "h264,,hevc", []string{"form", "direct", "tus"}, answer{status: 400}},
		{"codecs", strings.Repeat("h264,", 20), []string{"form", "direct", "tus"}, answer{status: 400}},
		{"downloads", "true", []string{"form", "direct", "tus"}, answer{201, false, reel.VisibilityUnlisted, "", "true"}},
		{"downloads", "false", []string{"form", "direct", "tus"}, answer{201, false, reel.VisibilityUnlisted, "", "false"}},
		{"downloads", "on", []string{"form", "tus"}, answer{201, false, reel.VisibilityUnlisted, "", "true"}},
		{"downloads", "0", []string{"form", "tus"}, answer{201, false, reel.VisibilityUnlisted, "", "false"}},
		{"downloads", "", []string{"form", "tus"}, answer{201, false, reel.VisibilityUnlisted, "", ""}},
		{"downloads", "null", []string{"direct"}, answer{201, false, reel.VisibilityUnlisted, "", ""}},
		{"downloads", "maybe", []string{"form", "tus"}, answer{status: 400}},
		{"downloads", "true\u200b", []string{"form", "tus"}, answer{status: 400}},
		{"downloads", `"yes"`, []string{"direct"}, answer{status: 400}},
		{"downloads", "1", []string{"direct"}, answer{status: 400}},
		{"visibility", "private", []string{"form", "direct", "tus"}, answer{201, false, reel.VisibilityPrivate, "", ""}},
		{"visibility", " public ", []string{"form", "direct", "tus"}, answer{201, false, reel.VisibilityPublic, "", ""}},
		{"visibility", "public", []string{"patch"}, answer{200, false, reel.VisibilityPublic, "", ""}},
		{"visibility", " private", []string{"patch"}, answer{200, false, reel.VisibilityPrivate, "", ""}},
		{"visibility", "Private", []string{"form", "direct", "tus", "patch"}, answer{status: 400}},
		{"visibility", "hidden", []string{"form", "direct", "tus", "patch"}, answer{status: 400}},
		{"visibility", "public,private", []string{"form", "direct", "tus", "patch"}, answer{status: 400}},
		{"visibility", "", []string{"patch"}, answer{status: 400}},
	}
	n := 0
	for _, c := range cases {
		for _, name := range c.entries {
			before := e.snapshot()
			got := entry[name](c.field, c.value)
			n++
			if got != c.want {
				t.Errorf("%s %s=%q: %+v, want %+v", name, c.field, c.value, got, c.want)
			}
			if got.status >= 400 && e.snapshot() != before {
				t.Errorf("%s %s=%q: refused but the state changed", name, c.field, c.value)
			}
		}
	}
	t.Logf("%d field spellings × entry points", n)
}

// TestInvisibleCharacters: titles and file names lose their
// bidirectional overrides and other invisible format characters on every
// entry point (form, direct JSON, tus metadata, PATCH).
func TestInvisibleCharacters(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{}, withS3, withTus).populate()
	const title, filename = "cat\u202Egnp.exe \u2066x\u2069\u200E\u200F\u200B", "clip\u202Evom.exe"
	const wantTitle, wantFilename = "catgnp.exe x", "clipvom.exe"
	var got []api.Video

	// The form: the title field and the file part's name.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("title", title)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write([]byte("bytes"))
	mw.Close()
	status, _, b := e.do(req{method: "POST", path: "/api/videos", key: "alice", body: &buf, header: map[string]string{"Content-Type": mw.FormDataContentType()}})
	if status != 201 {
		t.Fatalf("form: %d %s", status, b)
	}
	got = append(got, decode[api.Video](t, b))

	js, _ := json.Marshal(map[string]any{"size": 10, "title": title, "filename": filename})
	status, _, b = e.do(req{method: "POST", path: "/api/videos/direct", key: "alice", body: bytes.NewReader(js)})
	if status != 201 {
		t.Fatalf("direct: %d %s", status, b)
	}
	got = append(got, decode[api.DirectUpload](t, b).Video)

	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	status, h, b := e.do(req{method: "POST", path: "/api/uploads/", key: "alice", header: map[string]string{
		"Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": "title " + b64(title) + ",filename " + b64(filename)}})
	if status != 201 {
		t.Fatalf("tus: %d %s", status, b)
	}
	_, _, b = e.do(req{method: "GET", path: "/api/videos/" + strings.TrimPrefix(h.Get("Location"), "/api/uploads/"), key: "alice"})
	got = append(got, decode[api.Video](t, b))

	js, _ = json.Marshal(map[string]string{"title": title})
	status, _, b = e.do(req{method: "PATCH", path: "/api/videos/" + e.video["alice-public"], key: "alice", body: bytes.NewReader(js)})
	if status != 200 {
		t.Fatalf("PATCH: %d %s", status, b)
	}
	patched := decode[api.Video](t, b)
	patched.Filename = wantFilename // PATCH changes titles only
	got = append(got, patched)

	for i, v := range got {
		if v.Title != wantTitle || v.Filename != wantFilename {
			t.Errorf("entry point %d: title %q, filename %q; want %q, %q", i, v.Title, v.Filename, wantTitle, wantFilename)
		}
	}
}

// TestOpenModeHosts: while reel runs open (loopback, no key), only
// loopback Host headers are answered, so a page of another domain that
// resolves to 127.0.0.1 (DNS rebinding) cannot act as admin. Once a key
// exists, open mode ends and any Host is served again.
func TestOpenModeHosts(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{AllowOpen: true})
	id := e.addVideo("", reel.VisibilityPrivate)
	get := func(host, path string) (int, []byte) {
		r, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		r.Host = host
		resp, err := e.ts.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for _, host := range []string{"localhost", "localhost:8080", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:8080", "127.8.9.10:80", "[::1]:8080", "[::1]"} {
		if status, b := get(host, "/api/videos/"+id); status != 200 {
			t.Errorf("Host %s: %d %s", host, status, b)
		}
	}
	for _, host := range []string{"evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io", "10.0.0.1", "[::2]:80", "0.0.0.0", "localhost:8080@evil"} {
		for _, path := range []string{"/api/videos/" + id, "/api/session", "/api/videos"} {
			status, b := get(host, path)
			if status != http.StatusMisdirectedRequest || !strings.Contains(string(b), "localhost") {
				t.Errorf("Host %q %s: %d %s, want 421 saying why", host, path, status, b)
			}
		}
	}
	// Open mode grants nothing outside /api/: the page is the same for all.
	if status, _ := get("evil.example", "/"); status != 200 {
		t.Errorf("the page for another Host: %d", status)
	}
	e.addKey("admin", reel.RoleAdmin, false)
	e.advance(openCheckEvery)
	if status, b := get("video.example", "/api/videos"); status != 200 {
		t.Errorf("once a key exists, another Host: %d %s", status, b)
	}
}
