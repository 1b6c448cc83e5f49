package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"reel"
	"reel/api"
	"reel/video"
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
	// Each caller lists what it may see (reel.ListFilter), narrowed by
	// the query.
	f := reel.ListFilter(s.principal(r))
	f.Limit, f.Cursor = limit, r.URL.Query().Get("cursor")
	if err := listQuery(r, &f); err != nil {
		s.error(w, r, err)
		return
	}
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

// maxQueryBytes bounds the search of GET /api/videos?q=.
const maxQueryBytes = 200

// listQuery reads the search, status and order of GET /api/videos into f,
// refusing what it cannot mean: a listing never silently ignores a
// filter.
func listQuery(r *http.Request, f *reel.VideoFilter) error {
	q := r.URL.Query()
	search := q.Get("q")
	if len(search) > maxQueryBytes {
		return reel.Errorf(reel.EINVALID, "q must be at most %d bytes.", maxQueryBytes)
	}
	// Stored titles hold no control or invisible characters: a search
	// with them could only find nothing, or, stripped, everything.
	if !utf8.ValidString(search) || reel.Sanitize(search, maxQueryBytes) != search {
		return reel.Errorf(reel.EINVALID, "q must be text without control or invisible characters.")
	}
	f.Query = strings.TrimSpace(search)
	if v := q.Get("status"); v != "" {
		if !reel.ValidStatus(reel.Status(v)) {
			return reel.Errorf(reel.EINVALID, "status must be uploading, queued, processing, ready or failed.")
		}
		f.Status = reel.Status(v)
	}
	switch q.Get("order") {
	case "", "newest":
	case "oldest":
		f.Oldest = true
	default:
		return reel.Errorf(reel.EINVALID, "order must be newest or oldest.")
	}
	return nil
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

// handleDelete deletes the video (video.Service.Delete) and forgets
// what this process cached of it.
func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	v, err := s.videos.Delete(r.Context(), s.principal(r), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.playlists.forget(reel.OutputPrefix(v.ID))
	s.playStates.forget(v.ID)
	w.WriteHeader(http.StatusNoContent)
}

// handleRetry queues a failed video's transcode again: 202 with the video,
// or 409 if it has not failed (video.Service.Retry).
func (s *Server) handleRetry(w http.ResponseWriter, r *http.Request) {
	v, err := s.videos.Retry(r.Context(), s.principal(r), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusAccepted, s.videoJSON(r, v))
}

// maxUpdateBody bounds the JSON of PATCH /api/videos/{id}.
const maxUpdateBody = 16 << 10

// handleUpdate changes a video's title, description or visibility
// (video.Service.Update).
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	// Who may change it is checked before the body is read.
	if _, err := s.managedVideo(r); err != nil {
		s.error(w, r, err)
		return
	}
	var req api.VideoUpdate
	if err := decodeJSON(w, r, maxUpdateBody, &req); err != nil {
		s.error(w, r, err)
		return
	}
	c := video.Changes{Title: req.Title, Description: req.Description}
	if req.Visibility != nil {
		vis, err := reel.ParseVisibility(string(*req.Visibility))
		if err == nil && vis == "" {
			err = errVisibility
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		c.Visibility = &vis
	}
	v, err := s.videos.Update(r.Context(), s.principal(r), r.PathValue("id"), c)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.playStates.forget(v.ID) // this process sees a new visibility at once
	s.json(w, http.StatusOK, s.videoJSON(r, v))
}
