package s3_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"reel/s3"
	"reel/s3test"
)

// A client that goes away at 60 % of its upload leaves no multipart
// upload in progress and no object.
func TestReaderFailingAt60PercentLeavesNothing(t *testing.T) {
	t.Parallel()
	pool := s3.NewPartPool(5*MiB, 4)
	srv, s := newStore(t, s3.Options{Pool: pool})
	gone := errors.New("client disconnected")
	const size = 40 * MiB
	_, err := s.PutSize(context.Background(), "v/original", &gen{size: size, failAt: size * 6 / 10, err: gone}, size)
	if !errors.Is(err, gone) {
		t.Fatalf("Put error = %v, want %v", err, gone)
	}
	assertNothingLeft(t, srv, "p/v/original")
	if pool.InUse() != 0 {
		t.Errorf("%d buffers not returned", pool.InUse())
	}
}

// A Put whose context ends mid-upload (the request was cancelled) aborts.
func TestCancelMidUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	srv, s := newStore(t, s3.Options{Pool: s3.NewPartPool(5*MiB, 4)})
	ctx, cancel := context.WithCancel(context.Background())
	body := &cancelAt{g: &gen{size: 40 * MiB}, at: 20 * MiB, cancel: cancel}
	if _, err := s.Put(ctx, "v/original", body); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put error = %v, want context.Canceled", err)
	}
	assertNothingLeft(t, srv, "p/v/original")
}

// cancelAt cancels once its reader has yielded at bytes, as a server does
// when the client goes away.
type cancelAt struct {
	g      *gen
	at     int64
	cancel func()
}

func (c *cancelAt) Read(p []byte) (int, error) {
	if c.g.off >= c.at {
		c.cancel()
	}
	return c.g.Read(p)
}

// An S3 endpoint that keeps failing part 3 makes Put fail with an error
// naming the part and the status, and the upload is aborted.
func TestFailingPartAbortsUpload(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	srv.Bucket(t, "reel")
	var failed atomic.Int32
	endpoint := proxy(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") == "3" {
			failed.Add(1)
			io.Copy(io.Discard, r.Body) // as S3 does: reading it keeps the connection sane
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`<?xml version="1.0"?><Error><Code>InternalError</Code><Message>disk on fire</Message></Error>`))
			return true
		}
		return false
	})
	pool := s3.NewPartPool(5*MiB, 4)
	s := open(t, srv, "s3://reel/p?region=us-east-1&endpoint="+endpoint, s3.Options{Pool: pool})
	_, err := s.Put(context.Background(), "v/original", &gen{size: 30 * MiB})
	if err == nil {
		t.Fatal("Put succeeded through a failing endpoint")
	}
	for _, want := range []string{"v/original", "upload part 3", "500", "InternalError"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if failed.Load() < 2 {
		t.Errorf("part 3 tried %d times; the SDK should retry a 500", failed.Load())
	}
	assertNothingLeft(t, srv, "p/v/original")
	if pool.InUse() != 0 {
		t.Errorf("%d buffers not returned", pool.InUse())
	}
}

func TestAbortStale(t *testing.T) {
	t.Parallel()
	srv, s := newStore(t, s3.Options{})
	ctx := context.Background()
	c := srv.Client()
	// A crashed process's upload under the prefix, with a part, and one
	// outside the prefix that is none of the store's business.
	start := func(key string) {
		up, err := c.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: aws.String("reel"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.UploadPart(ctx, &awss3.UploadPartInput{
			Bucket: aws.String("reel"), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: strings.NewReader("orphan part"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	start("p/v/original")
	start("elsewhere/original")

	if n, err := s.AbortStale(ctx, time.Hour); err != nil || n != 0 {
		t.Errorf("AbortStale(1h) = %d, %v; want 0: the upload is fresh", n, err)
	}
	time.Sleep(1100 * time.Millisecond) // S3 times have second resolution
	if n, err := s.AbortStale(ctx, time.Second); err != nil || n != 1 {
		t.Errorf("AbortStale(1s) = %d, %v; want 1", n, err)
	}
	ups, err := c.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String("reel")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].Key) != "elsewhere/original" {
		t.Errorf("uploads left: %d, want only the one outside the prefix", len(ups.Uploads))
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	srv.Bucket(t, "reel")
	ctx := context.Background()
	good := srv.URL("reel", "p")
	if err := open(t, srv, good, s3.Options{}).Check(ctx); err != nil {
		t.Fatalf("Check of a good store: %v", err)
	}
	ls, err := srv.Client().ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("reel")})
	if err != nil || len(ls.Contents) != 0 {
		t.Errorf("Check left %d objects behind (%v)", len(ls.Contents), err)
	}

	wrongSecret := &s3test.Server{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: "wrong"}
	unknownKey := &s3test.Server{Endpoint: srv.Endpoint, AccessKey: "nobody", SecretKey: srv.SecretKey}
	for _, tc := range []struct {
		name string
		srv  *s3test.Server
		url  string
		want string
	}{
		{"wrong secret", wrongSecret, good, "wrong credentials"},
		{"unknown access key", unknownKey, good, "wrong credentials"},
		{"missing bucket", srv, srv.URL("nosuchbucket", "p"), `bucket "nosuchbucket" does not exist`},
		{"unreachable endpoint", srv, "s3://reel/p?region=us-east-1&endpoint=http://127.0.0.1:1", "endpoint http://127.0.0.1:1 unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t, tc.srv, tc.url, s3.Options{})
			err := s.Check(ctx)
			var ce *s3.CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("Check error = %v, want a *CheckError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "s3 store "+s.String()+": ") || strings.Contains(msg, "\n") {
				t.Errorf("Check error = %q, want one line naming the store and %q", msg, tc.want)
			}
			t.Log(msg)
		})
	}
}

// With no credentials anywhere in the SDK's chain, Check says so.
func TestCheckNoCredentials(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	s, err := s3.Open(context.Background(), "s3://reel/p?region=us-east-1&endpoint=http://127.0.0.1:1", s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("Check error = %v, want one about missing credentials", err)
	}
	t.Log(err)
}
