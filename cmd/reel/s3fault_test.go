package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"reel/s3test"
)

// setS3Env points the AWS SDK of the in-process reel at srv for the test.
func setS3Env(t *testing.T, srv *s3test.Server) {
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// leftovers counts the objects and in-progress multipart uploads in bucket.
func leftovers(t *testing.T, srv *s3test.Server, bucket string) (objects, uploads int) {
	t.Helper()
	ctx := context.Background()
	objs, err := srv.Client().ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	ups, err := srv.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	return len(objs.Contents), len(ups.Uploads)
}

// An upload whose client disconnects at 60 % leaves no object and no
// in-progress multipart upload in the bucket.
func TestS3UploadCutOff(t *testing.T) {
	srv := s3test.Start(t)
	setS3Env(t, srv)
	s := startServer(t, "--originals", srv.Bucket(t, "originals"), "--workers", "0", "--part-size", "5MiB")

	file := bytes.Repeat([]byte("0123456789abcdef"), 30<<20/16) // 30 MiB: several parts
	body, ctype := multipartBody(t, "big.mp4", [2]string{"file", string(file)})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /api/videos HTTP/1.1\r\nHost: localhost\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ctype, body.Len())
	conn.Write(body.Bytes()[:body.Len()*6/10])
	time.Sleep(500 * time.Millisecond) // parts are in flight
	conn.Close()

	deadline := time.Now().Add(10 * time.Second)
	for {
		objects, uploads := leftovers(t, srv, "originals")
		if objects == 0 && uploads == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a cut-off upload: %d objects, %d multipart uploads left", objects, uploads)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, body := s.get(s.url + "/api/videos"); !strings.Contains(string(body), `"videos":[]`) {
		t.Errorf("a video was created: %s", body)
	}
}

// An S3 endpoint that fails part uploads makes the upload fail with a
// clear error, and leaves nothing behind.
func TestS3PartFailure(t *testing.T) {
	srv := s3test.Start(t)
	setS3Env(t, srv)
	srv.Bucket(t, "originals")
	target, _ := url.Parse(srv.Endpoint)
	var failed atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method == http.MethodPut && q.Get("partNumber") == "2" {
			failed.Add(1)
			io.Copy(io.Discard, r.Body)
			http.Error(w, "<Error><Code>InternalError</Code></Error>", http.StatusInternalServerError)
			return
		}
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	originals := "s3://originals?region=" + s3test.Region + "&endpoint=" + url.QueryEscape(proxy.URL)
	s := startServer(t, "--originals", originals, "--workers", "0", "--part-size", "5MiB")

	file := bytes.Repeat([]byte("x"), 12<<20) // three parts
	body, ctype := multipartBody(t, "big.mp4", [2]string{"file", string(file)})
	status, _, e := s.post(body, ctype)
	if status != http.StatusInternalServerError || !strings.Contains(e.Error.Message, "nothing was kept") {
		t.Errorf("upload through a failing store: %d %q", status, e.Error.Message)
	}
	if failed.Load() == 0 {
		t.Fatal("the proxy never failed a part: the test tests nothing")
	}
	if objects, uploads := leftovers(t, srv, "originals"); objects != 0 || uploads != 0 {
		t.Errorf("after a failed part: %d objects, %d multipart uploads left", objects, uploads)
	}
}
