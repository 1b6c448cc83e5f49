package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/api"
	"reel/api/apitest"
)

// undocumented are the routes the document leaves out, with the reason.
var undocumented = map[string]string{
	"/api/": "the fallback: any other API path is answered 404 in the error shape",
}

// samplePath fills a documented path's parameters with values the route
// table's patterns accept.
func samplePath(p string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllStringFunc(p, func(name string) string {
		switch name {
		case "{file}":
			return "720p/index.m3u8"
		case "{token}":
			return "tok"
		}
		return reel.NewID()
	})
}

// TestOpenAPIMatchesRoutes checks the OpenAPI document against the route
// table: it loads and validates as OpenAPI 3.1 with kin-openapi, each
// documented operation reaches a route of web.Routes (not the API's
// fallback), and each route is reached by at least one documented
// operation.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, err := apitest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("document version %q, want 3.1", doc.OpenAPI)
	}
	mux := http.NewServeMux()
	for _, r := range Routes() {
		mux.Handle(r.muxPattern(), http.NotFoundHandler())
	}
	reached := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			req := httptest.NewRequest(method, samplePath(path), nil)
			_, pattern := mux.Handler(req)
			route := pattern[strings.Index(pattern, " ")+1:]
			if pattern == "" || undocumented[route] != "" {
				t.Errorf("documented %s %s: no such route (mux pattern %q)", method, path, pattern)
				continue
			}
			reached[pattern] = true
		}
	}
	for _, r := range Routes() {
		if !reached[r.muxPattern()] && undocumented[r.Pattern] == "" {
			t.Errorf("route %q is not in the OpenAPI document", r.muxPattern())
		}
	}
}

// TestOpenAPIServed fetches the document anonymously from a server with
// keys: it is public, JSON, briefly cacheable, and the embedded one.
func TestOpenAPIServed(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{SessionTTL: time.Hour}).populate()
	status, h, b := e.do(req{method: "GET", path: "/api/openapi.json"})
	if status != http.StatusOK || h.Get("Content-Type") != "application/json" || !strings.Contains(h.Get("Cache-Control"), "max-age=") {
		t.Fatalf("GET /api/openapi.json: %d %v", status, h)
	}
	if !bytes.Equal(b, api.OpenAPI()) {
		t.Error("served document differs from the embedded one")
	}
}
