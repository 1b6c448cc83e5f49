package web

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reel"
	"reel/nginx"
	"reel/token"
)

// countingStore is an in-memory outputs store that counts Open calls, so
// tests can tell that a refused request touched no storage.
type countingStore struct {
	reel.BlobStore // only Open is used by /play/
	files          map[string][]byte
	opens          atomic.Int64
}

func (c *countingStore) Open(ctx context.Context, key string) (reel.Blob, error) {
	c.opens.Add(1)
	b, ok := c.files[key]
	if !ok {
		return nil, reel.Errorf(reel.ENOTFOUND, "no blob %q", key)
	}
	return memBlob{bytes.NewReader(b)}, nil
}

type memBlob struct{ *bytes.Reader }

func (memBlob) Close() error       { return nil }
func (m memBlob) Size() int64      { return m.Reader.Size() }
func (memBlob) ModTime() time.Time { return time.Unix(1_700_000_000, 0) }

const attackVideo = "abcdefghijklmnop"

// attackNow is the fixed clock of these tests.
var attackNow = time.Unix(1_800_000_000, 0)

func attackKey(id string, fill byte) reel.SigningKey {
	return reel.SigningKey{ID: id, Secret: bytes.Repeat([]byte{'a' + fill}, 32)}
}

// playServer serves /play/ with signer over a store holding one video.
func playServer(t testing.TB, signer reel.Signer) (http.Handler, *countingStore) {
	store := &countingStore{files: map[string][]byte{
		attackVideo + "/master.m3u8":    []byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv0/index.m3u8\n"),
		attackVideo + "/v0/index.m3u8":  []byte("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:6,\nseg1.m4s\n#EXT-X-ENDLIST\n"),
		attackVideo + "/v0/seg1.m4s":    bytes.Repeat([]byte("segment"), 1000),
		"etc/passwd":                    []byte("root:x:0:0"),
		attackVideo + "/../etc/passwd":  []byte("root:x:0:0"),
		"bbbbbbbbbbbbbbbb/v0/seg1.m4s":  []byte("other"),
		attackVideo + "/v0/../seg1.m4s": []byte("x"),
	}}
	s := &Server{Outputs: store, Signer: signer, AllowOrigin: "*", Now: func() time.Time { return attackNow }}
	return s.Handler(), store
}

func get(h http.Handler, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
	return w
}

// schemes are the path-token signers, each with a signer before and after
// a key rotation.
func schemes(t *testing.T) map[string][2]reel.Signer {
	reelOld, err := token.NewKeys(attackKey("k1", 1))
	if err != nil {
		t.Fatal(err)
	}
	reelNew, _ := token.NewKeys(attackKey("k2", 2), attackKey("k1", 1))
	nginxOld, err := nginx.New(attackKey("k1", 1))
	if err != nil {
		t.Fatal(err)
	}
	nginxNew, _ := nginx.New(attackKey("k2", 2), attackKey("k1", 1))
	return map[string][2]reel.Signer{"reel": {reelOld, reelNew}, "nginx": {nginxOld, nginxNew}}
}

func TestPlayTamperedToken(t *testing.T) {
	for name, s := range schemes(t) {
		t.Run(name, func(t *testing.T) {
			h, store := playServer(t, s[0])
			valid := s[0].Sign(attackVideo, attackNow.Add(time.Hour))
			if w := get(h, "/play/"+valid+"/"+attackVideo+"/v0/seg1.m4s"); w.Code != 200 {
				t.Fatalf("valid token: %d %s", w.Code, w.Body)
			}
			store.opens.Store(0)
			// Every byte changed, to characters a token may and may not hold.
			for i := range valid {
				for _, c := range "aZ09-_.,~!" {
					if byte(c) == valid[i] {
						continue
					}
					tok := valid[:i] + string(c) + valid[i+1:]
					if w := get(h, "/play/"+tok+"/"+attackVideo+"/v0/seg1.m4s"); w.Code != http.StatusForbidden {
						t.Fatalf("token %q (byte %d changed): %d, want 403", tok, i, w.Code)
					}
				}
			}
			if n := store.opens.Load(); n != 0 {
				t.Errorf("tampered tokens opened %d blobs", n)
			}
		})
	}
}

func TestPlayOtherVideoAndExpired(t *testing.T) {
	for name, s := range schemes(t) {
		t.Run(name, func(t *testing.T) {
			h, store := playServer(t, s[0])
			other := s[0].Sign("bbbbbbbbbbbbbbbb", attackNow.Add(time.Hour))
			if w := get(h, "/play/"+other+"/"+attackVideo+"/v0/seg1.m4s"); w.Code != http.StatusForbidden {
				t.Errorf("another video's token: %d, want 403", w.Code)
			}
			expired := s[0].Sign(attackVideo, attackNow.Add(-time.Second))
			if w := get(h, "/play/"+expired+"/"+attackVideo+"/v0/seg1.m4s"); w.Code != http.StatusGone {
				t.Errorf("expired token: %d, want 410", w.Code)
			}
			if n := store.opens.Load(); n != 0 {
				t.Errorf("refused requests opened %d blobs", n)
			}
		})
	}
}

