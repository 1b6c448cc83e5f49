package web

// The web page: index.html and its scripts and styles, embedded in the
// binary, served at / and /static/.
//
// Assets are cached by content hash, with no build step: at start, each
// file's SHA-256 is taken, and index.html is rewritten to name its
// stylesheet and script as /static/<file>?v=<hash> and to carry an import
// map that sends every module (/static/api.js, /static/vendor/...) to
// its hashed URL, so the relative imports inside the modules pick up the
// hashes too. A URL with the file's current hash is immutable and cached
// for a year; any other (no hash, or an old one) is served with no-cache
// and an ETag, so it is revalidated. The page itself is no-cache: a new
// version of reel is seen at once, and with it new hashes. The import map
// is the page's one inline script; the Content-Security-Policy allows it
// by its hash (headers.go), nothing else inline.

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// assets are the files under static/.
var assets, _ = fs.Sub(static, "static") // static is embedded: Sub cannot fail

// asset is one file of the page.
type asset struct {
	data  []byte
	hash  string // hex, the first 16 digits of the SHA-256 of data
	ctype string
}

// pageAssets are the page's files ready to serve.
type pageAssets struct {
	files map[string]asset // by path under static/: "app.js", "vendor/hls.min.mjs"
	index asset            // index.html, rewritten with hashed URLs and the import map
	// scriptHash is the CSP source allowing the import map:
	// 'sha256-<base64>'.
	scriptHash string
	// importMap is the import map's script element, for other pages
	// (the embed page) to carry too.
	importMap []byte
}

// url is the hashed URL of the asset name ("style.css"), or its plain
// URL if there is no such asset.
func (p *pageAssets) url(name string) string {
	if a, ok := p.files[name]; ok {
		return "/static/" + name + "?v=" + a.hash
	}
	return "/static/" + name
}

// assetRef matches the page's references to its assets.
var assetRef = regexp.MustCompile(`(src|href)="/static/([^"?#]+)"`)

// newPageAssets reads the files of fsys (index.html and what it loads)
// and prepares the page. The files are embedded: reading them cannot
// fail, short of a build without them, which is a programming error.
func newPageAssets(fsys fs.FS) *pageAssets {
	p := &pageAssets{files: map[string]asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		p.files[name] = newAsset(name, data)
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("web: read the embedded page: %v", err))
	}
	index, ok := p.files["index.html"]
	if !ok {
		panic("web: the embedded page has no index.html")
	}
	delete(p.files, "index.html") // served at / only, rewritten

	// Every module, by the URL its importers resolve, to its hashed URL.
	imports := map[string]string{}
	for name, a := range p.files {
		if ext := path.Ext(name); ext == ".js" || ext == ".mjs" {
			imports["/static/"+name] = "/static/" + name + "?v=" + a.hash
		}
	}
	importMap, _ := json.Marshal(map[string]any{"imports": imports}) // strings only: cannot fail
	sum := sha256.Sum256(importMap)
	p.scriptHash = "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"

	html := assetRef.ReplaceAllFunc(index.data, func(m []byte) []byte {
		sub := assetRef.FindSubmatch(m)
		if a, ok := p.files[string(sub[2])]; ok {
			return fmt.Appendf(nil, `%s="/static/%s?v=%s"`, sub[1], sub[2], a.hash)
		}
		return m
	})
	// The import map must come before the first module script.
	tag := append(append([]byte(`<script type="importmap">`), importMap...), "</script>\n"...)
	p.importMap = tag
	if i := bytes.Index(html, []byte(`<script type="module"`)); i >= 0 {
		html = append(html[:i:i], append(tag, html[i:]...)...)
	}
	p.index = newAsset("index.html", html)
	return p
}

func newAsset(name string, data []byte) asset {
	sum := sha256.Sum256(data)
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js", ".mjs": // modules must be served as JavaScript, whatever the system's MIME table says
		ctype = "text/javascript; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".html":
		ctype = "text/html; charset=utf-8"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return asset{data: data, hash: hex.EncodeToString(sum[:8]), ctype: ctype}
}

// serve writes a: immutable when the request names its current hash,
// else to be revalidated by its ETag.
func (a asset) serve(w http.ResponseWriter, r *http.Request, name string) {
	h := w.Header()
	if r.URL.Query().Get("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+a.hash+`"`)
	h.Set("Content-Type", a.ctype)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.data))
}

// handlePage serves the page itself; browsers revalidate it each time,
// so a new version of reel is seen at once.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	s.page.index.serve(w, r, "index.html")
}

// handleStatic serves the page's assets under /static/.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	a, ok := s.page.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	a.serve(w, r, name)
}
