package s3_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"reel"
	"reel/blobtest"
	"reel/s3"
	"reel/s3test"
)

// open opens the store of rawURL with the server's credentials.
func open(t testing.TB, srv *s3test.Server, rawURL string, opts s3.Options) *s3.Store {
	t.Helper()
	opts.Credentials = srv.Credentials()
	s, err := s3.Open(context.Background(), rawURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newStore starts a versitygw and opens a store on bucket "reel" under
// prefix "p".
func newStore(t testing.TB, opts s3.Options) (*s3test.Server, *s3.Store) {
	t.Helper()
	srv := s3test.Start(t)
	srv.Bucket(t, "reel")
	return srv, open(t, srv, srv.URL("reel", "p"), opts)
}

func TestConformance(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	t.Run("prefix", func(t *testing.T) {
		srv.Bucket(t, "withprefix")
		blobtest.Run(t, open(t, srv, srv.URL("withprefix", "originals/x"), s3.Options{}), "")
	})
	t.Run("bucket root", func(t *testing.T) {
		srv.Bucket(t, "root")
		blobtest.Run(t, open(t, srv, srv.URL("root", ""), s3.Options{}), "k/")
	})
}

func TestOpenURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, bad := range []string{
		"file:///tmp/x",
		"s3:///prefix",
		"s3://bucket:9000/p",
		"s3://bucket/a/../b",
		"s3://bucket/p?endpoint=ftp://x",
		"s3://bucket/p?endpoint=127.0.0.1:7070",
		"s3://bucket/p?use_path_style=maybe",
		"s3://bucket/p?secret_key=oops",
	} {
		if _, err := s3.Open(ctx, bad, s3.Options{}); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("Open(%q) error = %v, want invalid", bad, err)
		}
	}
	s, err := s3.Open(ctx, "s3://media/orig/inals/?endpoint=http://127.0.0.1:7070/&region=eu-west-3", s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Bucket() != "media" || s.Prefix() != "orig/inals/" {
		t.Errorf("bucket, prefix = %q, %q", s.Bucket(), s.Prefix())
	}
	if got := s.String(); got != "s3://media/orig/inals at http://127.0.0.1:7070" {
		t.Errorf("String = %q", got)
	}
	o := s.Client().Options()
	if o.Region != "eu-west-3" || !o.UsePathStyle || o.RequestChecksumCalculation != aws.RequestChecksumCalculationWhenRequired ||
		o.ResponseChecksumValidation != aws.ResponseChecksumValidationWhenRequired {
		t.Errorf("client options: region %q, path style %v, checksums %v/%v", o.Region, o.UsePathStyle, o.RequestChecksumCalculation, o.ResponseChecksumValidation)
	}
	// use_path_style=false wins over the endpoint's default.
	s, err = s3.Open(ctx, "s3://media?endpoint=https://s3.example.com&use_path_style=false", s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Client().Options().UsePathStyle || s.Prefix() != "" {
		t.Errorf("path style %v, prefix %q", s.Client().Options().UsePathStyle, s.Prefix())
	}
}

// AWS_ENDPOINT_URL_S3 from the environment sets the endpoint, and with it
// path style, unless the URL names its own.
func TestOpenEndpointFromEnv(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9999")
	t.Setenv("AWS_REGION", "ap-south-1")
	ctx := context.Background()
	s, err := s3.Open(ctx, "s3://media/p", s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := s.Client().Options()
	if aws.ToString(o.BaseEndpoint) != "http://127.0.0.1:9999" || !o.UsePathStyle || o.Region != "ap-south-1" {
		t.Errorf("endpoint %q, path style %v, region %q", aws.ToString(o.BaseEndpoint), o.UsePathStyle, o.Region)
	}
	s, err = s3.Open(ctx, "s3://media/p?endpoint=http://127.0.0.1:7070&region=us-east-1", s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if o := s.Client().Options(); aws.ToString(o.BaseEndpoint) != "http://127.0.0.1:7070" || o.Region != "us-east-1" {
		t.Errorf("URL options did not override the environment: %q %q", aws.ToString(o.BaseEndpoint), o.Region)
	}
}

func TestKeysAreUnderThePrefix(t *testing.T) {
	t.Parallel()
	srv, s := newStore(t, s3.Options{})
	ctx := context.Background()
	if _, err := s.Put(ctx, "v1/master.m3u8", strings.NewReader("#EXTM3U\n")); err != nil {
		t.Fatal(err)
	}
	head, err := srv.Client().HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("reel"), Key: aws.String("p/v1/master.m3u8")})
	if err != nil {
		t.Fatalf("object not at p/v1/master.m3u8: %v", err)
	}
	if ct := aws.ToString(head.ContentType); ct != "application/vnd.apple.mpegurl" {
		t.Errorf("Content-Type = %q", ct)
	}
	if k, _ := s.ObjectKey("v1/master.m3u8"); k != "p/v1/master.m3u8" {
		t.Errorf("ObjectKey = %q", k)
	}
}

func TestHostileKeys(t *testing.T) {
	t.Parallel()
	s, err := s3.Open(context.Background(), "s3://b/p?endpoint=http://127.0.0.1:1", s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"../escape", "a/../../b", "/abs", "a//b", "a/", ".", "a/\x00", "\xff", ""} {
		if _, err := s.Put(ctx, key, strings.NewReader("x")); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("Put(%q) error = %v, want invalid", key, err)
		}
		if _, err := s.Open(ctx, key); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("Open(%q) error = %v, want invalid", key, err)
		}
	}
	for _, prefix := range []string{"", "/", "../"} {
		if err := s.DeletePrefix(ctx, prefix); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("DeletePrefix(%q) error = %v, want invalid", prefix, err)
		}
	}
}

