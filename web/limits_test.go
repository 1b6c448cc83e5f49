package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"reel"
	"reel/api"
)

// An object dropped into the bucket over --max-upload-size gets a failed
// video whose error names the limit, no transcode job, and stays in the
// bucket; retrying it is refused as well.
func TestS3EventOverTheLimit(t *testing.T) {
	t.Parallel()
	srv, originals, videos, jobs := realStores(t)
	ctx := context.Background()
	for key, size := range map[string]int{"inbox/big.mp4": 2001, "inbox/small.mp4": 2000} {
		_, err := srv.Client().PutObject(ctx, &awss3.PutObjectInput{
			Bucket: aws.String("media"), Key: aws.String("originals/" + key), Body: bytes.NewReader(make([]byte, size)),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{Videos: videos, Originals: originals, MaxUploadSize: 2000, Logger: slog.New(slog.DiscardHandler)}
	s.Handler()
	h := s.S3EventHandler(HookConfig{Secret: "s3cret", Bucket: originals.Bucket(), Prefix: originals.Prefix()})
	// The event understates the size: the store's is the one believed.
	event := records(record("ObjectCreated:Put", "media", "originals/inbox/big.mp4", 10),
		record("ObjectCreated:Put", "media", "originals/inbox/small.mp4", 2000))
	code, out := do(t, h, "POST", "/api/hooks/s3", event, "Authorization", "Bearer s3cret")
	created, _ := out["created"].([]any)
	if code != http.StatusOK || len(created) != 2 {
		t.Fatalf("status %d: %v", code, out)
	}
	big, err := videos.Video(ctx, created[0].(string))
	if err != nil {
		t.Fatal(err)
	}
	if big.Status != reel.StatusFailed || big.JobID != 0 || big.Size != 2001 ||
		!strings.Contains(big.Error, "larger than the upload limit of 2000 bytes") {
		t.Errorf("video over the limit: %+v", big)
	}
	if got := jobs(); len(got) != 1 || got[0] != created[1] {
		t.Errorf("jobs %v, want only the video within the limit, %v", got, created[1])
	}
	if _, err := originals.Open(ctx, "inbox/big.mp4"); err != nil {
		t.Errorf("the object over the limit is gone from the bucket: %v", err)
	}

	// A retry would transcode it all the same: refused.
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/videos/{id}/retry", s.handleRetry)
	code, out = do(t, mux, "POST", "/api/videos/"+big.ID+"/retry", "")
	if code != http.StatusRequestEntityTooLarge || len(jobs()) != 1 {
		t.Errorf("retry: status %d, jobs %v: %v", code, jobs(), out)
	}
}

// A direct upload whose parts add up to more than the limit (the part URLs
// cannot cap what a client PUTs) is refused at completion by the size the
// real store reports: the video fails, the object is deleted, no job.
func TestDirectCompleteOverTheLimitRealStore(t *testing.T) {
	t.Parallel()
	srv, originals, videos, jobs := realStores(t)
	s := &Server{Videos: videos, Originals: originals, MaxUploadSize: 1000, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow }}
	s.Handler()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/videos/direct", s.handleDirectCreate)
	mux.HandleFunc("POST /api/videos/{id}/complete", s.handleDirectComplete)

	code, out := do(t, mux, "POST", "/api/videos/direct", `{"filename": "clip.mp4", "size": 1000}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	var created api.DirectUpload
	b, _ := json.Marshal(out)
	json.Unmarshal(b, &created)
	req, _ := http.NewRequest(http.MethodPut, created.Parts[0].URL, bytes.NewReader(make([]byte, 5000)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT part: %s", resp.Status)
	}
	parts, _ := json.Marshal(map[string]any{"parts": []reel.CompletedPart{{Number: 1, ETag: resp.Header.Get("ETag")}}})
	code, out = do(t, mux, "POST", created.CompleteURL, string(parts))
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("complete: %d %v", code, out)
	}
	v, err := videos.Video(context.Background(), created.Video.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != reel.StatusFailed || !strings.Contains(v.Error, "5000 bytes, larger than the limit of 1000 bytes") || len(jobs()) != 0 {
		t.Errorf("video %+v, jobs %v", v, jobs())
	}
	_, err = srv.Client().HeadObject(context.Background(), &awss3.HeadObjectInput{
		Bucket: aws.String("media"), Key: aws.String("originals/" + v.ID + "/original"),
	})
	if err == nil {
		t.Errorf("the original over the limit is still in the bucket")
	}
}

// readFromConn is a net.Conn whose ReadFrom notes that it was used.
type readFromConn struct {
	net.Conn
	used bool
}

func (c *readFromConn) ReadFrom(r io.Reader) (int64, error) {
	c.used = true
	return io.Copy(io.Discard, r)
}

// A connection the per-address cap counts still sends files with the
// connection's own ReadFrom (sendfile(2) on a *net.TCPConn): net/http
// only uses it when the connection it serves has one.
func TestLimitListenerKeepsReadFrom(t *testing.T) {
	inner := &readFromConn{}
	c := &countedConn{Conn: inner, release: func() {}}
	if n, err := c.ReadFrom(strings.NewReader("segment")); err != nil || n != 7 || !inner.used {
		t.Fatalf("ReadFrom = %d, %v; passed on: %v", n, err, inner.used)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limited := LimitListener(ln, 4, nil)
	defer limited.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := limited.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	defer server.Close()
	if _, ok := server.(io.ReaderFrom); !ok {
		t.Fatalf("%T has no ReadFrom: net/http would copy files through a buffer", server)
	}
	// A file goes through whole, by the TCP connection's own ReadFrom.
	want := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	path := filepath.Join(t.TempDir(), "seg.m4s")
	if err := os.WriteFile(path, want, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(client, int64(len(want))))
		got <- b
	}()
	if n, err := server.(io.ReaderFrom).ReadFrom(f); err != nil || n != int64(len(want)) {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("client got %d bytes, not the file's %d", len(b), len(want))
	}
}
