package tus_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reel"
	"reel/tus"
)

func TestOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "disk", nil)
	resp, body := e.do("OPTIONS", "/api/uploads/", hdr{"Tus-Resumable": ""}, nil)
	e.expect(resp, body, http.StatusOK)
	want := map[string]string{
		"Tus-Version":            "1.0.0",
		"Tus-Resumable":          "1.0.0",
		"Tus-Extension":          "creation,creation-with-upload,termination,checksum,expiration",
		"Tus-Checksum-Algorithm": "sha1,sha256",
		"Tus-Max-Size":           strconv.Itoa(64 << 20),
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

// TestUpload goes through a whole upload in chunks smaller than an S3
// part, with every kind of refused request on the way, none of which may
// lose a received byte; then checks the video and its job.
func TestUpload(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := random(12<<20 + 12345)
		path := e.create(int64(len(data)), meta("filename", `C:\clips\holiday.mp4`, "filetype", "video/mp4", "title", "  Holiday  ",
			"description", "By the sea.\r\nDay two."))
		id := idOf(path)

		v, err := e.videos.Video(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != reel.StatusUploading || v.Filename != "holiday.mp4" || v.Title != "Holiday" || v.Description != "By the sea.\nDay two." ||
			v.ContentType != "video/mp4" || v.OriginalKey != reel.OriginalKey(id) || v.Size != int64(len(data)) {
			t.Errorf("video after POST: %+v", v)
		}

		resp, body := e.do("HEAD", path, nil, nil)
		e.expect(resp, body, http.StatusOK)
		if resp.Header.Get("Upload-Offset") != "0" || resp.Header.Get("Upload-Length") != strconv.Itoa(len(data)) ||
			resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("HEAD: %v", resp.Header)
		}
		expires, err := http.ParseTime(resp.Header.Get("Upload-Expires"))
		if err != nil || expires.Sub(time.Now()) < 23*time.Hour || expires.Sub(time.Now()) > 25*time.Hour {
			t.Errorf("Upload-Expires %q, want in about 24h", resp.Header.Get("Upload-Expires"))
		}

		// 3 MiB chunks: on S3, tails of less than a 5 MiB part.
		const chunk = 3 << 20
		e.send(path, data[:2*chunk], 0, chunk)
		off := int64(2 * chunk)

		// Offset mismatch: 409, nothing written.
		resp, body = e.patch(path, off-1, data[off-1:off+100], nil)
		e.expect(resp, body, http.StatusConflict)
		// Wrong checksum: 460, the chunk discarded.
		resp, body = e.patch(path, off, data[off:off+chunk], hdr{"Upload-Checksum": "sha1 " + b64(sha1.Sum([]byte("not this")))})
		e.expect(resp, body, 460)
		// Unsupported algorithm, malformed checksum: 400.
		resp, body = e.patch(path, off, data[off:off+chunk], hdr{"Upload-Checksum": "md5 " + b64(sha1.Sum(nil))})
		e.expect(resp, body, http.StatusBadRequest)
		resp, body = e.patch(path, off, data[off:off+chunk], hdr{"Upload-Checksum": "sha256 !!!"})
		e.expect(resp, body, http.StatusBadRequest)
		// Wrong Content-Type: tusd v2.10.0 answers 400, not 415.
		resp, body = e.patch(path, off, data[off:off+chunk], hdr{"Content-Type": "application/octet-stream"})
		e.expect(resp, body, http.StatusBadRequest)
		// Missing Tus-Resumable: 412.
		resp, body = e.patch(path, off, data[off:off+chunk], hdr{"Tus-Resumable": ""})
		e.expect(resp, body, http.StatusPreconditionFailed)
		// More than the upload's length: 413.
		resp, body = e.patch(path, off, make([]byte, len(data)), nil)
		e.expect(resp, body, http.StatusRequestEntityTooLarge)
		// An empty chunk changes nothing.
		resp, body = e.patch(path, off, []byte{}, nil)
		e.expect(resp, body, http.StatusNoContent)
		if got := e.offset(path); got != off {
			t.Fatalf("offset after refused requests %d, want %d", got, off)
		}

		// Right checksums, sha1 then sha256.
		resp, body = e.patch(path, off, data[off:off+chunk], hdr{"Upload-Checksum": "sha1 " + b64(sha1.Sum(data[off:off+chunk]))})
		e.expect(resp, body, http.StatusNoContent)
		off += chunk
		resp, body = e.patch(path, off, data[off:off+chunk], hdr{"Upload-Checksum": "sha256 " + b64(sha256.Sum256(data[off:off+chunk]))})
		e.expect(resp, body, http.StatusNoContent)
		if resp.Header.Get("Upload-Expires") == "" {
			t.Error("PATCH of an unfinished upload without Upload-Expires")
		}
		off += chunk
		if e.jobs(id) != 0 {
			t.Fatal("transcode enqueued before the upload was complete")
		}

		// The last chunk: 204 once the original is complete and the
		// transcode enqueued.
		resp, body = e.patch(path, off, data[off:], nil)
		e.expect(resp, body, http.StatusNoContent)
		if resp.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) || resp.Header.Get("Upload-Expires") != "" {
			t.Errorf("last PATCH: %v", resp.Header)
		}
		v, err = e.videos.Video(ctx, id)
		if err != nil || v.Status != reel.StatusQueued || v.Size != int64(len(data)) || v.JobID == 0 || e.jobs(id) != 1 {
			t.Fatalf("video after the last PATCH: %+v, %v; %d jobs", v, err, e.jobs(id))
		}
		if got := e.original(id); !bytes.Equal(got, data) {
			t.Fatalf("original holds %d bytes, not the %d sent", len(got), len(data))
		}
		if _, err := e.videos.Upload(ctx, id); reel.ErrorCode(err) != reel.ENOTFOUND {
			t.Errorf("upload state left after finishing: %v", err)
		}
		e.checkOnlyOriginal(id)

		// A finished upload: HEAD says complete, PATCH at the end 204,
		// DELETE refused (the video's own API deletes it).
		if got := e.offset(path); got != int64(len(data)) {
			t.Errorf("HEAD of the finished upload: offset %d", got)
		}
		resp, body = e.patch(path, int64(len(data)), nil, nil)
		e.expect(resp, body, http.StatusNoContent)
		resp, body = e.do("DELETE", path, nil, nil)
		e.expect(resp, body, http.StatusForbidden)
		if e.jobs(id) != 1 {
			t.Errorf("%d jobs, want 1", e.jobs(id))
		}
	})
}

