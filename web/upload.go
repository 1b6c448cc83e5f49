package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"reel"
	"reel/video"
)

// Limits on what an upload may carry besides the file.
const (
	maxParts     = 16      // fields and files in one body
	formOverhead = 1 << 20 // headers and fields around the file
)

// errTooLarge reports a file over MaxUploadSize.
var errTooLarge = errors.New("upload exceeds the size limit")

// handleUpload streams the "file" part of a multipart/form-data body into
// the originals store, then creates the video, queued, with its transcode
// job. Fields may come before or after the file. It reads the body with
// NextPart, never ParseMultipartForm, so memory stays flat whatever the
// file's size. The row exists only once the original is complete, so a
// failed or cut-off upload, or a crash, leaves no video behind; the store
// removes a partial original itself, and a later failure removes a
// complete one.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > s.MaxUploadSize+formOverhead {
		s.error(w, r, s.tooLarge())
		return
	}
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" || params["boundary"] == "" {
		s.error(w, r, reel.Errorf(reel.EINVALID, "Send the video as multipart/form-data with a part named \"file\"."))
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.MaxUploadSize+formOverhead)
	mr := multipart.NewReader(newPartHeaderLimit(body, params["boundary"], maxPartHeader), params["boundary"])

	u := upload{s: s, bound: -1}
	if r.ContentLength > 0 {
		u.bound = min(r.ContentLength, s.MaxUploadSize)
	}
	err := u.read(r.Context(), mr)
	var v *reel.Video
	if err == nil {
		v, err = video.New(s.principal(r), u.draft)
	}
	if err == nil {
		err = s.Videos.CreateVideo(r.Context(), v)
	}
	if err != nil {
		u.discard()
		if errors.Is(err, context.Canceled) || errors.Is(err, io.ErrUnexpectedEOF) {
			s.Logger.Info("upload cut off", "bytes", u.draft.Size, "err", err)
		}
		s.error(w, r, err)
		return
	}
	s.Logger.Info("uploaded", "video", v.ID, "bytes", v.Size)
	s.json(w, http.StatusCreated, s.videoJSON(r, v))
}

// upload is one POST /api/videos in progress.
type upload struct {
	s      *Server
	draft  video.Draft // filled as the parts arrive
	stored bool        // the original is in the store
	bound  int64       // the file's size at most, from Content-Length; -1 if unknown
}

// read walks the parts, storing the file, and fills u.draft.
func (u *upload) read(ctx context.Context, mr *multipart.Reader) error {
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			return u.bodyError(err)
		}
		if n >= maxParts {
			return reel.Errorf(reel.EINVALID, "The form has more than %d parts.", maxParts)
		}
		switch part.FormName() {
		case "title":
			if u.draft.Title, err = readRaw(part, reel.MaxTitleBytes); err != nil {
				return u.bodyError(err)
			}
		case "description":
			if u.draft.Description, err = readRaw(part, reel.MaxDescriptionBytes); reel.ErrorCode(err) == reel.EINVALID {
				err = reel.Errorf(reel.EINVALID, "The description is longer than %d bytes.", reel.MaxDescriptionBytes)
			}
			if err != nil {
				return u.bodyError(err)
			}
		case "visibility":
			vis, err := readRaw(part, 20)
			if err == nil {
				u.draft.Visibility, err = reel.ParseVisibility(vis)
			} else if reel.ErrorCode(err) == reel.EINVALID {
				err = errVisibility // too long to be one
			}
			if err != nil {
				return u.bodyError(err)
			}
		case "encrypt":
			val, err := readRaw(part, 8)
			if err == nil {
				u.draft.Encrypted, err = reel.ParseEncrypt(val)
			} else if reel.ErrorCode(err) == reel.EINVALID {
				err = reel.Errorf(reel.EINVALID, "encrypt must be true or false.") // too long to be one
			}
			if err != nil {
				return u.bodyError(err)
			}
		case "codecs":
			val, err := readRaw(part, 40)
			if err == nil {
				u.draft.Codecs, err = reel.ParseCodecs(val)
			} else if reel.ErrorCode(err) == reel.EINVALID {
				err = reel.Errorf(reel.EINVALID, "codecs must be h264, h264,hevc, h264,av1 or h264,hevc,av1.") // too long to be one
			}
			if err != nil {
				return u.bodyError(err)
			}
		case "downloads":
			val, err := readRaw(part, 8)
			if err == nil {
				u.draft.Downloads, err = reel.ParseDownloads(val)
			} else if reel.ErrorCode(err) == reel.EINVALID {
				err = reel.Errorf(reel.EINVALID, "downloads must be true or false.") // too long to be one
			}
			if err != nil {
				return u.bodyError(err)
			}
		case "file":
			if u.draft.ID != "" {
				return reel.Errorf(reel.EINVALID, "Send one file per upload.")
			}
			if err := u.storeFile(ctx, part); err != nil {
				return err
			}
		default:
			// Unknown fields are ignored, but still read within the limit.
			if _, err := io.Copy(io.Discard, part); err != nil {
				return u.bodyError(err)
			}
		}
	}
	if u.draft.ID == "" {
		return reel.Errorf(reel.EINVALID, "The form has no part named \"file\".")
	}
	return nil
}

