package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"reel/s3test"
	"reel/tusclient"
)

// TestTusAccess runs resumable uploads on a server with keys and S3
// stores: the uploader owns what they upload, with the visibility from the
// upload's metadata (and encryption, when asked for); another uploader can neither see nor touch the upload;
// deleting the video mid-upload leaves nothing in the bucket, not even the
// multipart upload or the leftover of a partial part.
func TestTusAccess(t *testing.T) {
	srv := s3test.Start(t)
	setS3Env(t, srv)
	data := t.TempDir()
	alice := createKey(t, data, "alice", "uploader")
	bob := createKey(t, data, "bob", "uploader")
	admin := createKey(t, data, "root", "admin")
	s := startServerCtx(t, context.Background(), data,
		"--originals", srv.Bucket(t, "originals"), "--part-size", "5MiB")

	client := func(key string) *tusclient.Client {
		return &tusclient.Client{Endpoint: s.url + "/api/uploads/", Header: http.Header{"Authorization": {"Bearer " + key}}}
	}
	ctx := context.Background()
	src := bytes.Repeat([]byte("reel "), 3<<20) // 15 MiB: several parts and a tail
	loc, err := client(alice).Create(ctx, int64(len(src)), map[string]string{"filename": "a.mp4", "visibility": "private", "encrypt": "true"})
	if err != nil {
		t.Fatal(err)
	}
	target := s.url + "/api/uploads/" + videoID(loc)
	// 7 MiB: one whole part, and 2 MiB of leftover kept as its own object.
	if off, err := client(alice).Patch(ctx, target, bytes.NewReader(src), 0, 7<<20, nil); err != nil || off != 7<<20 {
		t.Fatalf("PATCH: %d, %v", off, err)
	}

	var v struct {
		Owner, Visibility, Status string
		Encrypted                 bool
	}
	if status := call(t, "GET", s.url+"/api/videos/"+videoID(loc), alice, nil, "", &v); status != 200 {
		t.Fatalf("owner's GET: %d", status)
	}
	if v.Owner == "" || v.Visibility != "private" || v.Status != "uploading" || !v.Encrypted {
		t.Errorf("video of the upload: %+v", v)
	}

	// Bob may not learn the upload's state, add to it or end it: to him
	// it does not exist (404).
	if _, _, err := client(bob).Offset(ctx, target); !errors.Is(err, tusclient.ErrGone) {
		t.Errorf("bob's HEAD: %v", err)
	}
	if _, err := client(bob).Patch(ctx, target, bytes.NewReader(src), 7<<20, 1<<20, nil); !errors.Is(err, tusclient.ErrGone) {
		t.Errorf("bob's PATCH: %v", err)
	}
	if err := client(bob).Terminate(ctx, target); !errors.Is(err, tusclient.ErrGone) {
		t.Errorf("bob's DELETE: %v", err)
	}
	if off, _, err := client(admin).Offset(ctx, target); err != nil || off != 7<<20 {
		t.Errorf("admin's HEAD: %d, %v", off, err)
	}

	if objects, uploads := leftovers(t, srv, "originals"); objects == 0 || uploads != 1 {
		t.Fatalf("mid-upload the bucket holds %d objects, %d multipart uploads", objects, uploads)
	}
	if status := call(t, "DELETE", s.url+"/api/videos/"+videoID(loc), alice, nil, "", nil); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d", status)
	}
	if objects, uploads := leftovers(t, srv, "originals"); objects != 0 || uploads != 0 {
		t.Errorf("after DELETE the bucket holds %d objects, %d multipart uploads", objects, uploads)
	}
	if _, _, err := client(alice).Offset(ctx, target); !errors.Is(err, tusclient.ErrGone) {
		t.Errorf("HEAD after DELETE: %v", err)
	}
}

// TestTusCORS: the tus endpoint follows the API's CORS policy, none by
// default, and with --api-allow-origin lets that origin's pages speak tus
// with a bearer key.
func TestTusCORS(t *testing.T) {
	preflight := func(s *server, origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", s.url+"/api/uploads/", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, upload-length, upload-metadata, tus-resumable")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	s := startServer(t)
	if resp := preflight(s, "https://elsewhere.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("default: the tus endpoint allows another origin: %v", resp.Header)
	}
	s = startServer(t, "--api-allow-origin", "https://app.example")
	resp := preflight(s, "https://app.example")
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Upload-Checksum") {
		t.Errorf("allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight(s, "https://elsewhere.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin allowed: %v", resp.Header)
	}
}
