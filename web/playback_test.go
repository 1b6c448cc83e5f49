package web

import (
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/cloudfront"
)

// With CloudFront signing, the API's URL carries the grant in its query
// and every URI of the playlists served carries it on.
func TestPlayCloudFrontGrantFollowsPlaylists(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := cloudfront.New("KTEST", key)
	if err != nil {
		t.Fatal(err)
	}
	h, store := playServer(t, signer)
	s := &Server{Signer: signer, PlaybackTTL: time.Hour, PublicURL: "https://cdn.example.com", Now: func() time.Time { return attackNow }}
	p := s.playback(httptest.NewRequest("GET", "/api/videos/x", nil), &reel.Video{ID: attackVideo})
	if p == nil || !strings.HasPrefix(p.URL, "https://cdn.example.com/play/cf/"+attackVideo+"/master.m3u8?Policy=") || !strings.Contains(p.PosterURL, "poster.jpg?Policy=") {
		t.Fatalf("playback URLs: %+v", p)
	}
	u, _ := url.Parse(p.URL)
	query := u.RawQuery

	// master → variant → init and segment, each URI taken from the playlist.
	target := u.RequestURI()
	for _, want := range []string{"v0/index.m3u8?", "init.mp4?"} {
		w := get(h, target)
		if w.Code != 200 {
			t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
		}
		var next string
		for _, line := range strings.Split(w.Body.String(), "\n") {
			if i := strings.Index(line, want); i >= 0 {
				next = strings.Trim(line[i:], `"`)
				if !strings.HasSuffix(next, "?"+query) && !strings.HasSuffix(strings.TrimSuffix(line, `"`), query) {
					t.Errorf("URI %q lacks the grant", line)
				}
			}
			if line == "seg1.m4s?"+query {
				if w := get(h, "/play/cf/"+attackVideo+"/v0/"+line); w.Code != 200 {
					t.Errorf("segment from the playlist: %d", w.Code)
				}
			}
		}
		if next == "" {
			t.Fatalf("no %q URI in\n%s", want, w.Body)
		}
		dir := target[:strings.LastIndexByte(target[:strings.IndexByte(target, '?')], '/')+1]
		target = dir + next[:strings.IndexByte(next, '?')+1] + query
		if want == "init.mp4?" {
			break
		}
	}

	// Gzipped playlists are rewritten too.
	r := httptest.NewRequest("GET", u.RequestURI(), nil)
	r.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !strings.Contains(string(body), "v0/index.m3u8?"+query) {
		t.Errorf("gzipped master not rewritten:\n%s", body)
	}

	// No grant, or a grant with a changed byte: refused before storage.
	store.opens.Store(0)
	for _, bad := range []string{"", strings.Replace(query, "Signature=M", "Signature=N", 1) + "x"} {
		if w := get(h, "/play/cf/"+attackVideo+"/v0/seg1.m4s?"+bad); w.Code != 403 {
			t.Errorf("grant %q: %d, want 403", bad, w.Code)
		}
	}
	if w := get(h, "/play/cf/bbbbbbbbbbbbbbbb/v0/seg1.m4s?"+query); w.Code != 403 {
		t.Errorf("grant used for another video: %d, want 403", w.Code)
	}
	if n := store.opens.Load(); n != 0 {
		t.Errorf("refused requests opened %d blobs", n)
	}
}
