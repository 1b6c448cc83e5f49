package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRoutes checks the route table: each route is listed once, and a
// request on a path of its pattern reaches that route and no other (no
// route shadows another).
func TestRoutes(t *testing.T) {
	routes := Routes()
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	mux := http.NewServeMux()
	seen := map[string]bool{}
	for _, r := range routes {
		p := r.muxPattern()
		if seen[p] {
			t.Errorf("%s listed twice", p)
		}
		seen[p] = true
		mux.Handle(p, http.NotFoundHandler())
	}
	for _, r := range routes {
		method := r.Method
		if method == "" {
			method = http.MethodPost
		}
		req := httptest.NewRequest(method, examplePath(r.Pattern), nil)
		if _, got := mux.Handler(req); got != r.muxPattern() {
			t.Errorf("%s %s reaches %q, not %q", method, req.URL.Path, got, r.muxPattern())
		}
	}
}

// examplePath returns a path that pattern matches: each wildcard filled
// with a word, "{$}" dropped.
func examplePath(pattern string) string {
	var b strings.Builder
	for _, seg := range strings.Split(pattern, "/")[1:] {
		b.WriteByte('/')
		switch {
		case seg == "{$}":
		case strings.HasSuffix(seg, "...}"):
			b.WriteString("a/b")
		case strings.HasPrefix(seg, "{"):
			b.WriteString("x1")
		default:
			b.WriteString(seg)
		}
	}
	return b.String()
}