// storeFile streams the part into the originals store.
func (u *upload) storeFile(ctx context.Context, part *multipart.Part) error {
	id := reel.NewID()
	u.draft.ID = id
	u.draft.Status = reel.StatusQueued // the original is whole once stored
	u.draft.Filename = part.FileName()
	u.draft.ContentType = part.Header.Get("Content-Type")
	u.draft.OriginalKey = reel.OriginalKey(id)

	body := &limitReader{r: part, n: u.s.MaxUploadSize}
	var n int64
	var err error
	if sized, ok := u.s.Originals.(SizedBlobStore); ok {
		// The body's length bounds the file's: S3 plans its parts by it.
		n, err = sized.PutSize(ctx, u.draft.OriginalKey, body, u.bound)
	} else {
		n, err = u.s.Originals.Put(ctx, u.draft.OriginalKey, body)
	}
	u.draft.Size = n
	if body.err != nil {
		return u.bodyError(body.err) // the client's side failed
	} else if err != nil {
		return reel.WrapError(reel.EINTERNAL, "Storing the file failed and nothing was kept; try again.", err)
	}
	u.stored = true
	if n == 0 {
		return reel.Errorf(reel.EINVALID, "The file is empty.")
	}
	return nil
}

// discard removes the original of a failed upload, if it got stored.
func (u *upload) discard() {
	if !u.stored {
		return
	}
	// The request's context may be gone; removal must happen regardless.
	if err := u.s.Originals.Delete(context.Background(), u.draft.OriginalKey); err != nil {
		u.s.Logger.Error("discard original", "video", u.draft.ID, "err", err)
	}
}

// bodyError turns a failure to read the body into a domain error.
func (u *upload) bodyError(err error) error {
	var maxBytes *http.MaxBytesError
	switch {
	case errors.Is(err, errTooLarge), errors.As(err, &maxBytes):
		return u.s.tooLarge()
	case errors.Is(err, context.Canceled):
		return err
	case reel.ErrorCode(err) != reel.EINTERNAL:
		return err
	}
	return reel.WrapError(reel.EINVALID, "The upload was cut off or the multipart body is malformed.", err)
}

// readRaw reads a small form field as sent, refusing one longer than max
// bytes. Enumerated fields are parsed from it uncleaned, so that a value
// with hidden characters is refused rather than taken for another.
func readRaw(r io.Reader, max int) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return "", err
	}
	if len(b) > max {
		return "", reel.Errorf(reel.EINVALID, "The title is longer than %d bytes.", max)
	}
	return string(b), nil
}

// limitReader reads at most n bytes from r and fails with errTooLarge if r
// holds more, rather than truncating silently. It keeps the error, so a
// failed Put can tell the client's fault from the store's.
type limitReader struct {
	r   io.Reader
	n   int64
	err error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	// Read one byte past the limit to tell "exactly n" from "more than n".
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		err = errTooLarge
	}
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}
