package web

import (
	"net/http"
	"strconv"
	"strings"

	"reel"
	"reel/api"
)

// videoJSON returns v as the API shows it.
func (s *Server) videoJSON(r *http.Request, v *reel.Video) api.Video {
	j := api.VideoOf(v)
	// A video plays as soon as its first segments are published.
	if v.Status == reel.StatusReady || v.Status == reel.StatusProcessing && v.Playable {
		j.Playback = s.playback(r, v)
	}
	return j
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			s.error(w, r, reel.Errorf(reel.EINVALID, "limit must be a number from 1 to 100."))
			return
		}
		limit = n
	}
	if err := checkTTL(r); err != nil {
		s.error(w, r, err)
		return
	}
	// Each caller lists what it may see (reel.ListFilter).
	f := reel.ListFilter(s.principal(r))
	f.Limit, f.Cursor = limit, r.URL.Query().Get("cursor")
	videos, next, err := s.Videos.Videos(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]api.Video, 0, len(videos))
	for _, v := range videos {
		out = append(out, s.videoJSON(r, v))
	}
	s.json(w, http.StatusOK, api.VideoList{Videos: out, NextCursor: next})
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	v, err := s.visibleVideo(r)
	if err == nil {
		err = checkTTL(r)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, s.videoJSON(r, v))
}

// handleDelete removes the row first, so the video disappears at once,
// then cancels its job and removes its original and outputs. A transcode
// still running notices the row is gone and cleans up after itself.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	v, err := s.managedVideo(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ctx := r.Context()
	removed := false
	if rm, ok := s.Uploads.(uploadRemover); ok && v.Status == reel.StatusUploading {
		// A resumable upload leaves more than the original: a multipart
		// upload or a partial file, leftovers, its state. Its removal
		// deletes the video too.
		if err := rm.Remove(ctx, v.ID); err != nil {
			s.error(w, r, err)
			return
		}
		removed = true
	}
	if err := s.Videos.DeleteVideo(ctx, v.ID); err != nil && !(removed && reel.ErrorCode(err) == reel.ENOTFOUND) {
		s.error(w, r, err)
		return
	}
	log := s.Logger.With("video", v.ID)
	if err := s.Jobs.Cancel(ctx, v.JobID); err != nil {
		log.Warn("cancel transcode job", "job", v.JobID, "err", err)
	}
	if err := s.Originals.Delete(ctx, v.OriginalKey); err != nil {
		log.Error("delete original", "err", err)
	}
	if err := s.Outputs.DeletePrefix(ctx, reel.OutputPrefix(v.ID)); err != nil {
		log.Error("delete outputs", "err", err)
	}
	s.playlists.forget(reel.OutputPrefix(v.ID))
	s.playStates.forget(v.ID)
	w.WriteHeader(http.StatusNoContent)
}

// handleRetry queues a failed video's transcode again: 202 with the video,
// or 409 if it has not failed.
func (s *Server) handleRetry(w http.ResponseWriter, r *http.Request) {
	v, err := s.managedVideo(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if v.Status != reel.StatusFailed {
		s.error(w, r, reel.Errorf(reel.ECONFLICT, "Only a failed video can be retried; this one is %s.", v.Status))
		return
	}
	if v.Size > s.MaxUploadSize {
		// A storage event's original over the limit failed for its size:
		// retrying must not transcode it either.
		s.error(w, r, s.tooLarge())
		return
	}
	v, err = s.Videos.Enqueue(r.Context(), v.ID, v.Size, nil)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusAccepted, s.videoJSON(r, v))
}

// maxUpdateBody bounds the JSON of PATCH /api/videos/{id}.
const maxUpdateBody = 16 << 10

// handleUpdate changes a video's title or visibility: the owner's or an
// admin's right.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	v, err := s.managedVideo(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req api.VideoUpdate
	if err := decodeJSON(w, r, maxUpdateBody, &req); err != nil {
		s.error(w, r, err)
		return
	}
	var u reel.VideoUpdate
	if req.Title != nil {
		if len(*req.Title) > maxTitleBytes {
			s.error(w, r, reel.Errorf(reel.EINVALID, "The title is longer than %d bytes.", maxTitleBytes))
			return
		}
		title := strings.TrimSpace(reel.Sanitize(*req.Title, maxTitleBytes))
		u.Title = &title
	}
	if req.Visibility != nil {
		vis, err := reel.ParseVisibility(string(*req.Visibility))
		if err == nil && vis == "" {
			err = errVisibility
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		u.Visibility = &vis
	}
	if u.Title == nil && u.Visibility == nil {
		s.error(w, r, reel.Errorf(reel.EINVALID, "Send \"title\", \"visibility\" or both."))
		return
	}
	if v, err = s.Videos.UpdateVideo(r.Context(), v.ID, u); err != nil {
		s.error(w, r, err)
		return
	}
	s.playStates.forget(v.ID) // this process sees a new visibility at once
	s.json(w, http.StatusOK, s.videoJSON(r, v))
}
