package web

// Uploaded captions: PUT, GET and DELETE /api/videos/{id}/captions. A
// caption is published as the source's subtitle tracks are: a subtitle
// rendition of WebVTT segments on the video's 6 s grid, each with the
// same X-TIMESTAMP-MAP, and their media playlist (webvtt.Rendition),
// under the video's outputs prefix in captions/<lang>/<hash>/: named by
// their content, because segments are served as immutable, so a
// replaced caption gets new names and no cache keeps the old text. The
// master playlist is the one record of which captions a video has: each
// change rewrites its subtitle group (hls.RewriteSubtitles), so players
// see the new rendition at once, through the same signed prefix.
// Captions uploaded before were one file, captions/<lang>/<hash>.vtt, and
// its playlist <hash>.m3u8; they play and are removed as before.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"reel"
	"reel/api"
	"reel/bcp47"
	"reel/hls"
	"reel/webvtt"
)

// captionPrefix is the folder of uploaded captions under a video's
// outputs; the master's URIs of uploaded captions start with it.
const captionPrefix = "captions/"

// maxCaptionLabel bounds a caption's label, in bytes.
const maxCaptionLabel = 100

// captionFor returns what the API shows of a subtitle rendition.
func captionFor(sub hls.Subtitle) api.Caption {
	source := "file"
	if strings.HasPrefix(sub.URI, captionPrefix) {
		source = "upload"
	}
	return api.Caption{Language: sub.Language, Label: sub.Name, Source: source}
}

// readMaster returns the video's published master playlist.
func (s *Server) readMaster(ctx context.Context, id string) ([]byte, error) {
	b, err := s.Outputs.Open(ctx, reel.OutputPrefix(id)+reel.MasterPlaylist)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return io.ReadAll(io.LimitReader(b, 16<<20))
}

