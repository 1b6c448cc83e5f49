package hls_test

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"

	"reel/hls"
)

func TestEncryptSegmentRoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{7}, hls.KeySize)
	for _, n := range []int{0, 1, 15, 16, 17, 1000} {
		plain := bytes.Repeat([]byte{byte(n)}, n)
		enc, err := hls.EncryptSegment(key, 42, plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(enc)%16 != 0 || len(enc) <= n {
			t.Fatalf("%d bytes encrypted to %d", n, len(enc))
		}
		got, err := hls.DecryptSegment(key, 42, enc)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("round trip of %d bytes: %v", n, err)
		}
		if _, err := hls.DecryptSegment(key, 43, enc); err == nil && n > 0 {
			if got, _ := hls.DecryptSegment(key, 43, enc); bytes.Equal(got, plain) {
				t.Fatalf("sequence 43 decrypted what sequence 42 encrypted")
			}
		}
	}
	if _, err := hls.EncryptSegment(key[:8], 0, nil); err == nil {
		t.Fatal("8-byte key accepted")
	}
}

// TestEncryptSegmentOpenSSL checks the encryption against openssl, as a
// player's AES-128 decryption would see it.
func TestEncryptSegmentOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	key := []byte("0123456789abcdef")
	plain := []byte(strings.Repeat("segment bytes ", 100))
	enc, err := hls.EncryptSegment(key, 5, plain)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(openssl, "enc", "-d", "-aes-128-cbc", "-K", hex.EncodeToString(key), "-iv", hex.EncodeToString(hls.SequenceIV(5)))
	cmd.Stdin = bytes.NewReader(enc)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	if !bytes.Equal(out, plain) {
		t.Fatal("openssl decrypted something else")
	}
	if want := "00000000000000000000000000000005"; hex.EncodeToString(hls.SequenceIV(5)) != want {
		t.Fatalf("IV of 5 = %x", hls.SequenceIV(5))
	}
}

func TestAddKey(t *testing.T) {
	const tag = `#EXT-X-KEY:METHOD=AES-128,URI="../enc.key"` + "\n"
	withMap := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:6.0,\nseg_00000.m4s\n"
	got := string(hls.AddKey([]byte(withMap), "../enc.key"))
	if want := strings.Replace(withMap, "init.mp4\"\n", "init.mp4\"\n"+tag, 1); got != want {
		t.Fatalf("with a map:\n%s", got)
	}
	if again := string(hls.AddKey([]byte(got), "../enc.key")); again != got {
		t.Fatalf("second AddKey changed the playlist:\n%s", again)
	}
	noMap := "#EXTM3U\n#EXTINF:6.0,\na.ts\n"
	if got := string(hls.AddKey([]byte(noMap), "k")); got != "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:6.0,\na.ts\n" {
		t.Fatalf("without a map:\n%s", got)
	}
	if got := string(hls.AddKey([]byte("#EXTM3U\n"), "k")); got != "#EXTM3U\n" {
		t.Fatalf("empty playlist got a key: %q", got)
	}
	p, err := hls.ParseMedia(hls.AddKey([]byte(withMap), "../enc.key"))
	if err != nil || len(p.Segments) != 1 || p.Map != "init.mp4" {
		t.Fatalf("keyed playlist parses to %+v, %v", p, err)
	}
}

func TestStripIFrames(t *testing.T) {
	master := "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n360p/index.m3u8\n#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI=\"360p/iframes.m3u8\"\n"
	if got := string(hls.StripIFrames([]byte(master))); got != "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n360p/index.m3u8\n" {
		t.Fatalf("got:\n%s", got)
	}
}
