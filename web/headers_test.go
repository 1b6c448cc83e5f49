package web

import (
	"regexp"
	"strings"
	"testing"
)

// TestBrowserHeaders checks what browsers rely on: the page and its
// assets under a Content-Security-Policy without inline script or style
// and without framing, nosniff and Referrer-Policy everywhere, and API
// answers (signed URLs, sessions) never stored by a cache.
func TestBrowserHeaders(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{AllowOpen: true})
	for _, p := range []string{"/", "/static/app.js", "/static/style.css"} {
		status, h, _ := e.do(req{method: "GET", path: p})
		csp := h.Get("Content-Security-Policy")
		if status != 200 || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") ||
			!strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: %d, Content-Security-Policy %q", p, status, csp)
		}
	}
	for _, p := range []string{"/", "/static/app.js", "/api/videos", "/api/nothing", "/api//videos", "/healthz"} {
		_, h, _ := e.do(req{method: "GET", path: p})
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: X-Content-Type-Options %q, Referrer-Policy %q", p, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
	for _, p := range []string{"/api/videos", "/api/session", "/api/nothing", "/api/videos/" + strings.Repeat("a", 16)} {
		if _, h, _ := e.do(req{method: "GET", path: p}); h.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", p, h.Get("Cache-Control"))
		}
	}
	// The policy allows the media of the public URL, which may be a CDN.
	if csp := contentSecurityPolicy("https://cdn.example/base", "'none'"); !strings.Contains(csp, "media-src 'self' https://cdn.example blob: data:;") {
		t.Errorf("policy with a public URL: %q", csp)
	}

	// The page has no inline script, style or event handler to allow.
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(\s[^>]*)?>`), // every script has a src
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)javascript:`),
	} {
		for _, m := range bad.FindAllString(string(page), -1) {
			if !strings.Contains(m, " src=") {
				t.Errorf("index.html has inline %q", m)
			}
		}
	}
}
