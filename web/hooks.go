package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"reel"
	"reel/video"
)

// Limits of S3 event bodies.
const (
	maxHookBody    = 1 << 20
	maxHookRecords = 1000
)

// s3Object is one record of an S3 event notification.
type s3Object struct {
	Event       string // such as "ObjectCreated:Put", without MinIO's "s3:"
	Bucket      string
	Key         string // decoded from the event's URL encoding
	Size        int64  // as the event says; the handler asks the store
	ContentType string // MinIO sends it; AWS does not
}

// s3EventJSON is an S3 event notification as AWS sends it, and as MinIO's
// webhook does with EventName and Key beside Records, which it ignores.
type s3EventJSON struct {
	Records []struct {
		EventName string `json:"eventName"`
		S3        struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key         string `json:"key"`
				Size        int64  `json:"size"`
				ContentType string `json:"contentType"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

// parseS3Event returns the records of an S3 event notification body, with
// keys decoded (events URL-encode them, "+" for a space), or an error if
// the body is no such notification.
func parseS3Event(body []byte) ([]s3Object, error) {
	var ev s3EventJSON
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, err
	}
	if len(ev.Records) == 0 {
		return nil, errors.New("no Records")
	}
	if len(ev.Records) > maxHookRecords {
		return nil, errors.New("too many Records")
	}
	objs := make([]s3Object, len(ev.Records))
	for i, rec := range ev.Records {
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			return nil, err
		}
		if rec.S3.Object.Size < 0 {
			return nil, errors.New("negative object size")
		}
		objs[i] = s3Object{
			Event: strings.TrimPrefix(rec.EventName, "s3:"), Bucket: rec.S3.Bucket.Name,
			Key: key, Size: rec.S3.Object.Size, ContentType: rec.S3.Object.ContentType,
		}
	}
	return objs, nil
}

// s3EventResponse is the answer to an event: the videos created, and how
// many records under the originals prefix were left alone.
type s3EventResponse struct {
	Created []string `json:"created"`
	Skipped int      `json:"skipped"`
}

// S3EventHandler returns the handler of POST /api/hooks/s3. For each
// ObjectCreated record under the originals prefix of cfg's bucket that
// reel does not know, it creates a video, queued, with its transcode job;
// other records are skipped (under the prefix) or ignored (elsewhere).
// A duplicate event creates nothing: originals are unique. It answers 404
// while cfg.Secret is empty, 401 without the secret, 400 for a body that
// is no S3 event or has no record under the prefix, and 200 otherwise.
// On a store or database failure it answers 500 and the sender retries;
// records done by then are skipped the second time.
func (s *Server) S3EventHandler(cfg HookConfig) http.HandlerFunc {
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	// Comparing digests keeps the comparison constant-time whatever the
	// length of the token presented.
	want := sha256.Sum256([]byte(cfg.Secret))
	return func(w http.ResponseWriter, r *http.Request) {
		if cfg.Secret == "" {
			s.error(w, r, reel.Errorf(reel.ENOTFOUND, "No such API endpoint."))
			return
		}
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="reel"`)
			s.error(w, r, reel.Errorf(reel.EUNAUTHORIZED, "Send the hook secret as Authorization: Bearer <secret>."))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			s.error(w, r, reel.Errorf(reel.ETOOLARGE, "The event is larger than %d bytes.", maxHookBody))
			return
		} else if err != nil {
			s.error(w, r, reel.WrapError(reel.EINVALID, "The event body was cut off.", err))
			return
		}
		objs, err := parseS3Event(body)
		if err != nil {
			s.error(w, r, reel.WrapError(reel.EINVALID, "The body is not an S3 event notification with Records.", err))
			return
		}

		res := s3EventResponse{Created: []string{}}
		usable := false
		for _, o := range objs {
			rel, ok := cfg.relativeKey(o)
			if !ok {
				continue
			}
			usable = true
			id, err := s.createFromEvent(r.Context(), o, rel)
			if err != nil {
				s.error(w, r, err)
				return
			}
			if id == "" {
				res.Skipped++
			} else {
				res.Created = append(res.Created, id)
			}
		}
		if !usable {
			s.error(w, r, reel.Errorf(reel.EINVALID, "The event names no object under the originals prefix %q of bucket %q.", cfg.Prefix, cfg.Bucket))
			return
		}
		s.json(w, http.StatusOK, res)
	}
}