func TestCreationWithUpload(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		data := random(6<<20 + 7)
		first := data[:1<<20]
		resp, body := e.do("POST", "/api/uploads/", hdr{
			"Upload-Length": strconv.Itoa(len(data)), "Content-Type": "application/offset+octet-stream",
			"Upload-Checksum": "sha256 " + b64(sha256.Sum256(first)),
		}, first)
		e.expect(resp, body, http.StatusCreated)
		path := resp.Header.Get("Location")
		if resp.Header.Get("Upload-Offset") != strconv.Itoa(len(first)) || resp.Header.Get("Upload-Expires") == "" {
			t.Fatalf("POST with a chunk: %v", resp.Header)
		}
		e.send(path, data, int64(len(first)), 5<<20)
		if got := e.original(idOf(path)); !bytes.Equal(got, data) {
			t.Fatalf("original holds %d bytes, not the %d sent", len(got), len(data))
		}

		// A whole small file in the POST itself.
		small := random(1000)
		resp, body = e.do("POST", "/api/uploads/", hdr{"Upload-Length": "1000", "Content-Type": "application/offset+octet-stream"}, small)
		e.expect(resp, body, http.StatusCreated)
		id := idOf(resp.Header.Get("Location"))
		if resp.Header.Get("Upload-Offset") != "1000" || resp.Header.Get("Upload-Expires") != "" || e.jobs(id) != 1 {
			t.Fatalf("POST of a whole file: %v, %d jobs", resp.Header, e.jobs(id))
		}
		if got := e.original(id); !bytes.Equal(got, small) {
			t.Fatal("the small original differs")
		}
	})
}

