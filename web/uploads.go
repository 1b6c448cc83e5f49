package web

import (
	"context"
	"net/http"
	"strings"

	"reel"
	"reel/video"
)

// guardUploads lets a caller reach an existing resumable upload only if
// they may manage its video: an uploader their own, an admin any. Others
// get the same 404 as an unknown upload, so ids cannot be probed. Creating
// an upload needs only the role, which protect has checked.
// Without Uploads, it answers as for any unknown API path.
func (s *Server) guardUploads() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := s.Uploads
		if next == nil {
			s.handleNoEndpoint(w, r)
			return
		}
		// The id as tusd reads it (the path past its base, slashes
		// trimmed), so the check is on the upload tusd acts on.
		rest, ok := strings.CutPrefix(r.URL.Path, "/api/uploads/")
		id := strings.Trim(rest, "/")
		if !ok || id == "" || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if p := s.principal(r); p == nil || p.Role != reel.RoleAdmin {
			v, err := s.Videos.Video(r.Context(), id)
			switch {
			case reel.ErrorCode(err) == reel.ENOTFOUND:
				// tusd answers unknown ids itself.
			case err != nil:
				s.error(w, r, err)
				return
			case !video.CanManage(p, v):
				s.error(w, r, reel.Errorf(reel.ENOTFOUND, "Upload not found."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Caller returns who makes the request whose context is ctx, nil for an
// anonymous caller. It is the tus store's Caller: resumable uploads create
// their videos by the same rules as the rest of the API (video.New).
func Caller(ctx context.Context) *reel.Principal {
	if p, ok := PrincipalFrom(ctx); ok {
		return &p
	}
	return nil
}
