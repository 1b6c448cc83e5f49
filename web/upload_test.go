package web

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"testing/iotest"

	"reel"
	"reel/disk"
)

// videoStoreFake is a func-field fake: only CreateVideo is used by uploads.
type videoStoreFake struct {
	reel.VideoStore
	create func(ctx context.Context, v *reel.Video) error
}

func (f videoStoreFake) CreateVideo(ctx context.Context, v *reel.Video) error {
	return f.create(ctx, v)
}

func uploadServer(t testing.TB, max int64) (*Server, *disk.Store, *[]*reel.Video) {
	originals, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var created []*reel.Video
	s := &Server{
		Videos:        videoStoreFake{create: func(_ context.Context, v *reel.Video) error { created = append(created, v); return nil }},
		Originals:     originals,
		MaxUploadSize: max,
		Logger:        slog.New(slog.DiscardHandler),
	}
	s.Handler()
	return s, originals, &created
}

func TestLimitReader(t *testing.T) {
	for _, tt := range []struct {
		size, limit int64
		tooLarge    bool
	}{{10, 10, false}, {11, 10, true}, {0, 10, false}, {1 << 20, 1<<20 - 1, true}} {
		r := &limitReader{r: iotest.HalfReader(bytes.NewReader(make([]byte, tt.size))), n: tt.limit}
		n, err := io.Copy(io.Discard, r)
		if got := err == errTooLarge; got != tt.tooLarge {
			t.Errorf("size %d limit %d: read %d, err %v", tt.size, tt.limit, n, err)
		}
		if !tt.tooLarge && n != tt.size {
			t.Errorf("size %d limit %d: read %d bytes", tt.size, tt.limit, n)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"gzip": true, "deflate, gzip;q=0.8": true, "GZIP": true, "gzip;q=0": false, "br": false, "": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", h)
		if got := acceptsGzip(r); got != want {
			t.Errorf("acceptsGzip(%q) = %v", h, got)
		}
	}
}

func TestValidFile(t *testing.T) {
	for f, want := range map[string]bool{
		"master.m3u8": true, "720p/seg_00001.m4s": true, "../x.m3u8": false, "a//b.mp4": false,
		".hidden.mp4": false, "a/./b.mp4": false, "sp ace.mp4": false, "": false,
	} {
		if got := validFile(f); got != want {
			t.Errorf("validFile(%q) = %v", f, got)
		}
	}
}

// FuzzUpload feeds arbitrary bodies to the upload handler: it must never
// answer 5xx, and it keeps an original exactly when it answers 201.
func FuzzUpload(f *testing.F) {
	form := func(fields ...string) []byte {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.SetBoundary("B")
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "file" {
				w, _ := mw.CreateFormFile("file", "a.mp4")
				io.WriteString(w, fields[i+1])
			} else {
				mw.WriteField(fields[i], fields[i+1])
			}
		}
		mw.Close()
		return buf.Bytes()
	}
	f.Add(form("title", "t", "file", "data"))
	f.Add(form("file", "data", "title", "after"))
	f.Add(form("file", ""))
	f.Add(form("title", "no file"))
	f.Add(form("file", "a", "file", "b"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\ntruncated"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, originals, created := uploadServer(t, 64)
		r := httptest.NewRequest("POST", "/api/videos", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		w := httptest.NewRecorder()
		s.handleUpload(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var kept []string
		for _, v := range *created {
			if b, err := originals.Open(context.Background(), v.OriginalKey); err == nil {
				b.Close()
				kept = append(kept, v.ID)
			}
		}
		if w.Code == http.StatusCreated && (len(*created) != 1 || len(kept) != 1) {
			t.Fatalf("201 with %d videos and %d originals", len(*created), len(kept))
		}
		if w.Code != http.StatusCreated {
			if len(*created) != 0 {
				t.Fatalf("status %d but a video was created", w.Code)
			}
			filepath.WalkDir(originals.Root(), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					t.Fatalf("status %d but %s was left in the store", w.Code, p)
				}
				return nil
			})
		}
	})
}
