package web

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"reel"
	"reel/api"
	"reel/disk"
	"reel/s3"
	"reel/s3test"
	"reel/sqlstore"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// directServer returns a server with the fakes and a mux with the routes
// of direct uploads, as server.go registers them.
func directServer(t testing.TB, videos reel.VideoStore, originals reel.BlobStore) http.Handler {
	s := &Server{
		Videos: videos, Originals: originals, MaxUploadSize: 1 << 30,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow },
	}
	s.Handler()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/videos/direct", s.handleDirectCreate)
	mux.HandleFunc("POST /api/videos/{id}/complete", s.handleDirectComplete)
	return mux
}

// PartSize plans 8 MiB parts, as an S3 store with its default part size
// does for any size below 74 GiB (the store's plan is tested in s3).
func (f *originalsFuncs) PartSize(size int64, n int) int64 { return 8 << 20 }

func TestDirectCreate(t *testing.T) {
	var created []*reel.Video
	var presigned []int
	videos := &videoFuncs{create: func(_ context.Context, v *reel.Video) error {
		created = append(created, v)
		return nil
	}}
	originals := &originalsFuncs{
		create: func(_ context.Context, key string) (string, error) { return "up-" + key, nil },
		presign: func(_ context.Context, key, up string, part int, ttl time.Duration) (string, error) {
			if ttl != DirectUploadTTL || up != "up-"+key {
				t.Errorf("PresignPart(%s, %s, %d, %v)", key, up, part, ttl)
			}
			presigned = append(presigned, part)
			return fmt.Sprintf("https://s3.example/%s?partNumber=%d", key, part), nil
		},
	}
	h := directServer(t, videos, originals)
	code, out := do(t, h, "POST", "/api/videos/direct",
		`{"filename": "C:\\clips\\a\u0000b.mp4", "size": 20971521, "title": " My clip\n ", "content_type": "video/mp4"}`)
	if code != http.StatusCreated {
		t.Fatalf("status %d: %v", code, out)
	}
	if len(created) != 1 {
		t.Fatalf("%d videos created", len(created))
	}
	v := created[0]
	want := reel.Video{ID: v.ID, Title: "My clip", Status: reel.StatusUploading, Filename: "ab.mp4", ContentType: "video/mp4",
		Size: 20971521, OriginalKey: v.ID + "/original", UploadID: "up-" + v.ID + "/original"}
	if !reel.ValidID(v.ID) || fmt.Sprint(*v) != fmt.Sprint(want) {
		t.Errorf("created %+v\nwant    %+v", *v, want)
	}
	if !slices.Equal(presigned, []int{1, 2, 3}) {
		t.Errorf("presigned parts %v, want 1 to 3", presigned)
	}
	video, _ := out["video"].(map[string]any)
	parts, _ := out["parts"].([]any)
	if video["id"] != v.ID || video["status"] != "uploading" || out["upload_id"] != v.UploadID ||
		out["part_size"] != float64(8<<20) || len(parts) != 3 ||
		out["complete_url"] != "/api/videos/"+v.ID+"/complete" ||
		out["expires_at"] != testNow.Add(DirectUploadTTL).Format(time.RFC3339) {
		t.Errorf("answer %v", out)
	}
	if p, _ := parts[2].(map[string]any); p["part_number"] != 3.0 || !strings.HasSuffix(p["url"].(string), "partNumber=3") {
		t.Errorf("part 3: %v", parts[2])
	}
}

