package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/hls"
	"reel/mediatest"
)

// TestEncryptedPlayback transcodes a clip with --encrypt, and one asked
// for encrypted at upload, and plays each as a player would: the variant
// playlist names the key under the signed prefix, the key comes only with
// a valid token and is never cached by a shared cache, every segment
// decrypts with it, and ffmpeg, reading the master playlist over HTTP as an
// HLS client, decodes the whole stream. A video not asked for encrypted
// stays in the clear.
func TestEncryptedPlayback(t *testing.T) {
	src := mediatest.Path(t, mediatest.AudioFirst)
	clip, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("every video", func(t *testing.T) {
		s := startServer(t, "--encrypt")
		status, v, e := s.upload(src, "encrypted")
		if status != http.StatusCreated {
			t.Fatalf("upload: %d %+v", status, e)
		}
		checkEncrypted(t, s, v.ID)
	})
	t.Run("asked at upload", func(t *testing.T) {
		s := startServer(t)
		body, ctype := multipartBody(t, "clip.mp4", [2]string{"encrypt", "true"}, [2]string{"file", string(clip)})
		status, v, e := s.post(body, ctype)
		if status != http.StatusCreated {
			t.Fatalf("upload: %d %+v", status, e)
		}
		checkEncrypted(t, s, v.ID)

		status, v, e = s.upload(src, "clear")
		if status != http.StatusCreated {
			t.Fatalf("upload: %d %+v", status, e)
		}
		v = s.waitFinal(v.ID, 3*time.Minute)
		if v.Playback == nil {
			t.Fatalf("clear video %s: %s", v.Status, v.Error)
		}
		resp, master := s.get(v.Playback.URL)
		mustStatus(t, "clear master", resp, master, http.StatusOK)
		variants, _ := uris(string(master))
		resp, playlist := s.get(strings.TrimSuffix(v.Playback.URL, reel.MasterPlaylist) + variants[0])
		if bytes.Contains(playlist, []byte("#EXT-X-KEY")) || !bytes.Contains(master, []byte("I-FRAME")) || encryptedField(t, s, v.ID) {
			t.Errorf("a video not asked for encrypted is encrypted:\n%s", playlist)
		}
		body, ctype = multipartBody(t, "clip.mp4", [2]string{"encrypt", "maybe"}, [2]string{"file", string(clip)})
		if status, _, _ := s.post(body, ctype); status != http.StatusBadRequest {
			t.Errorf("encrypt=maybe: %d", status)
		}
	})
}

// encryptedField returns the video's "encrypted" as the API says it.
func encryptedField(t *testing.T, s *server, id string) bool {
	t.Helper()
	resp, body := s.get(s.url + "/api/videos/" + id)
	var v struct{ Encrypted bool }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &v) != nil {
		t.Fatalf("GET video: %d %s", resp.StatusCode, body)
	}
	return v.Encrypted
}

// checkEncrypted waits for the video and plays it as an encrypted stream.
func checkEncrypted(t *testing.T, s *server, id string) {
	t.Helper()
	v := s.waitFinal(id, 3*time.Minute)
	if v.Status != "ready" || v.Playback == nil {
		t.Fatalf("video %s: %s", v.Status, v.Error)
	}
	if !encryptedField(t, s, id) {
		t.Error(`video JSON says "encrypted": false`)
	}
	base := strings.TrimSuffix(v.Playback.URL, reel.MasterPlaylist)

	resp, master := s.get(v.Playback.URL)
	mustStatus(t, "master", resp, master, http.StatusOK)
	if bytes.Contains(master, []byte("I-FRAME")) {
		t.Errorf("encrypted master lists I-frame playlists:\n%s", master)
	}
	variants, _ := uris(string(master))
	if len(variants) == 0 {
		t.Fatalf("master without variants:\n%s", master)
	}
	resp, keyBytes := s.get(base + "enc.key")
	mustStatus(t, "key", resp, keyBytes, http.StatusOK)
	if len(keyBytes) != hls.KeySize || resp.Header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("key: %d bytes, Cache-Control %q", len(keyBytes), resp.Header.Get("Cache-Control"))
	}
	tampered := strings.Replace(base, "/play/", "/play/x", 1)
	resp, body := s.get(tampered + "enc.key")
	mustStatus(t, "key with a bad token", resp, body, http.StatusForbidden)

	variantURL := base + variants[0]
	resp, playlist := s.get(variantURL)
	mustStatus(t, "variant", resp, playlist, http.StatusOK)
	if !bytes.Contains(playlist, []byte(`#EXT-X-KEY:METHOD=AES-128,URI="../enc.key"`)) {
		t.Fatalf("variant playlist has no key:\n%s", playlist)
	}
	segs, mapURI := uris(string(playlist))
	dir := strings.TrimSuffix(variantURL, reel.MediaPlaylist)
	resp, clear := s.get(dir + mapURI)
	mustStatus(t, "init", resp, clear, http.StatusOK)
	for i, seg := range segs {
		resp, enc := s.get(dir + seg)
		mustStatus(t, seg, resp, enc, http.StatusOK)
		plain, err := hls.DecryptSegment(keyBytes, int64(i), enc)
		if err != nil {
			t.Fatalf("%s: %v", seg, err)
		}
		clear = append(clear, plain...)
	}
	joined := filepath.Join(t.TempDir(), "joined.mp4")
	if err := os.WriteFile(joined, clear, 0o644); err != nil {
		t.Fatal(err)
	}
	if p := ffprobe(t, joined); p.duration() < 7 {
		t.Errorf("decrypted rendition lasts %.2fs", p.duration())
	}

	// The audio rendition is encrypted too.
	if audio := mediaURIs(string(master)); len(audio) == 1 {
		resp, playlist := s.get(base + audio[0])
		mustStatus(t, "audio", resp, playlist, http.StatusOK)
		if !bytes.Contains(playlist, []byte(`#EXT-X-KEY:METHOD=AES-128,URI="../enc.key"`)) {
			t.Errorf("audio playlist has no key:\n%s", playlist)
		}
	}

	// ffmpeg as the player: it fetches the key by the playlist's URI, for
	// the video and the audio rendition alike.
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", v.Playback.URL, "-map", "0:v:0", "-map", "0:a:0?", "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("ffmpeg playing the encrypted stream: %v\n%s", err, out)
	}
}