// relativeKey returns the blob key in the originals store of the object,
// or false if the object is not in the store or its key is no blob key.
func (cfg *HookConfig) relativeKey(o s3Object) (string, bool) {
	rel, ok := strings.CutPrefix(o.Key, cfg.Prefix)
	if !ok || o.Bucket != cfg.Bucket {
		return "", false
	}
	// The same rule as the stores': a relative path without empty, "."
	// or ".." elements, in UTF-8.
	if !fs.ValidPath(rel) || rel == "." || !utf8.ValidString(rel) || strings.ContainsRune(rel, 0) {
		return "", false
	}
	return rel, true
}

// createFromEvent creates the queued video of an object named by an event
// and returns its id, or "" when the object is no new original.
func (s *Server) createFromEvent(ctx context.Context, o s3Object, rel string) (string, error) {
	log := s.Logger.With("key", rel, "event", o.Event)
	switch {
	case !strings.HasPrefix(o.Event, "ObjectCreated:"):
		return "", nil // removals, reads, tags: nothing to transcode
	case strings.HasPrefix(rel, "."):
		return "", nil // hidden files, and the stores' access check probe
	case reelLayout(rel):
		// reel writes these itself and creates their rows itself, maybe
		// only after the event arrives (an upload's row appears once its
		// original is complete): a row made here would race it.
		log.Debug("s3 event for reel's own object skipped")
		return "", nil
	}
	// The event may be late or replayed: only an object still there is
	// transcoded, and the store's size is the truth.
	b, err := s.Originals.Open(ctx, rel)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		log.Info("s3 event for an object gone since skipped")
		return "", nil
	} else if err != nil {
		return "", err
	}
	size := b.Size()
	b.Close()
	if size == 0 {
		return "", nil // an empty file is no video
	}

	// The object is the original, already whole: the video is queued,
	// made by reel itself (video.System), titled after the file.
	name := reel.CleanFilename(path.Base(rel))
	d := video.Draft{
		OriginalKey: rel, Title: strings.TrimSuffix(name, path.Ext(name)), Filename: name,
		ContentType: reel.CleanContentType(o.ContentType), Status: reel.StatusQueued, Size: size,
	}
	if d.ContentType == "" {
		d.ContentType = mime.TypeByExtension(path.Ext(name))
	}
	v, err := video.New(video.System(), d)
	if err != nil {
		return "", err
	}
	if size > s.MaxUploadSize {
		// The bucket took it, but reel does not transcode what it would
		// refuse as an upload: the video says why, the object stays.
		v.Status = reel.StatusFailed
		v.Error = fmt.Sprintf("The file is %d bytes, larger than the upload limit of %d bytes.", size, s.MaxUploadSize)
	}
	err = s.Videos.CreateVideo(ctx, v)
	if reel.ErrorCode(err) == reel.ECONFLICT {
		return "", nil // a duplicate event: the original has its video
	} else if err != nil {
		return "", err
	}
	if v.Status == reel.StatusFailed {
		log.Warn("video from s3 event failed: over the upload size limit", "video", v.ID, "bytes", size, "limit", s.MaxUploadSize)
		return v.ID, nil
	}
	log.Info("video created from s3 event", "video", v.ID, "bytes", size)
	return v.ID, nil
}

// reelLayout reports whether key lies inside a video's folder, where reel
// itself writes originals (<id>/original) and outputs (<id>/720p/...):
// some element but the last is a video id. Outputs in the same bucket
// under the originals prefix must never turn into new videos, which would
// be transcoded into more outputs, without end.
func reelLayout(key string) bool {
	elems := strings.Split(key, "/")
	for _, e := range elems[:len(elems)-1] {
		if reel.ValidID(e) {
			return true
		}
	}
	return false
}
