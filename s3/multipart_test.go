package s3_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/s3"
)

// putPart PUTs body to a presigned part URL with plain net/http, as a
// browser or curl would, and returns the part's ETag.
func putPart(t testing.TB, url string, body []byte) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT part: %s: %s", resp.Status, msg)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("PUT part: no ETag in the answer")
	}
	return etag
}

// pattern returns n bytes that differ from part to part.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i%251)
	}
	return b
}

func TestMultipartDirectUpload(t *testing.T) {
	t.Parallel()
	srv, s := newStore(t, s3.Options{})
	ctx := context.Background()
	const key = "vid/original"

	id, err := s.CreateMultipart(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{pattern(s3.MinPartSize, 1), pattern(1234, 7)}
	var done []reel.CompletedPart
	for i, p := range parts {
		u, err := s.PresignPart(ctx, key, id, i+1, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, reel.CompletedPart{Number: i + 1, ETag: putPart(t, u, p)})
	}

	// A wrong ETag fails as the client's error and leaves the upload
	// in place, so the right list still completes it.
	bad := []reel.CompletedPart{done[0], {Number: 2, ETag: `"0123456789abcdef0123456789abcdef"`}}
	if _, err := s.CompleteMultipart(ctx, key, id, bad); reel.ErrorCode(err) != reel.EINVALID {
		t.Fatalf("complete with a wrong ETag: error = %v, want invalid", err)
	} else {
		t.Log(reel.ErrorMessage(err))
	}
	swapped := []reel.CompletedPart{done[1], done[0]}
	if _, err := s.CompleteMultipart(ctx, key, id, swapped); reel.ErrorCode(err) != reel.EINVALID {
		t.Fatalf("complete with parts out of order: error = %v, want invalid", err)
	}

	size, err := s.CompleteMultipart(ctx, key, id, done)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]byte{}, parts[0]...), parts[1]...)
	if size != int64(len(want)) {
		t.Errorf("size = %d, want %d", size, len(want))
	}
	b, err := s.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(b)
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("read back %d bytes that differ from the %d uploaded", len(got), len(want))
	}

	// A retried completion (the first answer lost) succeeds on AWS and
	// versitygw alike, with the same size.
	if again, err := s.CompleteMultipart(ctx, key, id, done); err != nil || again != size {
		t.Errorf("second complete = %d, %v; want %d, nil", again, err, size)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	assertNothingLeft(t, srv, "p/"+key)
}

func TestMultipartAbortLeavesNothing(t *testing.T) {
	t.Parallel()
	srv, s := newStore(t, s3.Options{})
	ctx := context.Background()
	const key = "gone/original"

	id, err := s.CreateMultipart(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.PresignPart(ctx, key, id, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	etag := putPart(t, u, []byte("a small last part"))
	if err := s.AbortMultipart(ctx, key, id); err != nil {
		t.Fatal(err)
	}
	assertNothingLeft(t, srv, "p/"+key)
	if _, err := s.CompleteMultipart(ctx, key, id, []reel.CompletedPart{{Number: 1, ETag: etag}}); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("complete after abort: error = %v, want invalid", err)
	}
	// Aborting twice is harmless: a retried cleanup must not fail.
	if err := s.AbortMultipart(ctx, key, id); err != nil {
		t.Errorf("second abort: %v", err)
	}
}

func TestPresignPartChecks(t *testing.T) {
	t.Parallel()
	_, s := newStore(t, s3.Options{})
	ctx := context.Background()
	id, err := s.CreateMultipart(ctx, "x/original")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.AbortMultipart(context.Background(), "x/original", id) })

	for _, tt := range []struct {
		key  string
		part int
		ttl  time.Duration
	}{
		{"x/original", 0, time.Hour},
		{"x/original", s3.MaxParts + 1, time.Hour},
		{"x/original", 1, 0},
		{"x/original", 1, 8 * 24 * time.Hour},
		{"../x/original", 1, time.Hour},
	} {
		if _, err := s.PresignPart(ctx, tt.key, id, tt.part, tt.ttl); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("PresignPart(%q, %d, %v) error = %v, want invalid", tt.key, tt.part, tt.ttl, err)
		}
	}

	// versitygw checks signatures and expiry as S3 does.
	u, err := s.PresignPart(ctx, "x/original", id, 1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for name, url := range map[string]string{
		"another part": strings.Replace(u, "partNumber=1", "partNumber=2", 1),
		"another key":  strings.Replace(u, "x/original", "y/original", 1),
	} {
		if code := putStatus(t, url); code != http.StatusForbidden {
			t.Errorf("PUT to a tampered URL (%s) = %d, want 403", name, code)
		}
	}
	time.Sleep(2100 * time.Millisecond)
	if code := putStatus(t, u); code != http.StatusForbidden {
		t.Errorf("PUT to an expired URL = %d, want 403", code)
	}
}

func putStatus(t testing.TB, url string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader("data"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
