package web

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"time"

	"reel"
	"reel/api"
)

// This file holds what playback URLs carry besides the path token: the
// grant of a RequestSigner (CloudFront's query parameters), which
// the API adds to the URLs it hands out, /play/ checks on every request
// and adds to every URI of the playlists it serves.

// playback returns the signed URLs of the video, or nil if signing failed
// (logged: a broken CloudFront key must not break the API). The token of
// a private video says so, where the signer can (privateSigner).
func (s *Server) playback(r *http.Request, v *reel.Video) *api.Playback {
	videoID := v.ID
	expires := s.Now().Add(s.playbackTTL(r)).Truncate(time.Second)
	tok := s.Signer.Sign(videoID, expires)
	if ps, ok := s.Signer.(privateSigner); ok && v.Visibility == reel.VisibilityPrivate {
		tok = ps.SignPrivate(videoID, expires)
	}
	base := s.baseURL(r) + "/play/" + tok + "/" + videoID + "/"
	p := &api.Playback{URL: base + reel.MasterPlaylist, PosterURL: base + v.PosterFile(), ExpiresAt: expires.UTC()}
	// Downloads are named by the renditions they were made of.
	for _, rd := range v.Renditions {
		switch rd.Download {
		case reel.DownloadVideo:
			p.DownloadURL = base + rd.Download
		case reel.DownloadAudio:
			p.AudioDownloadURL = base + rd.Download
		}
	}
	if rs, ok := s.Signer.(RequestSigner); ok {
		q, err := rs.SignQuery(base, videoID, expires)
		if err != nil {
			s.Logger.Error("sign playback URL", "video", videoID, "err", err)
			return nil
		}
		for _, u := range []*string{&p.URL, &p.PosterURL, &p.DownloadURL, &p.AudioDownloadURL} {
			if *u != "" {
				*u += "?" + q
			}
		}
	}
	return p
}

// verifyPlay checks the grant of a /play/ request for a file of videoID.
func (s *Server) verifyPlay(r *http.Request, videoID string) error {
	if rs, ok := s.Signer.(RequestSigner); ok {
		return rs.VerifyRequest(r, videoID, s.Now())
	}
	return s.Signer.Verify(r.PathValue("token"), videoID, s.Now())
}

// grantPlaylist returns p's body and gzipped body for r: as cached, or,
// when the signer adds r's grant to the URIs, rewritten for this request.
func (s *Server) grantPlaylist(r *http.Request, p *playlist) (body, gzipped []byte) {
	rs, ok := s.Signer.(RequestSigner)
	if !ok {
		return p.body, p.gzipped
	}
	body = rs.RewritePlaylist(r, p.body)
	if bytes.Equal(body, p.body) {
		return p.body, p.gzipped
	}
	if !acceptsGzip(r) {
		return body, nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a valid level cannot fail
	zw.Write(body)
	zw.Close()
	return body, buf.Bytes()
}

// playbackTTL returns the life of the playback URLs the request gets:
// its ?ttl= in seconds (checked by checkTTL), capped by MaxPlaybackTTL,
// or PlaybackTTL.
func (s *Server) playbackTTL(r *http.Request) time.Duration {
	n, err := strconv.ParseInt(r.URL.Query().Get("ttl"), 10, 64)
	if err != nil || n < 1 {
		return s.PlaybackTTL
	}
	limit := s.Access.MaxPlaybackTTL
	if limit <= 0 {
		limit = max(s.PlaybackTTL, 24*time.Hour)
	}
	if n > int64(limit/time.Second) {
		return limit
	}
	return time.Duration(n) * time.Second
}

// checkTTL refuses a ?ttl= that is not a positive number of seconds.
func checkTTL(r *http.Request) error {
	t := r.URL.Query().Get("ttl")
	if t == "" {
		return nil
	}
	if n, err := strconv.ParseInt(t, 10, 64); err != nil || n < 1 {
		return reel.Errorf(reel.EINVALID, "ttl must be a whole number of seconds, 1 or more.")
	}
	return nil
}
