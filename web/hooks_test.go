package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"reel"
)

// videoFuncs is a func-field fake of reel.VideoStore for direct uploads
// and S3 events. Calling a method whose func is nil panics, failing the
// test: the embedded interface is nil too.
type videoFuncs struct {
	reel.VideoStore
	create  func(ctx context.Context, v *reel.Video) error
	video   func(ctx context.Context, id string) (*reel.Video, error)
	update  func(ctx context.Context, id string, u reel.VideoUpdate) (*reel.Video, error)
	enqueue func(ctx context.Context, id string, size int64, title *string) (*reel.Video, error)
}

func (f *videoFuncs) CreateVideo(ctx context.Context, v *reel.Video) error { return f.create(ctx, v) }

func (f *videoFuncs) Video(ctx context.Context, id string) (*reel.Video, error) {
	return f.video(ctx, id)
}

func (f *videoFuncs) UpdateVideo(ctx context.Context, id string, u reel.VideoUpdate) (*reel.Video, error) {
	return f.update(ctx, id, u)
}

func (f *videoFuncs) Enqueue(ctx context.Context, id string, size int64, title *string) (*reel.Video, error) {
	return f.enqueue(ctx, id, size, title)
}

// originalsFuncs is a func-field fake of an originals store with
// multipart uploads, which panics as videoFuncs does.
type originalsFuncs struct {
	reel.BlobStore
	open     func(ctx context.Context, key string) (reel.Blob, error)
	del      func(ctx context.Context, key string) error
	create   func(ctx context.Context, key string) (string, error)
	presign  func(ctx context.Context, key, uploadID string, part int, ttl time.Duration) (string, error)
	complete func(ctx context.Context, key, uploadID string, parts []reel.CompletedPart) (int64, error)
	abort    func(ctx context.Context, key, uploadID string) error
}

func (f *originalsFuncs) Open(ctx context.Context, key string) (reel.Blob, error) {
	return f.open(ctx, key)
}

func (f *originalsFuncs) Delete(ctx context.Context, key string) error { return f.del(ctx, key) }

func (f *originalsFuncs) CreateMultipart(ctx context.Context, key string) (string, error) {
	return f.create(ctx, key)
}

func (f *originalsFuncs) PresignPart(ctx context.Context, key, uploadID string, part int, ttl time.Duration) (string, error) {
	return f.presign(ctx, key, uploadID, part, ttl)
}

func (f *originalsFuncs) CompleteMultipart(ctx context.Context, key, uploadID string, parts []reel.CompletedPart) (int64, error) {
	return f.complete(ctx, key, uploadID, parts)
}

func (f *originalsFuncs) AbortMultipart(ctx context.Context, key, uploadID string) error {
	return f.abort(ctx, key, uploadID)
}

// sizedBlob is an open blob of zeros, of the SectionReader's size.
type sizedBlob struct{ *io.SectionReader }

func newSizedBlob(size int64) reel.Blob { return sizedBlob{io.NewSectionReader(zeros{}, 0, size)} }

func (sizedBlob) Close() error       { return nil }
func (sizedBlob) ModTime() time.Time { return time.Time{} }

type zeros struct{}

func (zeros) ReadAt(p []byte, _ int64) (int, error) { clear(p); return len(p), nil }

// do sends a request and returns the answer's status and decoded body.
func do(t testing.TB, h http.Handler, method, target, body string, header ...string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: %d, body is not JSON: %q", method, target, w.Code, w.Body)
	}
	return w.Code, out
}

func errorCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// awsEvent is an S3 event notification as AWS sends it (trimmed of
// nothing: the fields reel ignores must not disturb it).
const awsEvent = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
"eventTime":"2025-06-01T12:00:00.000Z","eventName":"ObjectCreated:CompleteMultipartUpload",
"userIdentity":{"principalId":"AWS:AIDAEXAMPLE"},"requestParameters":{"sourceIPAddress":"203.0.113.7"},
"responseElements":{"x-amz-request-id":"C3D13FE58DE4C810","x-amz-id-2":"FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
"s3":{"s3SchemaVersion":"1.0","configurationId":"reel","bucket":{"name":"media","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},
"arn":"arn:aws:s3:::media"},"object":{"key":"originals/holiday/my+clip%282%29.mp4","size":1048576,
"eTag":"d41d8cd98f00b204e9800998ecf8427e-2","sequencer":"0055AED6DCD90281E5"}}}]}`

// minioEvent is the same as MinIO's webhook sends it: EventName and Key
// beside the Records, "s3:" before the event name, a content type.
const minioEvent = `{"EventName":"s3:ObjectCreated:Put","Key":"media/originals/holiday/my clip(2).mp4",
"Records":[{"eventVersion":"2.0","eventSource":"minio:s3","awsRegion":"","eventTime":"2025-06-01T12:00:00.000Z",
"eventName":"s3:ObjectCreated:Put","userIdentity":{"principalId":"minioadmin"},
"requestParameters":{"principalId":"minioadmin","region":"","sourceIPAddress":"127.0.0.1"},
"responseElements":{"x-amz-request-id":"17B3A2A1C2D6E0F1","x-minio-deployment-id":"1b9f0d6e","x-minio-origin-endpoint":"http://127.0.0.1:9000"},
"s3":{"s3SchemaVersion":"1.0","configurationId":"Config","bucket":{"name":"media","ownerIdentity":{"principalId":"minioadmin"},
"arn":"arn:aws:s3:::media"},"object":{"key":"originals%2Fholiday%2Fmy+clip%282%29.mp4","size":1048576,
"eTag":"d41d8cd98f00b204e9800998ecf8427e","contentType":"video/quicktime","userMetadata":{"content-type":"video/quicktime"},
"sequencer":"17B3A2A1C4E1B2D3"}},"source":{"host":"127.0.0.1","port":"","userAgent":"MinIO (linux; amd64) minio-go/v7.0.70"}}]}`

// record builds a one-record event.
func record(event, bucket, key string, size int64) string {
	return fmt.Sprintf(`{"eventName": %q, "s3": {"bucket": {"name": %q}, "object": {"key": %q, "size": %d}}}`,
		event, bucket, url.QueryEscape(key), size)
}

func records(recs ...string) string { return `{"Records": [` + strings.Join(recs, ",") + `]}` }

// hookFixture is a hook handler on fakes: a database of videos by
// original key and a bucket of object sizes by blob key.
type hookFixture struct {
	h       http.Handler
	created []*reel.Video
	opened  []string
	objects map[string]int64
	known   map[string]bool // video ids with a row
	openErr error
}

func newHookFixture(t *testing.T, secret string) *hookFixture {
	f := &hookFixture{objects: map[string]int64{}, known: map[string]bool{}}
	videos := &videoFuncs{
		create: func(_ context.Context, v *reel.Video) error {
			for _, c := range f.created {
				if c.OriginalKey == v.OriginalKey {
					return reel.Errorf(reel.ECONFLICT, "A video for this original exists already.")
				}
			}
			f.created = append(f.created, v)
			return nil
		},
		video: func(_ context.Context, id string) (*reel.Video, error) {
			if !f.known[id] {
				return nil, reel.Errorf(reel.ENOTFOUND, "Video not found.")
			}
			return &reel.Video{ID: id}, nil
		},
	}
	originals := &originalsFuncs{open: func(_ context.Context, key string) (reel.Blob, error) {
		f.opened = append(f.opened, key)
		if f.openErr != nil {
			return nil, f.openErr
		}
		size, ok := f.objects[key]
		if !ok {
			return nil, reel.Errorf(reel.ENOTFOUND, "blob %q not found", key)
		}
		return newSizedBlob(size), nil
	}}
	s := &Server{Videos: videos, Originals: originals, MaxUploadSize: 1 << 30, Logger: slog.New(slog.DiscardHandler)}
	s.Handler()
	f.h = s.S3EventHandler(HookConfig{Secret: secret, Bucket: "media", Prefix: "originals"})
	return f
}

func (f *hookFixture) post(t *testing.T, body string, header ...string) (int, map[string]any) {
	t.Helper()
	if header == nil {
		header = []string{"Authorization", "Bearer s3cret"}
	}
	return do(t, f.h, "POST", "/api/hooks/s3", body, header...)
}

func TestS3EventCreatesVideos(t *testing.T) {
	for name, body := range map[string]string{"aws": awsEvent, "minio": minioEvent} {
		t.Run(name, func(t *testing.T) {
			f := newHookFixture(t, "s3cret")
			f.objects["holiday/my clip(2).mp4"] = 5000
			code, out := f.post(t, body)
			if code != http.StatusOK || len(f.created) != 1 {
				t.Fatalf("status %d, %d created: %v", code, len(f.created), out)
			}
			v := f.created[0]
			ct := map[string]string{"aws": "video/mp4", "minio": "video/quicktime"}[name]
			want := reel.Video{ID: v.ID, Title: "my clip(2)", Status: reel.StatusQueued, Filename: "my clip(2).mp4",
				ContentType: ct, Size: 5000, OriginalKey: "holiday/my clip(2).mp4"}
			if !reel.ValidID(v.ID) || !reflect.DeepEqual(*v, want) {
				t.Errorf("created %+v\nwant    %+v", *v, want)
			}
			if !reflect.DeepEqual(out, map[string]any{"created": []any{v.ID}, "skipped": 0.0}) {
				t.Errorf("answer %v", out)
			}

			// The same event again creates nothing: originals are unique.
			code, out = f.post(t, body)
			if code != http.StatusOK || len(f.created) != 1 || out["skipped"] != 1.0 {
				t.Errorf("duplicate: status %d, %d created: %v", code, len(f.created), out)
			}
		})
	}
}

func TestS3EventSkipsAndIgnores(t *testing.T) {
	f := newHookFixture(t, "s3cret")
	known, unknown := reel.NewID(), reel.NewID()
	f.known[known] = true
	f.objects["new.mov"] = 10
	f.objects["empty.mp4"] = 0
	f.objects[known+"/original"] = 10
	f.objects[unknown+"/original"] = 10
	body := records(
		record("ObjectCreated:Put", "media", "originals/new.mov", 10),
		record("ObjectCreated:Put", "other", "originals/elsewhere.mp4", 10),        // ignored: bucket
		record("ObjectCreated:Put", "media", "outputs/x.mp4", 10),                  // ignored: prefix
		record("ObjectCreated:Put", "media", "originals/a/../b.mp4", 10),           // ignored: no blob key
		record("ObjectCreated:Put", "media", "originals/dir/", 0),                  // ignored: folder marker
		record("ObjectRemoved:Delete", "media", "originals/old.mp4", 0),            // skipped: not a creation
		record("ObjectCreated:Put", "media", "originals/.reel-check-ab12", 9),      // skipped: the store's probe
		record("ObjectCreated:Put", "media", "originals/"+known+"/original", 10),   // skipped: reel's own
		record("ObjectCreated:Put", "media", "originals/"+unknown+"/original", 10), // skipped: reel's own, row to come
		record("ObjectCreated:Put", "media", "originals/"+known+"/720p/seg_00001.m4s", 10),
		record("ObjectCreated:Put", "media", "originals/gone.mp4", 10),  // skipped: deleted since
		record("ObjectCreated:Put", "media", "originals/empty.mp4", 10), // skipped: empty
	)
	code, out := f.post(t, body)
	if code != http.StatusOK || len(f.created) != 1 || f.created[0].OriginalKey != "new.mov" {
		t.Fatalf("status %d, created %v: %v", code, f.created, out)
	}
	if out["skipped"] != 7.0 {
		t.Errorf("skipped %v, want 7", out["skipped"])
	}
	if !slices.Equal(f.opened, []string{"new.mov", "gone.mp4", "empty.mp4"}) {
		t.Errorf("opened %v", f.opened)
	}
}

func TestS3EventRejects(t *testing.T) {
	const auth = "Authorization"
	other := records(
		record("ObjectCreated:Put", "media", "outputs/x.mp4", 10),
		record("ObjectCreated:Put", "other", "originals/x.mp4", 10),
		record("ObjectCreated:Put", "media", "originals/a//b.mp4", 10),
	)
	for _, tt := range []struct {
		name, secret, body string
		header             []string
		status             int
	}{
		{name: "disabled", body: awsEvent, status: 404},
		{name: "no authorization", secret: "s3cret", body: awsEvent, header: []string{"X-None", "x"}, status: 401},
		{name: "wrong secret", secret: "s3cret", body: awsEvent, header: []string{auth, "Bearer s3cre"}, status: 401},
		{name: "secret and more", secret: "s3cret", body: awsEvent, header: []string{auth, "Bearer s3cretX"}, status: 401},
		{name: "bare secret", secret: "s3cret", body: awsEvent, header: []string{auth, "s3cret"}, status: 401},
		{name: "basic", secret: "s3cret", body: awsEvent, header: []string{auth, "Basic s3cret"}, status: 401},
		{name: "empty bearer", secret: "s3cret", body: awsEvent, header: []string{auth, "Bearer "}, status: 401},
		{name: "malformed JSON", secret: "s3cret", body: `{"Records": [`, status: 400},
		{name: "not an event", secret: "s3cret", body: `{"hello": "world"}`, status: 400},
		{name: "no records", secret: "s3cret", body: `{"Records": []}`, status: 400},
		{name: "bad key escape", secret: "s3cret", body: strings.Replace(awsEvent, "%28", "%zz", 1), status: 400},
		{name: "negative size", secret: "s3cret", body: strings.Replace(awsEvent, "1048576", "-1", 1), status: 400},
		{name: "nothing under the prefix", secret: "s3cret", body: other, status: 400},
		{name: "too large", secret: "s3cret", body: awsEvent + strings.Repeat(" ", maxHookBody), status: 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newHookFixture(t, tt.secret)
			f.objects["holiday/my clip(2).mp4"] = 5000
			code, out := f.post(t, tt.body, tt.header...)
			if code != tt.status {
				t.Errorf("status %d, want %d: %v", code, tt.status, out)
			}
			if len(f.created) != 0 || len(f.opened) != 0 {
				t.Errorf("created %v, opened %v", f.created, f.opened)
			}
		})
	}
}

// The scheme is case-insensitive, as RFC 9110 has it.
func TestS3EventBearerScheme(t *testing.T) {
	f := newHookFixture(t, "s3cret")
	f.objects["holiday/my clip(2).mp4"] = 1
	if code, out := f.post(t, awsEvent, "Authorization", "bearer s3cret"); code != http.StatusOK {
		t.Errorf("status %d: %v", code, out)
	}
}

// A store or database failure answers 500 so that the sender retries.
func TestS3EventStoreFailure(t *testing.T) {
	f := newHookFixture(t, "s3cret")
	f.openErr = errors.New("connection refused")
	if code, out := f.post(t, awsEvent); code != http.StatusInternalServerError || len(f.created) != 0 {
		t.Errorf("status %d, created %v: %v", code, f.created, out)
	}
}

func TestParseS3Event(t *testing.T) {
	objs, err := parseS3Event([]byte(minioEvent))
	want := []s3Object{{Event: "ObjectCreated:Put", Bucket: "media", Key: "originals/holiday/my clip(2).mp4",
		Size: 1048576, ContentType: "video/quicktime"}}
	if err != nil || !reflect.DeepEqual(objs, want) {
		t.Errorf("parseS3Event(minio) = %+v, %v", objs, err)
	}
}

// FuzzS3Event checks that parseS3Event never panics, and that what it
// returns, encoded again as an event, parses to the same objects.
func FuzzS3Event(f *testing.F) {
	f.Add([]byte(awsEvent))
	f.Add([]byte(minioEvent))
	f.Add([]byte(records(record("s3:ObjectRemoved:Delete", "b", "a/ü b+c%.mp4", 0))))
	f.Add([]byte(`{"Records":[{"s3":{"object":{"key":"%"}}}]}`))
	f.Add([]byte(`{"Records":null}`))
	f.Add([]byte(`{"records":[{}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		objs, err := parseS3Event(body)
		if err != nil {
			return
		}
		if len(objs) == 0 || len(objs) > maxHookRecords {
			t.Fatalf("%d objects without an error", len(objs))
		}
		var recs []string
		for _, o := range objs {
			if o.Size < 0 {
				t.Fatalf("object %+v", o)
			}
			// MinIO's spelling: parsing drops one "s3:".
			b, _ := json.Marshal(map[string]any{"eventName": "s3:" + o.Event, "s3": map[string]any{
				"bucket": map[string]any{"name": o.Bucket},
				"object": map[string]any{"key": url.QueryEscape(o.Key), "size": o.Size, "contentType": o.ContentType},
			}})
			recs = append(recs, string(b))
		}
		again, err := parseS3Event([]byte(records(recs...)))
		if err != nil || !reflect.DeepEqual(again, objs) {
			t.Fatalf("re-encoded event parses to %+v, %v; want %+v", again, err, objs)
		}
	})
}

// A file copied straight into the bucket gets a video, once, whatever
// the number of events; the real store's size and unique originals count.
func TestS3EventEndToEnd(t *testing.T) {
	t.Parallel()
	srv, originals, videos, jobs := realStores(t)
	ctx := context.Background()
	content := strings.Repeat("not really a film ", 100)
	_, err := srv.Client().PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String("media"), Key: aws.String("originals/inbox/my film.MOV"), Body: strings.NewReader(content),
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Videos: videos, Originals: originals, MaxUploadSize: 1 << 30, Logger: slog.New(slog.DiscardHandler)}
	s.Handler()
	h := s.S3EventHandler(HookConfig{Secret: "s3cret", Bucket: originals.Bucket(), Prefix: originals.Prefix()})
	event := records(record("ObjectCreated:Put", "media", "originals/inbox/my film.MOV", 12))

	code, out := do(t, h, "POST", "/api/hooks/s3", event, "Authorization", "Bearer s3cret")
	created, _ := out["created"].([]any)
	if code != http.StatusOK || len(created) != 1 {
		t.Fatalf("status %d: %v", code, out)
	}
	v, err := videos.Video(ctx, created[0].(string))
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != reel.StatusQueued || v.OriginalKey != "inbox/my film.MOV" || v.Size != int64(len(content)) ||
		v.Title != "my film" || v.JobID != 1 || !slices.Equal(jobs(), []string{v.ID}) {
		t.Errorf("video %+v, jobs %v", v, jobs())
	}

	code, out = do(t, h, "POST", "/api/hooks/s3", event, "Authorization", "Bearer s3cret")
	if code != http.StatusOK || out["skipped"] != 1.0 || len(jobs()) != 1 {
		t.Errorf("duplicate event: status %d, jobs %v: %v", code, jobs(), out)
	}
}
