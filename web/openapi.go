package web

import (
	"net/http"

	"reel/api"
)

// handleOpenAPI serves the API's OpenAPI document. It is public: it tells
// nothing a copy of the source would not. A short cache lifetime, since a
// new version of reel may change it.
func handleOpenAPI() http.HandlerFunc {
	doc := api.OpenAPI()
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(doc)
	}
}