// handleCaptionList lists a video's subtitle renditions, uploaded and from
// the source: to anyone who may watch it.
func (s *Server) handleCaptionList(w http.ResponseWriter, r *http.Request) {
	v, err := s.visibleVideo(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	list := api.CaptionList{Captions: []api.Caption{}}
	if v.Status == reel.StatusReady {
		master, err := s.readMaster(r.Context(), v.ID)
		var subs []hls.Subtitle
		if err == nil {
			subs, err = hls.Subtitles(master)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		for _, sub := range subs {
			list.Captions = append(list.Captions, captionFor(sub))
		}
	}
	s.json(w, http.StatusOK, list)
}

// captionTarget checks the request's video and language: a ready video
// the caller may change, and a BCP 47 tag in its canonical case.
func (s *Server) captionTarget(r *http.Request) (*reel.Video, string, error) {
	v, err := s.managedVideo(r)
	if err != nil {
		return nil, "", err
	}
	lang := r.PathValue("lang")
	if !bcp47.Valid(lang) {
		return nil, "", reel.Errorf(reel.EINVALID, "The language must be a BCP 47 tag such as en, pt-BR or zh-Hant.")
	}
	if c := bcp47.Canonical(lang); c != lang {
		// One spelling per resource, as every path of the API.
		return nil, "", reel.Errorf(reel.EINVALID, "The language tag is spelled %s.", c)
	}
	if v.Status != reel.StatusReady {
		// The worker writes the master last: captions added before would
		// be lost when it does.
		return nil, "", reel.Errorf(reel.ECONFLICT, "Captions can be added once the video is ready; it is %s.", v.Status)
	}
	return v, lang, nil
}

// captionLabel returns the label a PUT asks for (?label=, else the
// Caption-Label header), cleaned, or the language's name.
func captionLabel(r *http.Request, lang string) (string, error) {
	label := r.URL.Query().Get("label")
	if label == "" {
		label = r.Header.Get("Caption-Label")
	}
	if len(label) > maxCaptionLabel {
		return "", reel.Errorf(reel.EINVALID, "The label must be at most %d bytes.", maxCaptionLabel)
	}
	// A quote would end the master's NAME attribute.
	label = strings.TrimSpace(strings.ReplaceAll(reel.Sanitize(label, maxCaptionLabel), `"`, "'"))
	if label == "" {
		label = bcp47.Name(lang)
	}
	return label, nil
}

// handleCaptionPut adds or replaces the video's uploaded caption in one
// language from a WebVTT or SubRip body: 201 when added, 200 when
// replaced.
func (s *Server) handleCaptionPut(w http.ResponseWriter, r *http.Request) {
	v, lang, err := s.captionTarget(r)
	var label string
	if err == nil {
		label, err = captionLabel(r, lang)
	}
	var f *webvtt.File
	if err == nil {
		f, err = readCaption(w, r, v)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	ctx := r.Context()
	// Cue time 0 is the video's first frame, as for the source's subtitles.
	if f.MPEGTS, err = s.captionMPEGTS(ctx, v.ID); err != nil {
		s.error(w, r, err)
		return
	}
	// Named by content: a replaced caption never shares a name with the
	// one it replaces, which caches may hold as immutable.
	var vtt bytes.Buffer
	if err := f.Write(&vtt); err != nil {
		s.error(w, r, err)
		return
	}
	sum := sha256.Sum256(vtt.Bytes())
	dir := captionPrefix + lang + "/" + hex.EncodeToString(sum[:8]) + "/"
	uri := dir + reel.MediaPlaylist
	prefix := reel.OutputPrefix(v.ID)
	// The segments, then their playlist, then the master naming it.
	for _, file := range f.Rendition(v.Duration, reel.SegmentSeconds) {
		if _, err := s.Outputs.Put(ctx, prefix+dir+file.Name, bytes.NewReader(file.Data)); err != nil {
			s.error(w, r, err)
			return
		}
	}
	var old []string
	err = s.editSubtitles(ctx, v.ID, func(subs []hls.Subtitle) []hls.Subtitle {
		subs, old = withoutUpload(subs, lang)
		return append(subs, hls.Subtitle{Name: label, Language: lang, URI: uri, AutoSelect: true})
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	status := http.StatusCreated
	for _, o := range old {
		status = http.StatusOK
		if o != uri {
			s.deleteCaptionFiles(ctx, prefix, o)
		}
	}
	s.json(w, status, api.Caption{Language: lang, Label: label, Source: "upload"})
}

// readCaption reads the request's caption file and checks it against v.
func readCaption(w http.ResponseWriter, r *http.Request, v *reel.Video) (*webvtt.File, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webvtt.MaxSize))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, reel.Errorf(reel.ETOOLARGE, "The caption file is over %d MiB.", webvtt.MaxSize>>20)
	} else if err != nil {
		return nil, reel.WrapError(reel.EINVALID, "The caption file could not be read.", err)
	}
	f, err := webvtt.Parse(data)
	if err != nil {
		return nil, err
	}
	// A second of slack: durations are measured to the frame.
	if err := f.CheckDuration(time.Duration((v.Duration + 1) * float64(time.Second))); err != nil {
		return nil, err
	}
	return f, nil
}

// handleCaptionDelete removes the video's uploaded caption in one
// language: 204, or 404 if it has none.
func (s *Server) handleCaptionDelete(w http.ResponseWriter, r *http.Request) {
	v, lang, err := s.captionTarget(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var old []string
	err = s.editSubtitles(r.Context(), v.ID, func(subs []hls.Subtitle) []hls.Subtitle {
		subs, old = withoutUpload(subs, lang)
		return subs
	})
	if err == nil && len(old) == 0 {
		err = reel.Errorf(reel.ENOTFOUND, "The video has no uploaded caption in %s.", lang)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, uri := range old {
		s.deleteCaptionFiles(r.Context(), reel.OutputPrefix(v.ID), uri)
	}
	w.WriteHeader(http.StatusNoContent)
}

// withoutUpload returns subs without the uploaded caption in lang, and the
// URIs of what it removed.
func withoutUpload(subs []hls.Subtitle, lang string) (kept []hls.Subtitle, removed []string) {
	for _, sub := range subs {
		if strings.HasPrefix(sub.URI, captionPrefix) && strings.EqualFold(sub.Language, lang) {
			removed = append(removed, sub.URI)
			continue
		}
		kept = append(kept, sub)
	}
	return kept, removed
}

// editSubtitles rewrites the video's master playlist with its subtitle
// group edited, and forgets this process's copy. Edits in this process
// take turns, so two at once cannot lose one another's caption.
func (s *Server) editSubtitles(ctx context.Context, id string, edit func([]hls.Subtitle) []hls.Subtitle) error {
	s.captionMu.Lock()
	defer s.captionMu.Unlock()
	master, err := s.readMaster(ctx, id)
	if err != nil {
		return err
	}
	master, err = hls.RewriteSubtitles(master, edit)
	if err != nil {
		return err
	}
	key := reel.OutputPrefix(id) + reel.MasterPlaylist
	if _, err := s.Outputs.Put(ctx, key, bytes.NewReader(master)); err != nil {
		return err
	}
	s.playlists.forget(key)
	return nil
}

// deleteCaptionFiles removes an uploaded caption's files, named by its
// playlist's URI: the segments its playlist lists, then the playlist (a
// caption of one file: the file and its playlist). A failure only leaves
// small orphans, logged.
func (s *Server) deleteCaptionFiles(ctx context.Context, prefix, uri string) {
	if !strings.HasPrefix(uri, captionPrefix) || !validFile(uri) || strings.Contains(uri, "..") {
		return
	}
	var keys []string
	if dir, ok := strings.CutSuffix(uri, "/"+reel.MediaPlaylist); ok {
		segs, err := s.captionSegments(ctx, prefix+uri)
		if err != nil {
			s.Logger.Warn("caption segments left behind", "key", prefix+uri, "err", err)
		}
		for _, seg := range segs {
			keys = append(keys, prefix+dir+"/"+seg)
		}
	} else {
		keys = append(keys, prefix+strings.TrimSuffix(uri, ".m3u8")+".vtt")
	}
	for _, key := range append(keys, prefix+uri) {
		if err := s.Outputs.Delete(ctx, key); err != nil {
			s.Logger.Warn("caption file left behind", "key", key, "err", err)
		}
		s.playlists.forget(key)
	}
}

// captionSegments returns the names of the segments the caption playlist
// key lists, which lie in its folder.
func (s *Server) captionSegments(ctx context.Context, key string) ([]string, error) {
	b, err := s.Outputs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	data, err := io.ReadAll(io.LimitReader(b, 4<<20))
	if err != nil {
		return nil, err
	}
	pl, err := hls.ParseMedia(data)
	if err != nil {
		return nil, err
	}
	var segs []string
	for _, seg := range pl.Segments {
		// Only names in the folder: the playlist is reel's own, but a
		// delete must never reach past it.
		if fileName.MatchString(seg.URI) {
			segs = append(segs, seg.URI)
		}
	}
	return segs, nil
}
