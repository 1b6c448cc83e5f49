package tusclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// tusServer is a small in-memory tus 1.0 server (creation, HEAD, PATCH
// with sha256 checksums, termination) with faults to inject. Like a real
// one, it keeps nothing of a chunk that did not arrive whole with its
// checksum.
type tusServer struct {
	t  *testing.T
	mu sync.Mutex

	uploads  map[string]*upload
	next     int
	requests []string // "METHOD path"

	// fault, if set, may answer a request itself (returning true), after
	// the server has read nothing of its body.
	fault func(w http.ResponseWriter, r *http.Request, n int) bool
}

type upload struct {
	length int64
	data   []byte
	meta   string
}

func newTusServer(t *testing.T) (*tusServer, *httptest.Server) {
	s := &tusServer{t: t, uploads: map[string]*upload{}}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

func (s *tusServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	n := len(s.requests)
	fault := s.fault
	s.mu.Unlock()
	if r.Header.Get("Tus-Resumable") != Version {
		http.Error(w, "no Tus-Resumable", http.StatusPreconditionFailed)
		return
	}
	w.Header().Set("Tus-Resumable", Version)
	if fault != nil && fault(w, r, n) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPost && r.URL.Path == "/files/" {
		length, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
		if err != nil {
			http.Error(w, "bad length", http.StatusBadRequest)
			return
		}
		s.next++
		id := fmt.Sprintf("u%d", s.next)
		s.uploads[id] = &upload{length: length, meta: r.Header.Get("Upload-Metadata")}
		w.Header().Set("Location", "/files/"+id) // relative, as reel sends it
		w.WriteHeader(http.StatusCreated)
		return
	}
	up := s.uploads[strings.TrimPrefix(r.URL.Path, "/files/")]
	if up == nil {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodHead:
		w.Header().Set("Upload-Offset", strconv.Itoa(len(up.data)))
		w.Header().Set("Upload-Length", strconv.FormatInt(up.length, 10))
		w.WriteHeader(http.StatusOK)
	case http.MethodPatch:
		if off, _ := strconv.Atoi(r.Header.Get("Upload-Offset")); off != len(up.data) {
			http.Error(w, "offset mismatch", http.StatusConflict)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // cut off: keep nothing, the checksum cannot be checked
		}
		algo, sum, _ := strings.Cut(r.Header.Get("Upload-Checksum"), " ")
		got := sha256.Sum256(body)
		if algo != "sha256" || sum != base64.StdEncoding.EncodeToString(got[:]) {
			http.Error(w, "checksum mismatch", StatusChecksumMismatch)
			return
		}
		if int64(len(up.data)+len(body)) > up.length {
			http.Error(w, "too long", http.StatusRequestEntityTooLarge)
			return
		}
		up.data = append(up.data, body...)
		w.Header().Set("Upload-Offset", strconv.Itoa(len(up.data)))
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		delete(s.uploads, strings.TrimPrefix(r.URL.Path, "/files/"))
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (s *tusServer) data(id string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.uploads[id].data)
}

func (s *tusServer) count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if strings.HasPrefix(r, method+" ") {
			n++
		}
	}
	return n
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// fast retries without waiting, for tests.
func fast(int) time.Duration { return time.Millisecond }

func TestUploadInChunks(t *testing.T) {
	srv, hs := newTusServer(t)
	c := &Client{Endpoint: hs.URL + "/files/", Header: http.Header{"Authorization": {"Bearer k"}}}
	src := random(t, 1000)
	loc, err := c.Create(context.Background(), int64(len(src)), map[string]string{"filename": "a,b.mp4", "title": "ünï"})
	if err != nil {
		t.Fatal(err)
	}
	if loc != hs.URL+"/files/u1" {
		t.Fatalf("Location resolved to %q", loc)
	}
	if got := srv.uploads["u1"].meta; got != "filename YSxiLm1wNA==,title w7xuw68=" {
		t.Errorf("Upload-Metadata %q", got)
	}
	var seen []int64
	u := &Uploader{Client: c, ChunkSize: 300, Progress: func(o int64) { seen = append(seen, o) }}
	if err := u.Resume(context.Background(), loc, bytes.NewReader(src), int64(len(src))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(srv.data("u1"), src) {
		t.Fatal("stored bytes differ")
	}
	if n := srv.count("PATCH"); n != 4 {
		t.Errorf("%d PATCHes for 1000 bytes in chunks of 300, want 4", n)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Errorf("progress went back without a failure: %v", seen)
		}
	}
	if last := seen[len(seen)-1]; last != 1000 {
		t.Errorf("last progress %d", last)
	}
	// Resuming a complete upload sends nothing more.
	if err := u.Resume(context.Background(), loc, bytes.NewReader(src), int64(len(src))); err != nil {
		t.Fatal(err)
	}
	if n := srv.count("PATCH"); n != 4 {
		t.Errorf("resuming a complete upload sent a PATCH")
	}
}

// TestResumeAfterCut cuts the connection in the middle of a chunk's body:
// the server keeps none of it, and the uploader resends it from the
// server's offset.
func TestResumeAfterCut(t *testing.T) {
	srv, hs := newTusServer(t)
	cuts := 0
	srv.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.Method != http.MethodPatch || r.Header.Get("Upload-Offset") != "4096" || cuts > 1 {
			return false
		}
		cuts++
		io.CopyN(io.Discard, r.Body, 1000)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return true
		}
		conn.Close() // mid-body, no answer
		return true
	}
	c := &Client{Endpoint: hs.URL + "/files/"}
	src := random(t, 10000)
	loc, err := c.Create(context.Background(), int64(len(src)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var retried []error
	var back bool
	var last int64
	u := &Uploader{Client: c, ChunkSize: 4096, Backoff: fast,
		Retrying: func(err error, _ time.Duration) { retried = append(retried, err) },
		Progress: func(o int64) {
			back = back || o < last
			last = o
		}}
	if err := u.Resume(context.Background(), loc, bytes.NewReader(src), int64(len(src))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(srv.data("u1"), src) {
		t.Fatal("stored bytes differ")
	}
	if cuts != 2 || len(retried) != 2 {
		t.Errorf("cuts %d, retries %d (%v), want 2 each", cuts, len(retried), retried)
	}
	if !back {
		t.Error("progress never went back to the server's offset after a lost chunk")
	}
	if n := srv.count("HEAD"); n != 3 {
		t.Errorf("%d HEADs, want one at the start and one after each cut", n)
	}
}

func TestRetryServerErrors(t *testing.T) {
	srv, hs := newTusServer(t)
	statuses := []int{http.StatusServiceUnavailable, http.StatusLocked, StatusChecksumMismatch, http.StatusConflict}
	srv.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.Method != http.MethodPatch || len(statuses) == 0 {
			return false
		}
		w.WriteHeader(statuses[0])
		statuses = statuses[1:]
		return true
	}
	c := &Client{Endpoint: hs.URL + "/files/"}
	src := random(t, 100)
	loc, _ := c.Create(context.Background(), 100, nil)
	var waits []time.Duration
	u := &Uploader{Client: c, Backoff: fast, Retrying: func(_ error, d time.Duration) { waits = append(waits, d) }}
	if err := u.Resume(context.Background(), loc, bytes.NewReader(src), 100); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 4 || !bytes.Equal(srv.data("u1"), src) {
		t.Errorf("%d retries, stored %d bytes", len(waits), len(srv.data("u1")))
	}
}

func TestGiveUp(t *testing.T) {
	srv, hs := newTusServer(t)
	c := &Client{Endpoint: hs.URL + "/files/"}
	loc, _ := c.Create(context.Background(), 10, nil)
	src := bytes.NewReader(make([]byte, 10))

	t.Run("permanent", func(t *testing.T) {
		srv.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":{"code":"forbidden","message":"This key may not upload."}}`)
			return true
		}
		err := (&Uploader{Client: c, Backoff: fast}).Resume(context.Background(), loc, src, 10)
		var se *StatusError
		if !errors.As(err, &se) || se.Status != http.StatusForbidden || Temporary(err) {
			t.Errorf("403: %v", err)
		}
		// reel's JSON error comes down to its sentence.
		_, err = c.Create(context.Background(), 10, nil)
		if !errors.As(err, &se) || se.Body != "This key may not upload." {
			t.Errorf("403 on POST: %v", err)
		}
	})
	t.Run("too many retries", func(t *testing.T) {
		before := srv.count("HEAD")
		srv.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		err := (&Uploader{Client: c, Backoff: fast, MaxRetries: 3}).Resume(context.Background(), loc, src, 10)
		if !Temporary(err) || srv.count("HEAD")-before != 4 {
			t.Errorf("after %d HEADs: %v", srv.count("HEAD")-before, err)
		}
	})
	t.Run("gone", func(t *testing.T) {
		srv.fault = nil
		err := (&Uploader{Client: c, Backoff: fast}).Resume(context.Background(), hs.URL+"/files/nope", src, 10)
		if !errors.Is(err, ErrGone) {
			t.Errorf("unknown upload: %v", err)
		}
	})
	t.Run("length differs", func(t *testing.T) {
		err := (&Uploader{Client: c, Backoff: fast}).Resume(context.Background(), loc, bytes.NewReader(make([]byte, 11)), 11)
		if err == nil || !strings.Contains(err.Error(), "changed") {
			t.Errorf("file grew: %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		srv.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := (&Uploader{Client: c}).Resume(ctx, loc, src, 10) // default backoff: 1s
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("cancelled: %v", err)
		}
	})
}

func TestTerminate(t *testing.T) {
	srv, hs := newTusServer(t)
	c := &Client{Endpoint: hs.URL + "/files/"}
	loc, _ := c.Create(context.Background(), 10, nil)
	if err := c.Terminate(context.Background(), loc); err != nil {
		t.Fatal(err)
	}
	if len(srv.uploads) != 0 {
		t.Error("upload still there")
	}
	if _, _, err := c.Offset(context.Background(), loc); !errors.Is(err, ErrGone) {
		t.Errorf("HEAD after DELETE: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

// A 429's Retry-After is the wait before the retry, on PATCH and on POST,
// and 429s do not use up the retries meant for failures: twelve in a row
// pass where MaxRetries is 2.
func TestRateLimitedRetryAfter(t *testing.T) {
	srv, hs := newTusServer(t)
	limited := map[string]int{http.MethodPost: 12, http.MethodPatch: 12}
	srv.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if limited[r.Method] == 0 {
			return false
		}
		limited[r.Method]--
		w.Header().Set("Retry-After", "0")
		if r.Method == http.MethodPost {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	}
	var waits []time.Duration
	u := &Uploader{Client: &Client{Endpoint: hs.URL + "/files/"}, Backoff: fast, MaxRetries: 2,
		Retrying: func(_ error, d time.Duration) { waits = append(waits, d) }}
	limited[http.MethodPost] = 1 // one 429 of 1 s is enough to check the wait
	loc, err := u.Create(context.Background(), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] != time.Second {
		t.Errorf("POST waits %v, want the 1 s of Retry-After", waits)
	}
	waits = nil
	src := random(t, 100)
	if err := u.Resume(context.Background(), loc, bytes.NewReader(src), 100); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 12 || !bytes.Equal(srv.data("u1"), src) {
		t.Errorf("%d waits (%v), stored %d bytes", len(waits), waits, len(srv.data("u1")))
	}
	if srv.count("POST") != 2 {
		t.Errorf("%d POSTs, want 2", srv.count("POST"))
	}
}

// Create retries only what proves no upload was made: after a 500 the
// upload may exist, and a retry could make a second video.
func TestCreateDoesNotRetryFailures(t *testing.T) {
	srv, hs := newTusServer(t)
	srv.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.WriteHeader(http.StatusInternalServerError)
		return true
	}
	u := &Uploader{Client: &Client{Endpoint: hs.URL + "/files/"}, Backoff: fast}
	if _, err := u.Create(context.Background(), 100, nil); err == nil {
		t.Fatal("created")
	}
	if srv.count("POST") != 1 {
		t.Errorf("a 500 after which the upload may exist was retried: %d POSTs", srv.count("POST"))
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "7": 7 * time.Second, "-3": 0, "soon": 0, "99999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

// Any Retry-After header gives a wait from none to a day.
func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, v := range []string{"", "7", "-1", "Fri, 02 Jan 2026 03:05:00 GMT", "9999999999999999999999", " 3 "} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d := retryAfter(v, now); d < 0 || d > 24*time.Hour {
			t.Errorf("retryAfter(%q) = %v", v, d)
		}
	})
}
