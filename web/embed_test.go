package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"reel"
)

// attr returns the value of the first data attribute name in an HTML page.
func attr(page []byte, name string) string {
	m := regexp.MustCompile(name + `="([^"]*)"`).FindSubmatch(page)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// The embed page shows public and unlisted videos to anyone, with a
// freshly signed playback URL, and may be framed by any site by default;
// a private video is a 404 page whoever asks.
func TestEmbedPage(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}).populate()
	for _, name := range []string{"alice-public", "bob-unlisted"} {
		id := e.video[name]
		status, h, b := e.do(req{method: "GET", path: "/embed/" + id})
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("GET /embed/ of %s: %d %s", name, status, h.Get("Content-Type"))
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy %q", name, csp)
		}
		if xfo := h.Get("X-Frame-Options"); xfo != "" {
			t.Errorf("%s: X-Frame-Options %q forbids framing", name, xfo)
		}
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store (the page holds a signed URL)", name, h.Get("Cache-Control"))
		}
		if attr(b, "data-video-id") != id {
			t.Errorf("%s: page names video %q", name, attr(b, "data-video-id"))
		}
		// The signed URLs play: the master and the poster's.
		for _, a := range []string{"data-playback-url", "data-poster-url"} {
			u := strings.ReplaceAll(attr(b, a), "&amp;", "&")
			if !strings.Contains(u, "/play/") || !strings.Contains(u, "/"+id+"/") {
				t.Errorf("%s: %s = %q", name, a, u)
				continue
			}
			if err := e.s.verifyPlay(httptestRequest(u), id); err != nil {
				t.Errorf("%s: %s does not verify: %v", name, a, err)
			}
		}
	}
	// Private: not found for anyone, the owner and admins included.
	for _, key := range []string{"", "alice", "admin"} {
		status, h, b := e.do(req{method: "GET", path: "/embed/" + e.video["alice-private"], key: key})
		if status != http.StatusNotFound || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "Video not found") || strings.Contains(string(b), "/play/") {
			t.Errorf("private video embedded for %q: %d %s", key, status, b)
		}
	}
	for _, id := range []string{strings.Repeat("a", 16), "nope", strings.Repeat("z", 300)} {
		if status, _, _ := e.do(req{method: "GET", path: "/embed/" + id}); status != http.StatusNotFound {
			t.Errorf("GET /embed/%s: %d, want 404", id, status)
		}
	}
}

// httptestRequest is a GET of a URL, for verifyPlay.
func httptestRequest(u string) *http.Request {
	r, _ := http.NewRequest("GET", u, nil)
	// The path token, as the mux would give it.
	parts := strings.Split(strings.SplitN(r.URL.Path, "/play/", 2)[1], "/")
	r.SetPathValue("token", parts[0])
	return r
}

// A title is text: markup in it is escaped, never run.
func TestEmbedPageEscapes(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}).populate()
	id := e.video["alice-public"]
	title := `</title><script>alert(1)</script>"'&`
	if _, err := e.store.UpdateVideo(context.Background(), id, reel.VideoUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	_, _, b := e.do(req{method: "GET", path: "/embed/" + id})
	if strings.Contains(string(b), "<script>alert") || strings.Count(string(b), "<script") != 2 { // the import map and embed.js
		t.Errorf("the title reached the page as markup:\n%s", b)
	}
}

// A video still processing is embedded without a playback URL yet: the
// page's script waits for it.
func TestEmbedPageNotReady(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}).populate()
	id := e.video["alice-public"]
	queued := reel.StatusQueued
	if _, err := e.store.UpdateVideo(context.Background(), id, reel.VideoUpdate{Status: &queued}); err != nil {
		t.Fatal(err)
	}
	status, _, b := e.do(req{method: "GET", path: "/embed/" + id})
	if status != http.StatusOK || attr(b, "data-status") != "queued" || attr(b, "data-playback-url") != "" {
		t.Errorf("embed of a queued video: %d status %q url %q", status, attr(b, "data-status"), attr(b, "data-playback-url"))
	}
}

// With --embed-origins, only those origins may frame the embed page; every
// other page stays unframeable.
func TestEmbedOrigins(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}, func(e *authEnv) {
		e.s.EmbedOrigins = []string{"https://blog.example", "http://127.0.0.1:9999"}
	}).populate()
	_, h, _ := e.do(req{method: "GET", path: "/embed/" + e.video["alice-public"]})
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://blog.example http://127.0.0.1:9999") {
		t.Errorf("embed page: Content-Security-Policy %q", csp)
	}
	for _, p := range []string{"/", "/static/app.js", "/static/embed.js"} {
		_, h, _ := e.do(req{method: "GET", path: p})
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s may be framed: %q, X-Frame-Options %q", p, h.Get("Content-Security-Policy"), h.Get("X-Frame-Options"))
		}
	}
}
