package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // posters may be sent as PNG
	"io"
	"math"
	"mime"
	"net/http"
	"time"

	"reel"
	"reel/api"
	"reel/video"
)

// PUT /api/videos/{id}/poster: the owner chooses the poster of a ready
// video, by sending a picture (image/jpeg or image/png) or the time of a
// frame (application/json {"time": seconds}). Pictures are checked here,
// before anything is stored: the body's size, the declared size of the
// picture before decoding it, then the whole decode; what is stored is a
// fresh JPEG encoding, so no metadata (a camera's EXIF location) and no
// bytes but the pixels reach players.

// Limits of a poster sent as a picture.
const (
	// maxPosterBody is the largest picture accepted, in bytes.
	maxPosterBody = 10 << 20
	// maxPosterSide is the longest side accepted, in pixels; with it, the
	// decoded picture takes at most 64 MiB.
	maxPosterSide = 4096
	// minPosterSide is the shortest side accepted: smaller is no poster.
	minPosterSide = 16
	// posterQuality is the JPEG quality of stored pictures.
	posterQuality = 88
	// stillTimeout bounds taking a frame with ffmpeg.
	stillTimeout = time.Minute
)

// Stiller takes a frame of a video as a JPEG, the way the transcode
// makes posters (ffmpeg.Transcoder.Still).
type Stiller interface {
	Still(ctx context.Context, input string, at float64) ([]byte, error)
}

func (s *Server) handlePoster(w http.ResponseWriter, r *http.Request) {
	// Who may change it, and whether it is ready, is checked before the
	// body is read.
	v, err := s.managedVideo(r)
	if err == nil {
		err = video.PosterReady(v)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	var pic []byte
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "image/jpeg", "image/png":
		pic, err = posterPicture(http.MaxBytesReader(w, r.Body, maxPosterBody), ctype)
	case "application/json":
		var req api.PosterChoice
		if err = decodeJSON(w, r, maxUpdateBody, &req); err == nil {
			pic, err = s.posterFrame(r.Context(), v, req.Time)
		}
	default:
		err = reel.Errorf(reel.EINVALID, "Send the poster as image/jpeg or image/png, or {\"time\": seconds} as application/json.")
	}
	if err == nil {
		v, err = s.videos.SetPoster(r.Context(), s.principal(r), v.ID, pic)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusOK, s.videoJSON(r, v))
}

// posterPicture reads a picture of the declared type and returns it
// encoded afresh as a JPEG.
func posterPicture(body io.Reader, ctype string) ([]byte, error) {
	data, err := io.ReadAll(body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, reel.Errorf(reel.ETOOLARGE, "The picture is larger than %d MiB.", maxPosterBody>>20)
	} else if err != nil {
		return nil, err
	}
	want := map[string]string{"image/jpeg": "jpeg", "image/png": "png"}[ctype]
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	switch {
	case err != nil:
		return nil, reel.Errorf(reel.EINVALID, "The body is not a JPEG or PNG picture.")
	case format != want:
		return nil, reel.Errorf(reel.EINVALID, "The body is a %s picture, not the %s its Content-Type says.", format, ctype)
	case cfg.Width > maxPosterSide || cfg.Height > maxPosterSide:
		return nil, reel.Errorf(reel.EINVALID, "The picture is %d×%d pixels; posters may be at most %d on each side.", cfg.Width, cfg.Height, maxPosterSide)
	case cfg.Width < minPosterSide || cfg.Height < minPosterSide:
		return nil, reel.Errorf(reel.EINVALID, "The picture is %d×%d pixels; posters must be at least %d on each side.", cfg.Width, cfg.Height, minPosterSide)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, reel.WrapError(reel.EINVALID, "The picture is damaged or cut short.", err)
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: posterQuality}); err != nil {
		return nil, fmt.Errorf("encode poster: %w", err)
	}
	return out.Bytes(), nil
}

// posterFrame takes the frame at second at of v's original.
func (s *Server) posterFrame(ctx context.Context, v *reel.Video, at *float64) ([]byte, error) {
	switch {
	case at == nil:
		return nil, reel.Errorf(reel.EINVALID, "Send {\"time\": seconds}: the time of the frame.")
	case math.IsNaN(*at) || *at < 0 || (v.Duration > 0 && *at >= v.Duration):
		return nil, reel.Errorf(reel.EINVALID, "time must be from 0 to the video's duration (%.3f s).", v.Duration)
	case s.Frames == nil:
		return nil, reel.Errorf(reel.EUNAVAILABLE, "This server cannot take frames; send a picture instead.")
	}
	var input string
	switch o := s.Originals.(type) {
	case LocalBlobStore:
		input = o.LocalPath(v.OriginalKey)
	case PresignedBlobStore:
		u, err := o.PresignGet(ctx, v.OriginalKey, stillTimeout)
		if err != nil {
			return nil, err
		}
		input = u
	default:
		return nil, reel.Errorf(reel.EUNAVAILABLE, "This server cannot read originals; send a picture instead.")
	}
	ctx, cancel := context.WithTimeout(ctx, stillTimeout)
	defer cancel()
	return s.Frames.Still(ctx, input, *at)
}