func TestDirectCreateRejects(t *testing.T) {
	big := `{"size": 1, "title": "` + strings.Repeat("x", maxDirectBody) + `"}`
	for _, tt := range []struct {
		name, body string
		status     int
	}{
		{"empty body", ``, 400},
		{"not JSON", `size=1`, 400},
		{"cut off", `{"size": 1`, 400},
		{"array", `[1]`, 400},
		{"unknown field", `{"size": 1, "bucket": "other"}`, 400},
		{"size missing", `{"filename": "a.mp4"}`, 400},
		{"size zero", `{"size": 0}`, 400},
		{"size negative", `{"size": -5}`, 400},
		{"size as string", `{"size": "12"}`, 400},
		{"size fraction", `{"size": 1.5}`, 400},
		{"two objects", `{"size": 1} {"size": 2}`, 400},
		{"title too long", `{"size": 1, "title": "` + strings.Repeat("é", reel.MaxTitleBytes) + `"}`, 400},
		{"over the size limit", `{"size": 1073741825}`, 413},
		{"body too large", big, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Nil funcs: any call to the stores panics.
			h := directServer(t, &videoFuncs{}, &originalsFuncs{})
			code, out := do(t, h, "POST", "/api/videos/direct", tt.body)
			if code != tt.status {
				t.Errorf("status %d, want %d: %v", code, tt.status, out)
			}
			e, _ := out["error"].(map[string]any)
			if e["message"] == "" || e["message"] == nil {
				t.Errorf("no error message: %v", out)
			}
			t.Log(e["message"])
		})
	}
}

func TestDirectNeedsMultipartStore(t *testing.T) {
	originals, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	videos := &videoFuncs{video: func(_ context.Context, id string) (*reel.Video, error) {
		return &reel.Video{ID: id, Status: reel.StatusUploading, UploadID: "u"}, nil
	}}
	h := directServer(t, videos, originals)
	code, out := do(t, h, "POST", "/api/videos/direct", `{"size": 1}`)
	if code != http.StatusConflict || !strings.Contains(fmt.Sprint(out), "S3 originals store") {
		t.Errorf("create: %d %v", code, out)
	}
	code, out = do(t, h, "POST", "/api/videos/"+reel.NewID()+"/complete", `{"parts": [{"part_number": 1, "etag": "x"}]}`)
	if code != http.StatusConflict {
		t.Errorf("complete: %d %v", code, out)
	}
}

// A failure after the multipart upload started aborts it: no row points
// at it, so nothing else would.
func TestDirectCreateAbortsOnFailure(t *testing.T) {
	for _, failAt := range []string{"presign", "create video"} {
		t.Run(failAt, func(t *testing.T) {
			var aborted []string
			videos := &videoFuncs{create: func(context.Context, *reel.Video) error {
				return errors.New("database is down")
			}}
			originals := &originalsFuncs{
				create: func(context.Context, string) (string, error) { return "up1", nil },
				presign: func(_ context.Context, _, _ string, part int, _ time.Duration) (string, error) {
					if failAt == "presign" && part == 2 {
						return "", errors.New("no credentials")
					}
					return "https://s3.example/part", nil
				},
				abort: func(ctx context.Context, key, up string) error {
					if ctx.Err() != nil {
						t.Error("abort with a done context")
					}
					aborted = append(aborted, up)
					return nil
				},
			}
			if failAt == "presign" {
				videos.create = nil // must not be reached
			}
			code, out := do(t, directServer(t, videos, originals), "POST", "/api/videos/direct", `{"size": 20000000}`)
			if code != http.StatusInternalServerError || errorCode(out) != reel.EINTERNAL {
				t.Errorf("status %d: %v", code, out)
			}
			if !slices.Equal(aborted, []string{"up1"}) {
				t.Errorf("aborted %v, want [up1]", aborted)
			}
		})
	}
}

// completeFixture is a video waiting for its direct upload, and stores
// that record what the completion did.
type completeFixture struct {
	video             *reel.Video
	videos            *videoFuncs
	originals         *originalsFuncs
	completed         [][]reel.CompletedPart
	enqueued          []int64
	updates           []reel.VideoUpdate
	deleted, aborted  []string
	completeErr       error
	completeSize      int64
	originalAvailable bool
}