func TestPlayTraversal(t *testing.T) {
	for name, s := range schemes(t) {
		t.Run(name, func(t *testing.T) {
			h, store := playServer(t, s[0])
			tok := s[0].Sign(attackVideo, attackNow.Add(time.Hour))
			base := "/play/" + tok + "/" + attackVideo + "/"
			targets := []string{
				base + "../../etc/passwd",
				base + "v0/../seg1.m4s",
				base + "%2e%2e/%2e%2e/etc/passwd",
				base + "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
				base + "..%2fetc%2fpasswd.m4s",
				base + "v0%2f..%2f..%2fbbbbbbbbbbbbbbbb%2fv0%2fseg1.m4s",
				base + "v0//seg1.m4s",
				base + "/v0/seg1.m4s",
				"/play/" + tok + "//" + attackVideo + "/v0/seg1.m4s",
				base + "v0/seg1.m4s%00",
				base + "v0/seg1%00.m4s",
				base + "v0/%00/seg1.m4s",
				base + ".hidden.m4s",
				base + "v0/.%2e/seg1.m4s",
				base + "v0\\..\\seg1.m4s",
				// Tokens genuinely signed for ids that are paths.
				"/play/" + s[0].Sign("..", attackNow.Add(time.Hour)) + "/%2e%2e/etc/passwd",
				"/play/" + s[0].Sign("../etc", attackNow.Add(time.Hour)) + "/..%2fetc/passwd",
				"/play/" + s[0].Sign("%2e%2e", attackNow.Add(time.Hour)) + "/%252e%252e/etc/passwd",
				"/play/" + s[0].Sign(attackVideo+"/..", attackNow.Add(time.Hour)) + "/" + attackVideo + "%2f../etc/passwd",
			}
			for _, target := range targets {
				w := get(h, target)
				if w.Code != http.StatusNotFound && w.Code != http.StatusBadRequest {
					t.Errorf("GET %s: %d, want 404 or 400", target, w.Code)
				}
			}
			if n := store.opens.Load(); n != 0 {
				t.Errorf("traversal attempts opened %d blobs", n)
			}
			// A raw NUL byte never reaches the handler: the server refuses it.
			srv := httptest.NewServer(h)
			defer srv.Close()
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			io.WriteString(conn, "GET "+base+"v0/seg1\x00.m4s HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadRequest || store.opens.Load() != 0 {
				t.Errorf("raw NUL: %d and %d opens, want 400 and none", resp.StatusCode, store.opens.Load())
			}
		})
	}
}

func TestPlayAfterRotation(t *testing.T) {
	for name, s := range schemes(t) {
		t.Run(name, func(t *testing.T) {
			handedOut := s[0].Sign(attackVideo, attackNow.Add(time.Hour))
			h, _ := playServer(t, s[1]) // restarted with k2 current, k1 old
			if w := get(h, "/play/"+handedOut+"/"+attackVideo+"/v0/seg1.m4s"); w.Code != 200 {
				t.Errorf("URL signed before the rotation: %d, want 200", w.Code)
			}
			fresh := s[1].Sign(attackVideo, attackNow.Add(time.Hour))
			if !strings.HasPrefix(fresh, "k2.") {
				t.Errorf("new token %q not signed with k2", fresh)
			}
			if w := get(h, "/play/"+fresh+"/"+attackVideo+"/master.m3u8"); w.Code != 200 {
				t.Errorf("URL signed after the rotation: %d", w.Code)
			}
			// The same token under an id the server does not hold.
			unknown := "k7" + strings.TrimPrefix(fresh, "k2")
			if w := get(h, "/play/"+unknown+"/"+attackVideo+"/v0/seg1.m4s"); w.Code != http.StatusForbidden {
				t.Errorf("unknown key id: %d, want 403", w.Code)
			}
			// Retiring k1 ends the old URLs.
			var retired reel.Signer
			if name == "reel" {
				retired, _ = token.NewKeys(attackKey("k2", 2))
			} else {
				retired, _ = nginx.New(attackKey("k2", 2))
			}
			h, _ = playServer(t, retired)
			if w := get(h, "/play/"+handedOut+"/"+attackVideo+"/v0/seg1.m4s"); w.Code != http.StatusForbidden {
				t.Errorf("URL of a retired key: %d, want 403", w.Code)
			}
		})
	}
}
