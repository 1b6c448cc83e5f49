package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/disk"
	"reel/token"
)

// BenchmarkPlayPlaylist measures the whole handler serving a cached media
// playlist, as a player's polling or a CDN's revalidation hits it.
func BenchmarkPlayPlaylist(b *testing.B) {
	h, url := playlistServer(b)
	req := httptest.NewRequest("GET", url, nil)
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return io.Discard.Write(p)
}
func (w *discardWriter) WriteHeader(code int) { w.status = code }

// playlistServer serves a 600-segment VOD media playlist from disk and
// returns the handler and the playlist's signed path.
func playlistServer(tb testing.TB) (http.Handler, string) {
	store, err := disk.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	id := reel.NewID()
	var pl strings.Builder
	pl.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI=\"init.mp4\"\n")
	for i := range 600 {
		fmt.Fprintf(&pl, "#EXTINF:6.000000,\nseg_%05d.m4s\n", i)
	}
	pl.WriteString("#EXT-X-ENDLIST\n")
	if _, err := store.Put(context.Background(), reel.OutputPrefix(id)+"360p/index.m3u8", strings.NewReader(pl.String())); err != nil {
		tb.Fatal(err)
	}
	signer, _ := token.New([]byte(strings.Repeat("k", 32)))
	// As in reel serve, /play/ also checks the video's state (revoke.go),
	// cached: the store answers once per few seconds.
	videos := &videoFuncs{video: func(context.Context, string) (*reel.Video, error) {
		return &reel.Video{ID: id, Visibility: reel.VisibilityUnlisted}, nil
	}}
	s := &Server{Videos: videos, Outputs: store, Signer: signer, AllowOrigin: "*", PlaybackTTL: time.Hour, Logger: slog.New(slog.DiscardHandler)}
	h := s.Handler()
	url := "/play/" + signer.Sign(id, time.Now().Add(time.Hour)) + "/" + id + "/360p/index.m3u8"
	return h, url
}

// The plain GET of a playlist and its conditional and Range forms answer
// the same bytes and validators.
func TestPlaylistPlainAndConditional(t *testing.T) {
	h, url := playlistServer(t)
	get := func(header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", url, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	full := get()
	lastMod := full.Header().Get("Last-Modified")
	if full.Code != 200 || lastMod == "" || full.Header().Get("Content-Length") != fmt.Sprint(full.Body.Len()) ||
		!strings.HasSuffix(full.Body.String(), "#EXT-X-ENDLIST\n") || full.Header().Get("Accept-Ranges") != "bytes" {
		t.Fatalf("plain GET: %d %v", full.Code, full.Header())
	}
	if w := get("If-Modified-Since", lastMod); w.Code != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d", w.Code)
	}
	if w := get("Range", "bytes=0-6"); w.Code != http.StatusPartialContent || w.Body.String() != "#EXTM3U" {
		t.Errorf("Range: %d %q", w.Code, w.Body.String())
	}
	if w := get("Accept-Encoding", "gzip"); w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" || w.Body.Len() >= full.Body.Len() {
		t.Errorf("gzip: %d %v", w.Code, w.Header())
	}
}
