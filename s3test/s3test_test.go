package s3test_test

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"reel/s3test"
)

func TestStartBucketRoundTrip(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	raw := srv.Bucket(t, "roundtrip")
	srv.Bucket(t, "roundtrip") // creating it again is fine

	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "s3" || u.Host != "roundtrip" || u.Query().Get("endpoint") != srv.Endpoint {
		t.Errorf("Bucket URL = %s", raw)
	}
	if got := srv.URL("b", "/p/q/"); !strings.HasPrefix(got, "s3://b/p/q?") {
		t.Errorf("URL = %s, want s3://b/p/q?...", got)
	}

	ctx := context.Background()
	c := srv.Client()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("roundtrip"), Key: aws.String("k"), Body: strings.NewReader("hello"),
	}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("roundtrip"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	if b, _ := io.ReadAll(out.Body); string(b) != "hello" {
		t.Errorf("read back %q", b)
	}
}

// Two servers run side by side without sharing anything.
func TestServersAreIndependent(t *testing.T) {
	t.Parallel()
	a, b := s3test.Start(t), s3test.Start(t)
	if a.Endpoint == b.Endpoint || a.AccessKey == b.AccessKey {
		t.Fatalf("servers share endpoint or credentials: %s %s", a.Endpoint, b.Endpoint)
	}
	a.Bucket(t, "only-in-a")
	if _, err := b.Client().HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("only-in-a")}); err == nil {
		t.Error("bucket created in a is visible in b")
	}
}

func TestEnvNamesEverythingTheSDKNeeds(t *testing.T) {
	srv := &s3test.Server{Endpoint: "http://127.0.0.1:1", AccessKey: "a", SecretKey: "s"}
	env := strings.Join(srv.Env(), "\n")
	for _, want := range []string{"AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=s", "AWS_REGION=", "AWS_ENDPOINT_URL_S3=http://127.0.0.1:1"} {
		if !strings.Contains(env, want) {
			t.Errorf("Env lacks %s", want)
		}
	}
}