// rangeLog is a reverse proxy to the server that records the Range
// header of every GET.
type rangeLog struct {
	mu     sync.Mutex
	ranges []string
}

func (l *rangeLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.ranges
	l.ranges = nil
	return r
}

// proxy starts a reverse proxy to the server; hook sees every request
// first and answers it itself by returning true. The Host header passes
// unchanged, as SigV4 signed it.
func proxy(t testing.TB, srv *s3test.Server, hook func(http.ResponseWriter, *http.Request) bool) string {
	t.Helper()
	target, _ := url.Parse(srv.Endpoint)
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hook(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(ps.Close)
	return ps.URL
}

func TestOpenSeekReadRanges(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	srv.Bucket(t, "reel")
	log := &rangeLog{}
	endpoint := proxy(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && r.Header.Get("Range") != "" {
			log.mu.Lock()
			log.ranges = append(log.ranges, r.Header.Get("Range"))
			log.mu.Unlock()
		}
		return false
	})
	s := open(t, srv, "s3://reel/p?region=us-east-1&endpoint="+endpoint, s3.Options{})
	ctx := context.Background()
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 7 / 5)
	}
	if _, err := s.Put(ctx, "seg.m4s", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}

	b, err := s.Open(ctx, "seg.m4s")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Size() != int64(len(data)) {
		t.Fatalf("Size = %d", b.Size())
	}
	if len(log.take()) != 0 {
		t.Error("Open downloaded data; it should only HEAD")
	}
	read := func(off int64, n int) {
		t.Helper()
		if _, err := b.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, n)
		if _, err := io.ReadFull(b, got); err != nil {
			t.Fatalf("read %d at %d: %v", n, off, err)
		}
		if !bytes.Equal(got, data[off:off+int64(n)]) {
			t.Errorf("read %d at %d: wrong bytes", n, off)
		}
	}
	read(1_000_000, 100)
	read(1_000_100, 100) // continues the open stream
	read(10, 5)
	if got := strings.Join(log.take(), " "); got != "bytes=1000000- bytes=10-" {
		t.Errorf("ranges requested = %q, want bytes=1000000- bytes=10-", got)
	}
	if pos, _ := b.Seek(-10, io.SeekEnd); pos != int64(len(data))-10 {
		t.Errorf("Seek from end = %d", pos)
	}
	if rest, err := io.ReadAll(b); err != nil || !bytes.Equal(rest, data[len(data)-10:]) {
		t.Errorf("read the last 10 bytes: %d bytes, %v", len(rest), err)
	}
	if _, err := b.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to a negative position succeeded")
	}

	log.take()

	// http.ServeContent answers a range request from a Blob.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/seg.m4s", nil)
	req.Header.Set("Range", "bytes=2000000-2000009")
	http.ServeContent(rec, req, "seg.m4s", b.ModTime(), b)
	if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), data[2_000_000:2_000_010]) {
		t.Errorf("ServeContent range: status %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if got := log.take(); len(got) != 1 || got[0] != "bytes=2000000-" {
		t.Errorf("ServeContent requested ranges %q, want one from 2000000", got)
	}
}

// A blob replaced while open fails the next stream instead of mixing two
// versions.
func TestReplacedWhileOpen(t *testing.T) {
	t.Parallel()
	_, s := newStore(t, s3.Options{})
	ctx := context.Background()
	s.Put(ctx, "k", strings.NewReader("version one"))
	b, err := s.Open(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s.Put(ctx, "k", strings.NewReader("version two"))
	if _, err := io.ReadAll(b); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("read after replace error = %v, want conflict", err)
	}
}

func TestPresignGet(t *testing.T) {
	t.Parallel()
	_, s := newStore(t, s3.Options{})
	ctx := context.Background()
	if _, err := s.Put(ctx, "v/source.mp4", strings.NewReader("movie bytes")); err != nil {
		t.Fatal(err)
	}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	long, err := s.PresignGet(ctx, "v/source.mp4", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(long); code != 200 || body != "movie bytes" {
		t.Errorf("GET presigned URL = %d %q", code, body)
	}
	tampered := strings.Replace(long, "source.mp4", "other.mp4", 1)
	if code, _ := get(tampered); code != http.StatusForbidden {
		t.Errorf("GET tampered URL = %d, want 403", code)
	}

	short, err := s.PresignGet(ctx, "v/source.mp4", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	if code, _ := get(short); code != http.StatusForbidden {
		t.Errorf("GET expired URL = %d, want 403", code)
	}

	for _, ttl := range []time.Duration{0, 8 * 24 * time.Hour} {
		if _, err := s.PresignGet(ctx, "v/source.mp4", ttl); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("PresignGet(ttl %v) error = %v, want invalid", ttl, err)
		}
	}
}

// DeletePrefix deletes more keys than one DeleteObjects request takes.
func TestDeletePrefixMoreThanOneBatch(t *testing.T) {
	t.Parallel()
	srv, s := newStore(t, s3.Options{})
	ctx := context.Background()
	// versitygw serves files of its posix folder as objects: writing
	// them there is much faster than 1100 PutObjects.
	dir := filepath.Join(srv.Dir, "reel", "p", "v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 1100 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seg_%05d.m4s", i)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.Put(ctx, "w/keep", strings.NewReader("x"))
	if b, err := s.Open(ctx, "v/seg_01099.m4s"); err != nil {
		t.Fatalf("a file written into versitygw's folder is not an object: %v", err)
	} else {
		b.Close()
	}
	if err := s.DeletePrefix(ctx, "v/"); err != nil {
		t.Fatal(err)
	}
	out, err := srv.Client().ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("reel")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "p/w/keep" {
		t.Errorf("left after DeletePrefix: %d objects", len(out.Contents))
	}
}