func newCompleteFixture(t *testing.T) *completeFixture {
	f := &completeFixture{completeSize: 12345}
	id := reel.NewID()
	f.video = &reel.Video{ID: id, Status: reel.StatusUploading, OriginalKey: reel.OriginalKey(id), UploadID: "up1", Size: 12345}
	f.videos = &videoFuncs{
		video: func(_ context.Context, id string) (*reel.Video, error) {
			if id != f.video.ID {
				return nil, reel.Errorf(reel.ENOTFOUND, "Video not found.")
			}
			v := *f.video
			return &v, nil
		},
		enqueue: func(_ context.Context, id string, size int64, title *string) (*reel.Video, error) {
			f.enqueued = append(f.enqueued, size)
			v := *f.video
			v.Status, v.Size = reel.StatusQueued, size
			return &v, nil
		},
		update: func(_ context.Context, id string, u reel.VideoUpdate) (*reel.Video, error) {
			f.updates = append(f.updates, u)
			v := *f.video
			return &v, nil
		},
	}
	f.originals = &originalsFuncs{
		complete: func(_ context.Context, key, up string, parts []reel.CompletedPart) (int64, error) {
			if key != f.video.OriginalKey || up != "up1" {
				t.Errorf("CompleteMultipart(%s, %s)", key, up)
			}
			f.completed = append(f.completed, parts)
			return f.completeSize, f.completeErr
		},
		open: func(_ context.Context, key string) (reel.Blob, error) {
			if !f.originalAvailable {
				return nil, reel.Errorf(reel.ENOTFOUND, "no such blob")
			}
			return newSizedBlob(777), nil
		},
		del:   func(_ context.Context, key string) error { f.deleted = append(f.deleted, key); return nil },
		abort: func(_ context.Context, key, up string) error { f.aborted = append(f.aborted, up); return nil },
	}
	return f
}

func (f *completeFixture) post(t *testing.T, id, body string) (int, map[string]any) {
	return do(t, directServer(t, f.videos, f.originals), "POST", "/api/videos/"+id+"/complete", body)
}

func TestDirectComplete(t *testing.T) {
	f := newCompleteFixture(t)
	code, out := f.post(t, f.video.ID, `{"parts": [{"part_number": 2, "etag": "\"b\""}, {"part_number": 1, "etag": "\"a\""}]}`)
	if code != http.StatusOK || out["status"] != "queued" || out["id"] != f.video.ID || out["size"] != 12345.0 {
		t.Fatalf("status %d: %v", code, out)
	}
	// Parts go to S3 in ascending order, whatever the client's order.
	want := []reel.CompletedPart{{Number: 1, ETag: `"a"`}, {Number: 2, ETag: `"b"`}}
	if len(f.completed) != 1 || !slices.Equal(f.completed[0], want) {
		t.Errorf("completed with %v, want %v", f.completed, want)
	}
	if !slices.Equal(f.enqueued, []int64{12345}) {
		t.Errorf("enqueued %v", f.enqueued)
	}
	if len(f.updates) != 1 || f.updates[0].UploadID == nil || *f.updates[0].UploadID != "" {
		t.Errorf("updates %+v, want the upload id cleared", f.updates)
	}
	if len(f.aborted)+len(f.deleted) != 0 {
		t.Errorf("aborted %v, deleted %v", f.aborted, f.deleted)
	}
}

// A completion retried after S3 completed the upload but the video was
// not queued finds the original in place and queues it.
func TestDirectCompleteRetried(t *testing.T) {
	f := newCompleteFixture(t)
	f.completeErr = reel.Errorf(reel.EINVALID, "The upload does not exist anymore.")
	f.originalAvailable = true
	code, out := f.post(t, f.video.ID, `{"parts": [{"part_number": 1, "etag": "a"}]}`)
	if code != http.StatusOK || !slices.Equal(f.enqueued, []int64{777}) {
		t.Errorf("status %d, enqueued %v: %v", code, f.enqueued, out)
	}
}

