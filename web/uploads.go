package web

import (
	"context"
	"net/http"
	"strings"

	"reel"
)

// uploadRemover removes a video's unfinished resumable upload: its parts,
// partial file and leftovers in the originals store, and its state.
type uploadRemover interface {
	Remove(ctx context.Context, videoID string) error
}

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
			case p == nil || !p.CanManage(v):
				s.error(w, r, reel.Errorf(reel.ENOTFOUND, "Upload not found."))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// UploadOwner records the caller as the owner of a video a resumable
// upload creates. It is the tus store's Prepare hook.
func UploadOwner(ctx context.Context, v *reel.Video) error {
	if p, ok := PrincipalFrom(ctx); ok {
		v.Owner = p.KeyID
	}
	return nil
}
