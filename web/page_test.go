package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// The page names its assets by content hash, every module import goes
// through the import map to a hashed URL, hashed URLs are immutable and
// others revalidated, and the CSP allows the import map by its hash
// alone.
func TestPageAssetsHashed(t *testing.T) {
	e := newAuthEnv(t, AccessConfig{AllowOpen: true})
	status, h, body := e.do(req{method: "GET", path: "/"})
	if status != 200 || h.Get("Cache-Control") != "no-cache" || h.Get("ETag") == "" {
		t.Fatalf("GET /: %d, Cache-Control %q, ETag %q", status, h.Get("Cache-Control"), h.Get("ETag"))
	}
	page := string(body)
	m := regexp.MustCompile(`<script type="importmap">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no import map in the page:\n%s", page)
	}
	sum := sha256.Sum256([]byte(m[1]))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self' "+want) {
		t.Errorf("the CSP %q does not allow the import map (%s)", h.Get("Content-Security-Policy"), want)
	}
	if strings.Index(page, `type="importmap"`) > strings.Index(page, `type="module"`) {
		t.Error("the import map comes after a module script")
	}
	var importMap struct{ Imports map[string]string }
	if err := json.Unmarshal([]byte(m[1]), &importMap); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{`href="/static/style.css?v=`, `src="/static/app.js?v=`} {
		if !strings.Contains(page, ref) {
			t.Errorf("the page has no %s", ref)
		}
	}

	// Every module any module imports is in the map, at its hashed URL,
	// which is immutable; the same file without its hash is revalidated.
	imported := regexp.MustCompile(`(?:from|import\()\s*'\./([^']+)'`)
	files, _ := static.ReadDir("static")
	checked := 0
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".js") {
			continue
		}
		src, _ := static.ReadFile("static/" + f.Name())
		for _, m := range imported.FindAllStringSubmatch(string(src), -1) {
			if strings.HasPrefix(m[1], "vendor/") {
				continue // vendored by `make ui`: in the map only when built with it
			}
			hashed, ok := importMap.Imports["/static/"+m[1]]
			if !ok {
				t.Errorf("%s imports %s, which is not in the import map", f.Name(), m[1])
				continue
			}
			checked++
			status, h, _ := e.do(req{method: "GET", path: hashed})
			if status != 200 || h.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
				!strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
				t.Errorf("GET %s: %d, Cache-Control %q, Content-Type %q", hashed, status, h.Get("Cache-Control"), h.Get("Content-Type"))
			}
		}
	}
	if checked < 5 {
		t.Errorf("only %d imports checked", checked)
	}
	status, h, _ = e.do(req{method: "GET", path: "/static/app.js"})
	etag := h.Get("ETag")
	if status != 200 || h.Get("Cache-Control") != "no-cache" || etag == "" {
		t.Errorf("GET /static/app.js: %d, Cache-Control %q, ETag %q", status, h.Get("Cache-Control"), etag)
	}
	if status, _, _ := e.do(req{method: "GET", path: "/static/app.js?v=0123456789abcdef", header: map[string]string{"If-None-Match": etag}}); status != http.StatusNotModified {
		t.Errorf("revalidation with the ETag: %d, want 304", status)
	}
	if _, h, _ := e.do(req{method: "GET", path: "/static/app.js?v=0123456789abcdef"}); h.Get("Cache-Control") != "no-cache" {
		t.Errorf("an old hash is cached as %q", h.Get("Cache-Control"))
	}
	for _, p := range []string{"/static/", "/static/nothing.js", "/static/index.html", "/static/vendor/"} {
		if status, _, _ := e.do(req{method: "GET", path: p}); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, status)
		}
	}
}

// A file's hash follows its content, so a changed file gets a new URL.
func TestPageAssetsFollowContent(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html": {Data: []byte(`<link rel="stylesheet" href="/static/a.css"><script type="module" src="/static/app.js"></script>`)},
		"app.js":     {Data: []byte(`import './b.js';`)},
		"b.js":       {Data: []byte(`export const b = 1;`)},
		"a.css":      {Data: []byte(`body {}`)},
	}
	one := newPageAssets(fsys)
	fsys["b.js"] = &fstest.MapFile{Data: []byte(`export const b = 2;`)}
	two := newPageAssets(fsys)
	if one.files["b.js"].hash == two.files["b.js"].hash || one.files["app.js"].hash != two.files["app.js"].hash {
		t.Errorf("hashes: b.js %s → %s, app.js %s → %s", one.files["b.js"].hash, two.files["b.js"].hash, one.files["app.js"].hash, two.files["app.js"].hash)
	}
	if !strings.Contains(string(two.index.data), `"/static/b.js":"/static/b.js?v=`+two.files["b.js"].hash+`"`) || one.scriptHash == two.scriptHash {
		t.Errorf("the page does not follow b.js:\n%s", two.index.data)
	}
	if !strings.Contains(string(one.index.data), `href="/static/a.css?v=`+one.files["a.css"].hash+`"`) {
		t.Errorf("the stylesheet is not hashed:\n%s", one.index.data)
	}
}
