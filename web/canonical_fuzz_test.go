package web

import (
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"
)

// FuzzCheckPath checks what checkPath lets through: a path that decodes
// once and only once, that path.Clean leaves alone (but for the
// trailing slash of the routes that end in one), without control
// characters or backslashes, and that Go's own request parsing reads as
// the same path, so that every layer of the server sees the same path.
func FuzzCheckPath(f *testing.F) {
	for _, seed := range []string{
		"/", "/api/videos", "/api/uploads/", "/api/uploads/abc/", "/api/uploads/abc%2F", "/a%2fb",
		"//api", "/a/./b", "/a/../b", "/a/%2E%2E/b", "/a/%252F", "/%61pi", "/a%00", "/a%0A", "/a%20b",
		"/a\\b", "/a%5Cb", "/play/t/i/master.m3u8", "/%C3%A9", "/%c3%a9", "/é", "/a/.", "/a%", "/a%zz",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if checkPath(p) != nil {
			return
		}
		decoded, err := url.PathUnescape(p)
		if err != nil {
			t.Fatalf("accepted %q, which does not decode: %v", p, err)
		}
		if strings.Contains(decoded, "%") {
			t.Fatalf("accepted %q, which decodes to %q and again to something else", p, decoded)
		}
		if clean := path.Clean(decoded); clean != decoded && !(clean+"/" == decoded && dirRoutes[decoded]) {
			t.Fatalf("accepted %q, which cleans to %q", p, clean)
		}
		if strings.ContainsAny(decoded, "\\\x00\r\n\x7f") {
			t.Fatalf("accepted %q, which holds a backslash or control character", p)
		}
		// Go's server parses the request line the same way.
		if strings.ContainsAny(p, " #?") {
			return // not a request path on its own
		}
		r := httptest.NewRequest("GET", p, nil)
		if r.URL.Path != decoded {
			t.Fatalf("accepted %q, which Go reads as path %q", p, r.URL.Path)
		}
	})
}

// TestCheckPath pins the answers for the spellings of one route.
func TestCheckPath(t *testing.T) {
	for p, want := range map[string]int{
		"/":                         0,
		"/api/uploads/":             0,
		"/api/uploads/abc":          0,
		"/api/videos/abc/retry":     0,
		"/%C3%A9":                   0,
		"/play/!1.a,b/x":            0,
		"/a%21":                     0,
		"/a%20b":                    0,
		"/api/uploads/abc/":         404,
		"/api/videos/":              404,
		"/api/uploads/abc%2F":       404,
		"/api/uploads%2fabc":        404,
		"//api/videos":              404,
		"/api//videos":              404,
		"/api/./videos":             404,
		"/api/x/../videos":          404,
		"/api/%2E%2E/videos":        404,
		"/api/videos/.":             404,
		"/api/%252Fvideos":          404,
		"/%61pi/videos":             404,
		"/%c3%a9":                   404,
		"/a\\b":                     404,
		"/é":                        404,
		"/a%5Cb":                    404,
		"/a%00":                     400,
		"/a%0d%0aSet-Cookie:%20x=y": 400,
		"/a%":                       400,
		"/a%zz":                     400,
		"a":                         400,
	} {
		got := 0
		if err := checkPath(p); err != nil {
			got = err.Status
		}
		if got != want {
			t.Errorf("checkPath(%q) = %d, want %d", p, got, want)
		}
	}
}
