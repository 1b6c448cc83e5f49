package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel/hls"
)

// TestEncryptedPlayback transcodes a clip with --encrypt and plays it as
// a player would: the variant playlist names the key under the signed
// prefix, the key comes only with a valid token and is never cached by a
// shared cache, every segment decrypts with it, and ffmpeg, reading the
// master playlist over HTTP as an HLS client, decodes the whole stream.
func TestEncryptedPlayback(t *testing.T) {
	s := startServer(t, "--encrypt")
	src := filepath.Join(mediaDir, "prog_8s.mp4")
	status, v, e := s.upload(src, "encrypted")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	v = s.waitFinal(v.ID, 3*time.Minute)
	if v.Status != "ready" || v.Playback == nil {
		t.Fatalf("video %s: %s", v.Status, v.Error)
	}
	base := strings.TrimSuffix(v.Playback.URL, "master.m3u8")

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
	dir := strings.TrimSuffix(variantURL, "index.m3u8")
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

	// ffmpeg as the player: it fetches the key by the playlist's URI.
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", v.Playback.URL, "-map", "0:v:0", "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("ffmpeg playing the encrypted stream: %v\n%s", err, out)
	}
}