func TestTermination(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		data := random(7 << 20)
		path := e.create(int64(len(data)), "")
		e.send(path, data[:6<<20+10], 0, 3<<20) // a part and a tail on S3
		resp, body := e.do("DELETE", path, nil, nil)
		e.expect(resp, body, http.StatusNoContent)
		if resp.Header.Get("Upload-Expires") != "" {
			t.Error("Upload-Expires on the answer to DELETE")
		}
		id := idOf(path)
		if _, err := e.videos.Video(context.Background(), id); reel.ErrorCode(err) != reel.ENOTFOUND {
			t.Errorf("video after DELETE: %v", err)
		}
		e.checkNothing(id)
		resp, body = e.do("HEAD", path, nil, nil)
		e.expect(resp, body, http.StatusNotFound)
		resp, body = e.patch(path, 0, data[:10], nil)
		e.expect(resp, body, http.StatusNotFound)
	})
}

func TestExpiration(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := random(8 << 20)
		path := e.create(int64(len(data)), "")
		e.send(path, data[:6<<20], 0, 3<<20)
		e.clock.add(time.Hour)
		keep := e.create(100, "") // created an hour later: expires an hour later
		id := idOf(path)

		e.clock.add(23*time.Hour + time.Second)
		resp, body := e.do("HEAD", path, nil, nil)
		e.expect(resp, body, http.StatusGone)
		resp, body = e.patch(path, 6<<20, data[6<<20:], nil)
		e.expect(resp, body, http.StatusGone)
		if resp.Header.Get("Upload-Expires") != "" {
			t.Error("Upload-Expires on an expired upload's answer")
		}

		n, err := e.h.Expire(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Expire = %d, %v; want 1", n, err)
		}
		if _, err := e.videos.Video(ctx, id); reel.ErrorCode(err) != reel.ENOTFOUND {
			t.Errorf("video after expiry: %v", err)
		}
		e.checkNothing(id)
		resp, body = e.do("HEAD", path, nil, nil)
		e.expect(resp, body, http.StatusNotFound)

		// The other upload expires on its own time.
		if got := e.offset(keep); got != 0 {
			t.Errorf("other upload offset %d", got)
		}
		e.clock.add(time.Hour)
		if n, err := e.h.Expire(ctx); err != nil || n != 1 {
			t.Fatalf("second Expire = %d, %v; want 1", n, err)
		}
	})
}