func TestDirectCompleteRejects(t *testing.T) {
	const parts = `{"parts": [{"part_number": 1, "etag": "\"a\""}]}`
	for _, tt := range []struct {
		name, body string
		setup      func(f *completeFixture)
		id         string // default: the fixture's video
		status     int
		reachedS3  bool
	}{
		{name: "unknown video", id: reel.NewID(), body: parts, status: 404},
		{name: "malformed id", id: "NOT-AN-ID", body: parts, status: 404},
		{name: "queued already", body: parts, status: 409, setup: func(f *completeFixture) { f.video.Status = reel.StatusQueued }},
		{name: "ready", body: parts, status: 409, setup: func(f *completeFixture) { f.video.Status = reel.StatusReady; f.video.UploadID = "" }},
		{name: "no upload id", body: parts, status: 409, setup: func(f *completeFixture) { f.video.UploadID = "" }},
		{name: "empty body", body: ``, status: 400},
		{name: "no parts", body: `{"parts": []}`, status: 400},
		{name: "null parts", body: `{"parts": null}`, status: 400},
		{name: "part zero", body: `{"parts": [{"part_number": 0, "etag": "a"}]}`, status: 400},
		{name: "part too high", body: `{"parts": [{"part_number": 10001, "etag": "a"}]}`, status: 400},
		{name: "part twice", body: `{"parts": [{"part_number": 1, "etag": "a"}, {"part_number": 1, "etag": "b"}]}`, status: 400},
		{name: "no etag", body: `{"parts": [{"part_number": 1}]}`, status: 400},
		{name: "unknown field", body: `{"parts": [{"part_number": 1, "etag": "a", "size": 3}]}`, status: 400},
		{name: "wrong etag", body: parts, status: 400, reachedS3: true,
			setup: func(f *completeFixture) { f.completeErr = reel.Errorf(reel.EINVALID, "ETags do not match.") }},
		{name: "store down", body: parts, status: 500, reachedS3: true,
			setup: func(f *completeFixture) { f.completeErr = errors.New("connection refused") }},
		{name: "larger than the limit", body: parts, status: 413, reachedS3: true,
			setup: func(f *completeFixture) { f.completeSize = 1<<30 + 1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newCompleteFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			id := tt.id
			if id == "" {
				id = f.video.ID
			}
			code, out := f.post(t, id, tt.body)
			if code != tt.status {
				t.Errorf("status %d, want %d: %v", code, tt.status, out)
			}
			if got := len(f.completed) > 0; got != tt.reachedS3 {
				t.Errorf("CompleteMultipart called: %v, want %v", got, tt.reachedS3)
			}
			if len(f.enqueued) != 0 {
				t.Errorf("enqueued %v on failure", f.enqueued)
			}
			// A wrong completion leaves the upload for another try.
			if len(f.aborted) != 0 {
				t.Errorf("aborted %v", f.aborted)
			}
		})
	}
}

// An original over the limit is deleted and its video marked failed.
func TestDirectCompleteTooLargeFailsTheVideo(t *testing.T) {
	f := newCompleteFixture(t)
	f.completeSize = 2 << 30
	code, out := f.post(t, f.video.ID, `{"parts": [{"part_number": 1, "etag": "a"}]}`)
	if code != http.StatusRequestEntityTooLarge || errorCode(out) != reel.ETOOLARGE {
		t.Fatalf("status %d: %v", code, out)
	}
	if !slices.Equal(f.deleted, []string{f.video.OriginalKey}) {
		t.Errorf("deleted %v", f.deleted)
	}
	if len(f.updates) != 1 || f.updates[0].Status == nil || *f.updates[0].Status != reel.StatusFailed ||
		!strings.Contains(*f.updates[0].Error, "larger than the limit") {
		t.Errorf("updates %+v", f.updates)
	}
}

