package web

// The web page: index.html and its scripts and styles, embedded in the
// binary, served at / and /static/.

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// assets are the files under static/.
var assets, _ = fs.Sub(static, "static") // static is embedded: Sub cannot fail

// handlePage serves the page itself; browsers revalidate it each time,
// so a new version of reel is seen at once.
func handlePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, assets, "index.html")
}
