package web

import (
	"net/http"
	"strings"
)

// apiCORS adds the API's CORS headers, separate from playback's
// (AllowOrigin): by default the API sends none, so browsers keep other
// sites' pages from reading it. With Access.APIAllowOrigin set, pages of
// that origin may call it with a bearer key; cookies are never allowed
// cross-origin (no Access-Control-Allow-Credentials), so the session of
// the web page cannot be used from another site. It answers a preflight
// itself and reports true then.
func (s *Server) apiCORS(w http.ResponseWriter, r *http.Request) bool {
	allow := s.Access.APIAllowOrigin
	origin := r.Header.Get("Origin")
	if allow == "" || origin == "" || allow != "*" && origin != allow {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", allow)
	if allow != "*" {
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Expose-Headers", strings.Join([]string{
		"Retry-After", "Location", "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Expires",
		"Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm",
	}, ", "))
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PATCH, DELETE")
	h.Set("Access-Control-Allow-Headers", strings.Join([]string{
		"Authorization", "Content-Type", "Upload-Length", "Upload-Offset", "Upload-Metadata", "Upload-Checksum",
		"Upload-Concat", "Upload-Defer-Length", "Tus-Resumable", "X-HTTP-Method-Override", "X-Requested-With",
	}, ", "))
	h.Set("Access-Control-Max-Age", "3600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
