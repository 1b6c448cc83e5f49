package tus_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"reel"
	"reel/disk"
	"reel/s3"
	"reel/s3test"
	"reel/sqlstore"
	"reel/tus"
)

// env is a tus endpoint on a real SQLite database and a real originals
// store, served by httptest.
type env struct {
	t         *testing.T
	srv       *httptest.Server
	h         *tus.Handler
	db        *sql.DB
	videos    *sqlstore.Store
	originals reel.BlobStore
	s3        *s3test.Server // nil on disk
	dataDir   string         // the database's folder
	clock     *clock
}

// clock is a time tests move.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// backends runs f on disk and on versitygw.
func backends(t *testing.T, f func(t *testing.T, e *env)) {
	t.Run("disk", func(t *testing.T) {
		t.Parallel()
		f(t, newEnv(t, "disk", nil))
	})
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		f(t, newEnv(t, "s3", nil))
	})
}

// newEnv builds an endpoint on the backend; other, if set, shares its
// database file and originals store, as a second reel process would.
func newEnv(t *testing.T, backend string, other *env) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, clock: &clock{}}
	if other != nil {
		e.dataDir, e.originals, e.s3, e.clock = other.dataDir, other.originals, other.s3, other.clock
	} else {
		e.dataDir = t.TempDir()
	}
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(e.dataDir, "reel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, video_id TEXT)`); err != nil {
		t.Fatal(err)
	}
	e.db = db
	e.videos = sqlstore.New(db, func(ctx context.Context, tx *sql.Tx, id string) (int64, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO jobs (video_id) VALUES (?)`, id)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	})
	if e.originals == nil {
		switch backend {
		case "disk":
			st, err := disk.New(filepath.Join(t.TempDir(), "originals"))
			if err != nil {
				t.Fatal(err)
			}
			e.originals = st
		case "s3":
			e.s3 = s3test.Start(t)
			e.s3.Bucket(t, "reel")
			st, err := s3.Open(ctx, e.s3.URL("reel", "originals"), s3.Options{
				Credentials: e.s3.Credentials(),
				Pool:        s3.NewPartPool(s3.MinPartSize, 8),
			})
			if err != nil {
				t.Fatal(err)
			}
			e.originals = st
		}
	}
	e.h, err = tus.New(tus.Config{
		Videos: e.videos, Uploads: e.videos, Originals: e.originals,
		MaxSize: 64 << 20, LockTTL: 2 * time.Second, Now: e.clock.now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/uploads/", e.h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// hdr is a request's headers, Tus-Resumable included unless set to "".
type hdr map[string]string

// do sends a request and returns the answer with its body read.
func (e *env) do(method, path string, h hdr, body []byte) (*http.Response, string) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	for k, v := range h {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// expect fails unless resp has the status.
func (e *env) expect(resp *http.Response, body string, status int) {
	e.t.Helper()
	if resp.StatusCode != status {
		e.t.Fatalf("%s %s: status %d, want %d; body %q", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
}

// create starts an upload of size bytes and returns its path.
func (e *env) create(size int64, meta string) string {
	e.t.Helper()
	resp, body := e.do("POST", "/api/uploads/", hdr{"Upload-Length": strconv.FormatInt(size, 10), "Upload-Metadata": meta}, nil)
	e.expect(resp, body, http.StatusCreated)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/api/uploads/") || !reel.ValidID(strings.TrimPrefix(loc, "/api/uploads/")) {
		e.t.Fatalf("Location %q, want /api/uploads/<video id>", loc)
	}
	return loc
}

// offset returns the upload's offset from HEAD.
func (e *env) offset(path string) int64 {
	e.t.Helper()
	resp, body := e.do("HEAD", path, nil, nil)
	e.expect(resp, body, http.StatusOK)
	n, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		e.t.Fatalf("HEAD %s: Upload-Offset %q", path, resp.Header.Get("Upload-Offset"))
	}
	return n
}

// patch sends a chunk at offset and returns the answer.
func (e *env) patch(path string, offset int64, chunk []byte, h hdr) (*http.Response, string) {
	e.t.Helper()
	all := hdr{"Content-Type": "application/offset+octet-stream", "Upload-Offset": strconv.FormatInt(offset, 10)}
	for k, v := range h {
		all[k] = v
	}
	return e.do("PATCH", path, all, chunk)
}

// send uploads data from offset on in chunks of chunk bytes, expecting 204
// with the new offset each time.
func (e *env) send(path string, data []byte, offset int64, chunk int) {
	e.t.Helper()
	for offset < int64(len(data)) {
		end := min(offset+int64(chunk), int64(len(data)))
		resp, body := e.patch(path, offset, data[offset:end], nil)
		e.expect(resp, body, http.StatusNoContent)
		if got := resp.Header.Get("Upload-Offset"); got != strconv.FormatInt(end, 10) {
			e.t.Fatalf("PATCH at %d: Upload-Offset %s, want %d", offset, got, end)
		}
		offset = end
	}
}

// original returns the stored original of the video, or nil if none.
func (e *env) original(id string) []byte {
	e.t.Helper()
	b, err := e.originals.Open(context.Background(), reel.OriginalKey(id))
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		return nil
	} else if err != nil {
		e.t.Fatal(err)
	}
	defer b.Close()
	data, err := io.ReadAll(b)
	if err != nil {
		e.t.Fatal(err)
	}
	return data
}

// jobs returns how many transcode jobs the video has.
func (e *env) jobs(id string) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(`SELECT count(*) FROM jobs WHERE video_id = ?`, id).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// random returns n random bytes.
func random(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return b
}

// meta encodes Upload-Metadata.
func meta(kv ...string) string {
	var pairs []string
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(pairs, ",")
}

func idOf(path string) string { return path[strings.LastIndex(path, "/")+1:] }

// stored lists the keys under the video's folder in the originals store,
// and for S3 the keys of unfinished multipart uploads there.
func (e *env) stored(id string) (keys, uploads []string) {
	e.t.Helper()
	ctx := context.Background()
	if e.s3 == nil {
		root := e.originals.(*disk.Store).Root()
		entries, _ := os.ReadDir(filepath.Join(root, id))
		for _, de := range entries {
			keys = append(keys, id+"/"+de.Name())
		}
		return keys, nil
	}
	c := e.s3.Client()
	prefix := "originals/" + id + "/"
	objs, err := c.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String("reel"), Prefix: &prefix})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, o := range objs.Contents {
		keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), "originals/"))
	}
	ups, err := c.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String("reel"), Prefix: &prefix})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, u := range ups.Uploads {
		uploads = append(uploads, aws.ToString(u.UploadId))
	}
	return keys, uploads
}

// checkOnlyOriginal fails unless the video's folder holds its original
// and nothing else: no tail, no unfinished multipart upload.
func (e *env) checkOnlyOriginal(id string) {
	e.t.Helper()
	keys, ups := e.stored(id)
	if len(keys) != 1 || keys[0] != reel.OriginalKey(id) || len(ups) != 0 {
		e.t.Errorf("originals store holds %q and multipart uploads %q, want only the original", keys, ups)
	}
}

// checkNothing fails unless nothing of the video is left in the store.
func (e *env) checkNothing(id string) {
	e.t.Helper()
	keys, ups := e.stored(id)
	if len(keys) != 0 || len(ups) != 0 {
		e.t.Errorf("originals store holds %q and multipart uploads %q, want nothing", keys, ups)
	}
}