func TestRefusedCreation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "disk", nil)
	cases := []struct {
		name   string
		h      hdr
		status int
	}{
		{"larger than MaxSize", hdr{"Upload-Length": strconv.Itoa(64<<20 + 1)}, http.StatusRequestEntityTooLarge},
		{"no Tus-Resumable", hdr{"Upload-Length": "10", "Tus-Resumable": ""}, http.StatusPreconditionFailed},
		{"old Tus-Resumable", hdr{"Upload-Length": "10", "Tus-Resumable": "0.2.2"}, http.StatusPreconditionFailed},
		{"no length", hdr{}, http.StatusBadRequest},
		{"negative length", hdr{"Upload-Length": "-1"}, http.StatusBadRequest},
		{"empty file", hdr{"Upload-Length": "0"}, http.StatusBadRequest},
		{"deferred length", hdr{"Upload-Defer-Length": "1"}, http.StatusNotImplemented},
		{"metadata not base64", hdr{"Upload-Length": "10", "Upload-Metadata": "filename a.mp4"}, http.StatusBadRequest},
		{"metadata malformed", hdr{"Upload-Length": "10", "Upload-Metadata": "filename YQ== extra"}, http.StatusBadRequest},
		{"metadata 100 KB", hdr{"Upload-Length": "10", "Upload-Metadata": meta("title", strings.Repeat("x", 100<<10))}, http.StatusBadRequest},
		{"title too long", hdr{"Upload-Length": "10", "Upload-Metadata": meta("title", strings.Repeat("x", 501))}, http.StatusBadRequest},
		{"description too long", hdr{"Upload-Length": "10", "Upload-Metadata": meta("description", strings.Repeat("x", 5001))}, http.StatusBadRequest},
		{"checksum algorithm", hdr{"Upload-Length": "10", "Upload-Checksum": "crc32 AAAAAA=="}, http.StatusBadRequest},
	}
	for _, c := range cases {
		resp, body := e.do("POST", "/api/uploads/", c.h, nil)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%q)", c.name, resp.StatusCode, c.status, body)
		}
		if resp.Header.Get("Location") != "" {
			t.Errorf("%s: Location %q", c.name, resp.Header.Get("Location"))
		}
	}
	// Megabytes of metadata never reach the handler: net/http refuses
	// headers past the server's MaxHeaderBytes (1 MB here, 64 KiB in
	// reel serve) with 431.
	resp, body := e.do("POST", "/api/uploads/", hdr{"Upload-Length": "10", "Upload-Metadata": meta("title", strings.Repeat("x", 2<<20))}, nil)
	e.expect(resp, body, http.StatusRequestHeaderFieldsTooLarge)

	var n int
	e.db.QueryRow(`SELECT count(*) FROM videos`).Scan(&n)
	if n != 0 {
		t.Errorf("%d videos created by refused requests", n)
	}
}

func TestUnknownUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "disk", nil)
	for _, p := range []string{"/api/uploads/" + reel.NewID(), "/api/uploads/not-an-id", "/api/uploads/a/b"} {
		resp, body := e.do("HEAD", p, nil, nil)
		e.expect(resp, body, http.StatusNotFound)
		resp, body = e.patch(p, 0, []byte("x"), nil)
		e.expect(resp, body, http.StatusNotFound)
		resp, body = e.do("DELETE", p, nil, nil)
		e.expect(resp, body, http.StatusNotFound)
	}
}

func b64[T [20]byte | [32]byte](sum T) string {
	switch s := any(sum).(type) {
	case [20]byte:
		return base64.StdEncoding.EncodeToString(s[:])
	case [32]byte:
		return base64.StdEncoding.EncodeToString(s[:])
	}
	return ""
}

// TestCaller checks that new uploads follow video.New's rules for the
// caller Config.Caller names: anonymous 401, a viewer 403, an uploader
// owns what it creates.
func TestCaller(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "disk", nil)
	var mu sync.Mutex
	var caller *reel.Principal
	h, err := tus.New(tus.Config{
		Videos: e.videos, Uploads: e.videos, Originals: e.originals,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Caller: func(ctx context.Context) *reel.Principal {
			mu.Lock()
			defer mu.Unlock()
			return caller
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	as := func(p *reel.Principal) {
		mu.Lock()
		defer mu.Unlock()
		caller = p
	}
	e.srv.Config.Handler = h
	resp, body := e.do("POST", "/api/uploads/", hdr{"Upload-Length": "10"}, nil)
	e.expect(resp, body, http.StatusUnauthorized)
	as(&reel.Principal{KeyID: "v1", Role: reel.RoleViewer})
	resp, body = e.do("POST", "/api/uploads/", hdr{"Upload-Length": "10"}, nil)
	e.expect(resp, body, http.StatusForbidden)
	as(&reel.Principal{KeyID: "u1", Role: reel.RoleUploader})
	path := e.create(10, meta("title", "yes"))
	if v, err := e.videos.Video(context.Background(), idOf(path)); err != nil || v.Owner != "u1" || v.Title != "yes" {
		t.Errorf("video = %+v, %v", v, err)
	}
}
