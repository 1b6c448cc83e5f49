package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"reel"
	"reel/api"
	"reel/ffmpeg"
	"reel/mediatest"
)

// picture encodes a w×h picture with a gradient (so that it is not flat)
// as format ("jpeg" or "png").
func picture(t *testing.T, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stillFunc is a Stiller from a function.
type stillFunc func(ctx context.Context, input string, at float64) ([]byte, error)

func (f stillFunc) Still(ctx context.Context, input string, at float64) ([]byte, error) {
	return f(ctx, input, at)
}

// putPoster sends a poster and returns the status and the video answered.
func (e *authEnv) putPoster(id, key, ctype string, body []byte) (int, api.Video, []byte) {
	e.t.Helper()
	status, _, b := e.do(req{method: "PUT", path: "/api/videos/" + id + "/poster", key: key,
		header: map[string]string{"Content-Type": ctype}, body: bytes.NewReader(body)})
	var v api.Video
	if status == http.StatusOK {
		if err := json.Unmarshal(b, &v); err != nil {
			e.t.Fatal(err)
		}
	}
	return status, v, b
}

// outputFile reads a file of a video's outputs.
func (e *authEnv) outputFile(id, name string) ([]byte, error) {
	b, err := e.s.Outputs.Open(context.Background(), reel.OutputPrefix(id)+name)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return io.ReadAll(b)
}

// posterName is the file name a poster URL names.
func posterName(t *testing.T, v api.Video) string {
	t.Helper()
	if v.Playback == nil {
		t.Fatalf("video %s has no playback", v.ID)
	}
	u, err := url.Parse(v.Playback.PosterURL)
	if err != nil {
		t.Fatal(err)
	}
	return path.Base(u.Path)
}

// An owner's picture becomes the poster under a new name, re-encoded as a
// JPEG; a second replaces it and the first is deleted; the poster URL
// serves it.
func TestPosterPicture(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}).populate()
	id := e.video["alice-unlisted"]

	status, v, b := e.putPoster(id, "alice", "image/png", picture(t, "png", 320, 180))
	if status != http.StatusOK {
		t.Fatalf("PUT png poster: %d %s", status, b)
	}
	first := posterName(t, v)
	if !strings.HasPrefix(first, "poster-") || !strings.HasSuffix(first, ".jpg") {
		t.Fatalf("poster URL %s names %q, want a new poster-<id>.jpg", v.Playback.PosterURL, first)
	}
	stored, err := e.outputFile(id, first)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(stored)); err != nil || format != "jpeg" || cfg.Width != 320 || cfg.Height != 180 {
		t.Errorf("stored poster: %s %dx%d, %v; want a 320x180 JPEG", format, cfg.Width, cfg.Height, err)
	}

	// The URL serves it, as a JPEG, to anyone holding it.
	resp, err := http.Get(v.Playback.PosterURL)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || !bytes.Equal(served, stored) {
		t.Errorf("GET poster URL: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(served))
	}

	// An admin replaces it with a JPEG: a new name, the first one gone.
	status, v, b = e.putPoster(id, "admin", "image/jpeg", picture(t, "jpeg", 640, 360))
	if status != http.StatusOK {
		t.Fatalf("PUT jpeg poster: %d %s", status, b)
	}
	if second := posterName(t, v); second == first || !strings.HasPrefix(second, "poster-") {
		t.Errorf("second poster named %q, first %q", second, first)
	}
	if _, err := e.outputFile(id, first); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("replaced poster still stored: %v", err)
	}
	// GET answers the same poster.
	status, _, b = e.do(req{method: "GET", path: "/api/videos/" + id, key: "alice"})
	var got api.Video
	json.Unmarshal(b, &got)
	if status != http.StatusOK || posterName(t, got) != posterName(t, v) {
		t.Errorf("GET after the change names poster %q", posterName(t, got))
	}
}

// Who may change a poster, and when.
func TestPosterRules(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}).populate()
	pic := picture(t, "jpeg", 64, 64)
	for _, tt := range []struct {
		video, key string
		want       int
	}{
		{"alice-public", "", http.StatusUnauthorized},
		{"alice-public", "viewer", http.StatusForbidden},
		{"alice-public", "bob", http.StatusForbidden},
		{"alice-private", "bob", http.StatusNotFound},
		{"alice-private", "alice", http.StatusOK},
		{"bob-private", "admin", http.StatusOK},
	} {
		if status, _, b := e.putPoster(e.video[tt.video], tt.key, "image/jpeg", pic); status != tt.want {
			t.Errorf("%s by %q: %d, want %d: %s", tt.video, tt.key, status, tt.want, b)
		}
	}
	// Not ready yet: no poster to replace.
	processing := reel.StatusProcessing
	id := e.video["alice-public"]
	if _, err := e.store.UpdateVideo(context.Background(), id, reel.VideoUpdate{Status: &processing}); err != nil {
		t.Fatal(err)
	}
	if status, _, b := e.putPoster(id, "alice", "image/jpeg", pic); status != http.StatusConflict {
		t.Errorf("poster of a processing video: %d, want 409: %s", status, b)
	}
}

