package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/blobcache"
	"reel/disk"
	"reel/s3"
	"reel/s3test"
	"reel/token"
)

// maxRangesOverhead bounds what a multipart/byteranges answer of at most
// maxRanges parts adds to the bytes asked for: one part header each.
const maxRangesOverhead = maxRanges * 256

// TestPlayRangeAmplification asks /play/ for many small or overlapping
// ranges, on a segment from disk (sent with sendfile), a segment from a
// store that is not a local file (as the S3 cache path serves it) and a
// playlist from memory: the answer is never much more than the file.
func TestPlayRangeAmplification(t *testing.T) {
	file := bytes.Repeat([]byte("0123456789"), 1000)
	dir := t.TempDir()
	store, err := disk.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Put(context.Background(), attackVideo+"/v0/seg1.m4s", bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	signer, _ := token.New(bytes.Repeat([]byte{1}, 32))
	diskServer := (&Server{Outputs: store, Signer: signer, AllowOrigin: "*", Now: func() time.Time { return attackNow }}).Handler()
	mem := &countingStore{files: map[string][]byte{
		attackVideo + "/v0/seg1.m4s":   file,
		attackVideo + "/v0/index.m3u8": file,
	}}
	memServer := (&Server{Outputs: mem, Signer: signer, AllowOrigin: "*", Now: func() time.Time { return attackNow }}).Handler()
	prefix := "/play/" + signer.Sign(attackVideo, attackNow.Add(time.Hour)) + "/" + attackVideo + "/v0/"

	oneByte := func(n int) string { // n one-byte ranges, every other byte
		specs := make([]string, n)
		for i := range specs {
			specs[i] = fmt.Sprintf("%d-%d", 2*i, 2*i)
		}
		return "bytes=" + strings.Join(specs, ",")
	}
	cases := []struct {
		name, rng string
		status    int
	}{
		{"5000 one-byte ranges", oneByte(5000), http.StatusOK},
		{"17 one-byte ranges", oneByte(maxRanges + 1), http.StatusOK},
		{"16 one-byte ranges", oneByte(maxRanges), http.StatusPartialContent},
		{"17 ranges with empty specs between", oneByte(maxRanges+1) + ",,,", http.StatusOK},
		{"16 ranges with empty specs between", strings.Replace(oneByte(maxRanges), ",", ",,", -1), http.StatusPartialContent},
		{"the whole file twice", "bytes=0-9999,0-9999", http.StatusOK},
		{"16 overlapping halves", "bytes=" + strings.Repeat("0-4999,", maxRanges-1) + "5000-", http.StatusOK},
		{"unsorted overlapping", "bytes=9000-,0-,5000-6000", http.StatusOK},
		{"5000 suffix ranges", "bytes=" + strings.Repeat("-1,", 4999) + "-1", http.StatusOK},
	}
	for _, c := range cases {
		for name, h := range map[string]http.Handler{"disk": diskServer, "store": memServer} {
			for _, f := range []string{"seg1.m4s", "index.m3u8"} {
				if name == "disk" && f == "index.m3u8" {
					continue
				}
				r := httptest.NewRequest("GET", prefix+f, nil)
				r.Header.Set("Range", c.rng)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != c.status {
					t.Errorf("%s, %s %s: status %d, want %d", c.name, name, f, w.Code, c.status)
				}
				if n := w.Body.Len(); n > len(file)+maxRangesOverhead {
					t.Errorf("%s, %s %s: %d bytes for a file of %d", c.name, name, f, n, len(file))
				}
				if w.Code == http.StatusOK && !bytes.Equal(w.Body.Bytes(), file) {
					t.Errorf("%s, %s %s: 200 without the file", c.name, name, f)
				}
			}
		}
	}
}

// The same on outputs in S3 (versitygw), read straight from the bucket
// (where every range would be a GET of its own) and through the local
// cache of segments that reel serve puts in front of it.
func TestPlayRangeAmplificationS3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.Bucket(t, "media")
	remote, err := s3.Open(ctx, srv.URL("media", "outputs"), s3.Options{Credentials: srv.Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	file := bytes.Repeat([]byte("0123456789"), 1000)
	if _, err := remote.Put(ctx, attackVideo+"/v0/seg1.m4s", bytes.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	cached, err := blobcache.New(remote, t.TempDir(), 1<<20, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := token.New(bytes.Repeat([]byte{1}, 32))
	target := "/play/" + signer.Sign(attackVideo, attackNow.Add(time.Hour)) + "/" + attackVideo + "/v0/seg1.m4s"
	specs := make([]string, 1000)
	for i := range specs {
		specs[i] = fmt.Sprintf("%d-%d", 3*i, 3*i)
	}
	for name, store := range map[string]reel.BlobStore{"bucket": remote, "cache": cached} {
		h := (&Server{Outputs: store, Signer: signer, AllowOrigin: "*", Now: func() time.Time { return attackNow }}).Handler()
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("Range", "bytes="+strings.Join(specs, ","))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), file) {
			t.Errorf("%s: 1000 ranges: status %d, %d bytes for a file of %d", name, w.Code, w.Body.Len(), len(file))
		}
	}
}