// realStores returns an S3 originals store on a fresh versitygw, under
// prefix "originals" of bucket "media", a video store on a temp SQLite
// database, and the video ids of the jobs enqueued so far. Jobs go into
// a table of their own within the store's transaction, as River's do, so
// a rolled-back transaction leaves no job.
func realStores(t *testing.T) (*s3test.Server, *s3.Store, *sqlstore.Store, func() []string) {
	t.Helper()
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.Bucket(t, "media")
	originals, err := s3.Open(ctx, srv.URL("media", "originals"), s3.Options{Credentials: srv.Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "reel.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE test_jobs (id INTEGER PRIMARY KEY, video_id TEXT)`); err != nil {
		t.Fatal(err)
	}
	videos := sqlstore.New(db, func(ctx context.Context, tx *sql.Tx, id string) (int64, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO test_jobs (video_id) VALUES (?)`, id)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	})
	jobs := func() []string {
		rows, err := db.Query(`SELECT video_id FROM test_jobs ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var id string
			rows.Scan(&id)
			ids = append(ids, id)
		}
		return ids
	}
	return srv, originals, videos, jobs
}

// A client creates a direct upload, PUTs two parts to the presigned URLs
// with plain net/http, fails once with a wrong ETag, then completes.
func TestDirectUploadEndToEnd(t *testing.T) {
	t.Parallel()
	srv, originals, videos, jobs := realStores(t)
	ts := httptest.NewServer(directServer(t, videos, originals))
	defer ts.Close()
	post := func(path string, body any) (int, []byte) {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := http.Post(ts.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}

	file := make([]byte, 8<<20+1234)
	for i := range file {
		file[i] = byte(i * 7 / 3)
	}
	code, body := post("/api/videos/direct", map[string]any{"filename": "clip.mp4", "size": len(file), "title": "Clip"})
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var created api.DirectUpload
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	id := created.Video.ID
	if created.PartSize != 8<<20 || len(created.Parts) != 2 {
		t.Fatalf("part size %d, %d parts", created.PartSize, len(created.Parts))
	}

	var parts []reel.CompletedPart
	for i, p := range created.Parts {
		chunk := file[int64(i)*created.PartSize : min(int64(i+1)*created.PartSize, int64(len(file)))]
		req, _ := http.NewRequest(http.MethodPut, p.URL, bytes.NewReader(chunk))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT part %d: %s", p.Number, resp.Status)
		}
		parts = append(parts, reel.CompletedPart{Number: p.Number, ETag: resp.Header.Get("ETag")})
	}

	wrong := []reel.CompletedPart{parts[0], {Number: 2, ETag: `"00000000000000000000000000000000"`}}
	if code, body := post(created.CompleteURL, map[string]any{"parts": wrong}); code != http.StatusBadRequest {
		t.Fatalf("complete with a wrong ETag: %d %s", code, body)
	}
	if v, err := videos.Video(context.Background(), id); err != nil || v.Status != reel.StatusUploading || v.UploadID != created.UploadID || len(jobs()) != 0 {
		t.Fatalf("after a wrong completion: %+v, %v, jobs %v", v, err, jobs())
	}

	code, body = post(created.CompleteURL, map[string]any{"parts": []reel.CompletedPart{parts[1], parts[0]}})
	if code != http.StatusOK {
		t.Fatalf("complete: %d %s", code, body)
	}
	v, err := videos.Video(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != reel.StatusQueued || v.Size != int64(len(file)) || v.UploadID != "" || v.JobID != 1 ||
		v.Title != "Clip" || v.Filename != "clip.mp4" || !slices.Equal(jobs(), []string{id}) {
		t.Errorf("video %+v, jobs %v", v, jobs())
	}
	b, err := originals.Open(context.Background(), reel.OriginalKey(id))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(b)
	b.Close()
	if err != nil || !bytes.Equal(got, file) {
		t.Errorf("original: %d bytes read, %v; want the %d uploaded", len(got), err, len(file))
	}
	_, err = srv.Client().HeadObject(context.Background(), &awss3.HeadObjectInput{
		Bucket: aws.String("media"), Key: aws.String("originals/" + id + "/original"),
	})
	if err != nil {
		t.Errorf("object not at originals/%s/original: %v", id, err)
	}
	if code, body := post(created.CompleteURL, map[string]any{"parts": parts}); code != http.StatusConflict {
		t.Errorf("second complete: %d %s", code, body)
	}
}