// Hostile and broken bodies are refused with a reason, and nothing is
// stored or changed.
func TestPosterRefused(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}).populate()
	id := e.video["alice-public"]
	good := picture(t, "png", 100, 100)
	huge := picture(t, "png", 5000, 20) // too wide, small file
	// A PNG whose header claims 100000x100000 pixels: refused before decoding.
	bomb := append([]byte(nil), good...)
	copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(bomb[29:33], crc32.ChecksumIEEE(bomb[12:29])) // the IHDR chunk's CRC
	for _, tt := range []struct {
		name, ctype string
		body        []byte
		want        int
		message     string
	}{
		{"text", "image/png", []byte("hello, not a picture"), 400, "not a JPEG or PNG"},
		{"empty", "image/jpeg", nil, 400, "not a JPEG or PNG"},
		{"type mismatch", "image/jpeg", good, 400, "png picture, not the image/jpeg"},
		{"too wide", "image/png", huge, 400, "at most 4096"},
		{"too small", "image/png", picture(t, "png", 8, 8), 400, "at least 16"},
		{"dimension bomb", "image/png", bomb, 400, "at most 4096"},
		{"truncated", "image/png", good[:len(good)/2], 400, "damaged or cut short"},
		{"too large", "image/jpeg", append(picture(t, "jpeg", 64, 64), make([]byte, maxPosterBody)...), 413, "larger than 10 MiB"},
		{"gif", "image/gif", good, 400, "image/jpeg or image/png"},
		{"no type", "", good, 400, "image/jpeg or image/png"},
		{"json no time", "application/json", []byte(`{}`), 400, "time"},
		{"json negative", "application/json", []byte(`{"time": -1}`), 400, "time must be"},
		{"json string", "application/json", []byte(`{"time": "1"}`), 400, "wrong type"},
		{"json unknown", "application/json", []byte(`{"time": 1, "x": 2}`), 400, "unknown field"},
	} {
		status, _, b := e.putPoster(id, "alice", tt.ctype, tt.body)
		if status != tt.want || !strings.Contains(string(b), tt.message) {
			t.Errorf("%s: %d %s, want %d with %q", tt.name, status, b, tt.want, tt.message)
		}
	}
	v, err := e.store.Video(context.Background(), id)
	if err != nil || v.Poster != "" {
		t.Errorf("after refused posters: %q, %v", v.Poster, err)
	}
}

// A poster by its time: the frame is taken from the original, within the
// video's duration; without ffmpeg the server says so.
func TestPosterTime(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	jpegFrame := picture(t, "jpeg", 32, 32)
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}, func(e *authEnv) {
		e.s.Frames = stillFunc(func(ctx context.Context, input string, at float64) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, input)
			if at == 7 {
				return nil, errors.New("ffmpeg broke")
			}
			return jpegFrame, nil
		})
	}).populate()
	id := e.video["alice-public"]
	ten := 10.0
	if _, err := e.store.UpdateVideo(context.Background(), id, reel.VideoUpdate{Duration: &ten}); err != nil {
		t.Fatal(err)
	}
	status, v, b := e.putPoster(id, "alice", "application/json", []byte(`{"time": 2.5}`))
	if status != http.StatusOK {
		t.Fatalf("poster at 2.5 s: %d %s", status, b)
	}
	chosen := posterName(t, v)
	if got, _ := e.outputFile(id, chosen); !bytes.Equal(got, jpegFrame) {
		t.Error("the stored poster is not the frame")
	}
	if len(asked) != 1 || !strings.HasSuffix(asked[0], reel.OriginalKey(id)) {
		t.Errorf("frames taken from %q, want the original", asked)
	}
	if status, _, b := e.putPoster(id, "alice", "application/json", []byte(`{"time": 10}`)); status != http.StatusBadRequest {
		t.Errorf("poster at the end: %d %s", status, b)
	}
	if status, _, b := e.putPoster(id, "alice", "application/json", []byte(`{"time": 7}`)); status != http.StatusInternalServerError {
		t.Errorf("poster when ffmpeg fails: %d %s", status, b)
	}
	if v, _ := e.store.Video(context.Background(), id); v.Poster != chosen {
		t.Errorf("poster %q after failed requests, want %q kept", v.Poster, chosen)
	}

	// No ffmpeg: 503 with a hint.
	e.s.Frames = nil
	if status, _, b := e.putPoster(id, "alice", "application/json", []byte(`{"time": 1}`)); status != http.StatusServiceUnavailable || !strings.Contains(string(b), "send a picture") {
		t.Errorf("poster by time without ffmpeg: %d %s", status, b)
	}
}

// With the real ffmpeg: the frame at a time of a real original.
func TestPosterTimeFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not on PATH")
	}
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}, func(e *authEnv) {
		e.s.Frames = &ffmpeg.Transcoder{}
	}).populate()
	id := e.video["alice-public"]
	clip := mediatest.Path(t, mediatest.Anamorphic)
	// The video's original becomes a real clip of 10 s.
	data, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.originals.Put(context.Background(), reel.OriginalKey(id), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	ten := 10.0
	e.store.UpdateVideo(context.Background(), id, reel.VideoUpdate{Duration: &ten})
	status, v, b := e.putPoster(id, "alice", "application/json", []byte(`{"time": 6}`))
	if status != http.StatusOK {
		t.Fatalf("poster at 6 s: %d %s", status, b)
	}
	stored, err := e.outputFile(id, posterName(t, v))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(stored)); err != nil || format != "jpeg" || cfg.Width != 426 || cfg.Height != 240 {
		t.Errorf("poster taken at 6 s: %s %dx%d, %v", format, cfg.Width, cfg.Height, err)
	}
}
