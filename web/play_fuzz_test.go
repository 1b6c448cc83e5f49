package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"reel/disk"
	"reel/token"
)

// FuzzPlayRange sends arbitrary Range headers to /play/ over a segment
// file on disk (the sendfile path) and over a playlist (served from
// memory): the status is 200, 206 or 416, and every body is the file's
// bytes at the range announced.
func FuzzPlayRange(f *testing.F) {
	dir := f.TempDir()
	store, err := disk.New(dir)
	if err != nil {
		f.Fatal(err)
	}
	file := make([]byte, 10_000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range file {
		file[i] = byte(rng.Uint32())
	}
	if _, err := store.Put(context.Background(), attackVideo+"/v0/seg1.m4s", bytes.NewReader(file)); err != nil {
		f.Fatal(err)
	}
	var pl bytes.Buffer
	pl.WriteString("#EXTM3U\n#EXT-X-TARGETDURATION:6\n")
	for i := range 100 {
		fmt.Fprintf(&pl, "#EXTINF:6.0,\nseg%d.m4s\n", i)
	}
	pl.WriteString("#EXT-X-ENDLIST\n")
	playlist := pl.Bytes()
	if _, err := store.Put(context.Background(), attackVideo+"/v0/index.m3u8", bytes.NewReader(playlist)); err != nil {
		f.Fatal(err)
	}
	signer, _ := token.New(bytes.Repeat([]byte{1}, 32))
	s := &Server{Outputs: store, Signer: signer, AllowOrigin: "*", Now: func() time.Time { return attackNow }}
	h := s.Handler()
	prefix := "/play/" + signer.Sign(attackVideo, attackNow.Add(time.Hour)) + "/" + attackVideo + "/v0/"

	for _, seed := range []string{"", "bytes=0-0", "bytes=0-", "bytes=-1", "bytes=9999-", "bytes=10000-",
		"bytes=5-2", "bytes=0-1,5-9", "bytes=0-99999999999999999999", "bytes=-0", "items=0-1", "bytes= 1 - 2 ,,3-4",
		"bytes=" + strings.Repeat("0-0,", 40) + "1-1", "bytes=" + strings.Repeat("0-,", 3) + "-1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rangeHeader string) {
		checkRange(t, h, prefix+"seg1.m4s", rangeHeader, file)
		checkRange(t, h, prefix+"index.m3u8", rangeHeader, playlist)
	})
}

// checkRange gets target with rangeHeader and checks the answer against file.
func checkRange(t *testing.T, h http.Handler, target, rangeHeader string, file []byte) {
	t.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Header["Range"] = []string{rangeHeader}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body := w.Body.Bytes()
	if len(body) > len(file)+maxRangesOverhead {
		t.Fatalf("Range %q: %d bytes for a file of %d", rangeHeader, len(body), len(file))
	}
	switch w.Code {
	case http.StatusOK:
		if !bytes.Equal(body, file) {
			t.Fatalf("Range %q: 200 with %d bytes, not the file", rangeHeader, len(body))
		}
	case http.StatusPartialContent:
		checkPartial(t, rangeHeader, w.Header(), body, file)
	case http.StatusRequestedRangeNotSatisfiable:
		// A malformed header gets ServeContent's 416 with no Content-Range.
		if got := w.Header().Get("Content-Range"); got != "" && got != "bytes */"+strconv.Itoa(len(file)) {
			t.Fatalf("Range %q: 416 with Content-Range %q", rangeHeader, got)
		}
	default:
		t.Fatalf("Range %q: status %d", rangeHeader, w.Code)
	}
}

// checkPartial checks a 206 body, one range or multipart/byteranges.
func checkPartial(t *testing.T, rangeHeader string, h http.Header, body, file []byte) {
	t.Helper()
	mediatype, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mediatype != "multipart/byteranges" {
		checkPart(t, rangeHeader, h.Get("Content-Range"), body, file)
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	parts := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("Range %q: multipart: %v", rangeHeader, err)
		}
		b, _ := io.ReadAll(p)
		checkPart(t, rangeHeader, p.Header.Get("Content-Range"), b, file)
		parts++
	}
	if parts < 2 {
		t.Fatalf("Range %q: multipart/byteranges with %d parts", rangeHeader, parts)
	}
}

func checkPart(t *testing.T, rangeHeader, contentRange string, body, file []byte) {
	t.Helper()
	spec, ok := strings.CutPrefix(contentRange, "bytes ")
	first, rest, ok2 := strings.Cut(spec, "-")
	last, size, ok3 := strings.Cut(rest, "/")
	start, err1 := strconv.Atoi(first)
	end, err2 := strconv.Atoi(last)
	if !ok || !ok2 || !ok3 || err1 != nil || err2 != nil || size != strconv.Itoa(len(file)) ||
		start < 0 || end < start || end >= len(file) {
		t.Fatalf("Range %q: Content-Range %q", rangeHeader, contentRange)
	}
	if !bytes.Equal(body, file[start:end+1]) {
		t.Fatalf("Range %q: body of %q is not the file's bytes %d-%d", rangeHeader, contentRange, start, end)
	}
}
