package web

// Direct uploads send the bytes of a video straight to the originals
// bucket, never through reel: reel starts an S3 multipart upload and hands
// out a presigned URL per part, the client PUTs the parts, then tells reel
// their ETags and reel completes the upload and queues the transcode. It
// needs an S3 originals store (s3://...); with a disk store the endpoints
// answer 409.
//
// 1. Create the video and the upload; "size" is the file's exact length:
//
//	curl -s -X POST http://localhost:8080/api/videos/direct \
//	  -H 'Content-Type: application/json' \
//	  -d '{"filename": "clip.mp4", "size": 26214400, "title": "My clip", "content_type": "video/mp4"}'
//
//	{"video": {"id": "k3x9...", "status": "uploading", ...},
//	 "upload_id": "...", "part_size": 8388608,
//	 "parts": [{"part_number": 1, "url": "https://bucket.s3.../k3x9.../original?partNumber=1&uploadId=...&X-Amz-Signature=..."}, ...],
//	 "expires_at": "2025-01-02T15:04:05Z", "complete_url": "/api/videos/k3x9.../complete"}
//
// 2. PUT bytes [(n-1)*part_size, n*part_size) of the file to the URL of
// part n (the last part takes the rest), in any order or in parallel,
// before expires_at, and keep each answer's ETag header. Send each part
// with a Content-Length (a file, not a pipe: S3 refuses chunked bodies).
//
// 3. Complete with the ETags:
//
//	curl -s -X POST http://localhost:8080/api/videos/k3x9.../complete \
//	  -H 'Content-Type: application/json' \
//	  -d '{"parts": [{"part_number": 1, "etag": "\"9b2cf535f27731c974343645a3985328\""}, ...]}'
//
// All three steps for a file f, with curl and jq:
//
//	curl -s -X POST http://localhost:8080/api/videos/direct -H 'Content-Type: application/json' \
//	  -d "{\"filename\": \"$f\", \"size\": $(stat -c %s "$f")}" > upload.json
//	split -b "$(jq .part_size upload.json)" -d -a 5 "$f" part.
//	jq -r '.parts[] | "\(.part_number) \(.url)"' upload.json | while read -r n url; do
//	  etag=$(curl -sf -T "part.$(printf %05d $((n - 1)))" -D - -o /dev/null "$url" |
//	    tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
//	  jq -n --argjson n "$n" --arg etag "$etag" '{part_number: $n, etag: $etag}'
//	done | jq -s '{parts: .}' > complete.json
//	curl -s -X POST "http://localhost:8080$(jq -r .complete_url upload.json)" \
//	  -H 'Content-Type: application/json' -d @complete.json
//
// The answer is the video, now queued for transcoding. Wrong or missing
// ETags answer 400 and leave the upload as it is, so the client can
// upload the missing parts and complete again until the URLs expire;
// after that the sweep of abandoned uploads (--abandon-after) aborts it.
// Browsers can read the ETag header only if the bucket's CORS rules
// expose it (ExposeHeaders: ETag) and allow PUT from the page's origin.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"reel"
	"reel/api"
	"reel/video"
)

// DirectUploadTTL is how long the part URLs of a direct upload stay
// valid. Abandoned uploads must not be swept before it passes.
const DirectUploadTTL = 24 * time.Hour

// Limits of direct uploads.
const (
	directMaxParts  = 10_000   // S3's limit of parts per upload
	maxDirectBody   = 64 << 10 // the create request's JSON
	maxCompleteBody = 2 << 20  // 10,000 parts of about 80 bytes each
)

// handleDirectCreate creates a video waiting for a direct upload and the
// multipart upload of its original, and answers 201 with presigned part
// URLs (see the top of this file).
func (s *Server) handleDirectCreate(w http.ResponseWriter, r *http.Request) {
	store, ok := s.Originals.(reel.MultipartBlobStore)
	if !ok {
		s.error(w, r, reel.Errorf(reel.ECONFLICT, "Direct uploads need an S3 originals store."))
		return
	}
	var req api.DirectUploadRequest
	if err := decodeJSON(w, r, maxDirectBody, &req); err != nil {
		s.error(w, r, err)
		return
	}
	switch {
	case req.Size <= 0:
		s.error(w, r, reel.Errorf(reel.EINVALID, "The size must be the file's exact length in bytes, more than 0."))
		return
	case req.Size > s.MaxUploadSize:
		s.error(w, r, s.tooLarge())
		return
	}
	visibility, err := reel.ParseVisibility(req.Visibility)
	if err != nil {
		s.error(w, r, err)
		return
	}
	codecs, err := reel.ParseCodecs(req.Codecs)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v, err := video.New(s.principal(r), video.Draft{
		Title: req.Title, Description: req.Description, Filename: req.Filename, ContentType: req.ContentType,
		Visibility: visibility, Encrypted: req.Encrypt, Codecs: codecs, Downloads: req.Downloads,
		Status: reel.StatusUploading,
		Size:   req.Size, // declared; Enqueue records the real size
	})
	if err != nil {
		s.error(w, r, err)
		return
	}

	ctx := r.Context()
	id := v.ID
	uploadID, err := store.CreateMultipart(ctx, v.OriginalKey)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v.UploadID = uploadID
	// From here on, a failure aborts the upload: no row points at it.
	abort := func(err error) {
		if aerr := store.AbortMultipart(context.WithoutCancel(ctx), v.OriginalKey, uploadID); aerr != nil {
			s.Logger.Error("abort direct upload", "video", id, "err", aerr)
		}
		s.error(w, r, err)
	}

	// The store plans the parts, as it does for reel's own uploads: with
	// a declared size, every part but the last has the same size.
	partSize := store.PartSize(req.Size, 1)
	n := int((req.Size + partSize - 1) / max(partSize, 1))
	if partSize < 1 || n > directMaxParts {
		abort(fmt.Errorf("direct upload of %d bytes: the store plans %d parts of %d bytes", req.Size, n, partSize))
		return
	}
	expires := s.Now().Add(DirectUploadTTL).Truncate(time.Second).UTC()
	parts := make([]api.DirectPart, n)
	for i := range parts {
		u, err := store.PresignPart(ctx, v.OriginalKey, uploadID, i+1, DirectUploadTTL)
		if err != nil {
			abort(err)
			return
		}
		parts[i] = api.DirectPart{Number: i + 1, URL: u}
	}
	if err := s.Videos.CreateVideo(ctx, v); err != nil {
		abort(err)
		return
	}
	s.Logger.Info("direct upload started", "video", id, "bytes", req.Size, "parts", n)
	s.json(w, http.StatusCreated, api.DirectUpload{
		Video: s.videoJSON(r, v), UploadID: uploadID, PartSize: partSize, Parts: parts,
		ExpiresAt: expires, CompleteURL: "/api/videos/" + id + "/complete",
	})
}

// handleDirectComplete completes the direct upload of a video with the
// ETags of its parts, then queues the transcode, and answers 200 with the
// video. Wrong parts answer 400 and leave the upload open for another try.
func (s *Server) handleDirectComplete(w http.ResponseWriter, r *http.Request) {
	v, err := s.managedVideo(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	store, ok := s.Originals.(reel.MultipartBlobStore)
	if !ok {
		s.error(w, r, reel.Errorf(reel.ECONFLICT, "Direct uploads need an S3 originals store."))
		return
	}
	if v.Status != reel.StatusUploading || v.UploadID == "" {
		s.error(w, r, reel.Errorf(reel.ECONFLICT, "The video is not waiting for a direct upload; it is %s.", v.Status))
		return
	}
	var req api.DirectComplete
	if err := decodeJSON(w, r, maxCompleteBody, &req); err != nil {
		s.error(w, r, err)
		return
	}
	parts, err := checkParts(req.Parts)
	if err != nil {
		s.error(w, r, err)
		return
	}

	ctx := r.Context()
	size, err := store.CompleteMultipart(ctx, v.OriginalKey, v.UploadID, parts)
	if reel.ErrorCode(err) == reel.EINVALID {
		// An earlier completion may have succeeded and failed only to
		// queue; then the upload is gone but the original is there.
		if b, oerr := s.Originals.Open(ctx, v.OriginalKey); oerr == nil {
			size, err = b.Size(), nil
			b.Close()
		}
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	// The part URLs cannot cap what a client PUTs: Complete checks the
	// size it came to.
	if v, err = s.videos.Complete(ctx, v, size); err != nil {
		s.error(w, r, err)
		return
	}
	// The upload is over; a failure to say so only leaves a stale id on a
	// queued video, which nothing reads.
	empty := ""
	if _, err := s.Videos.UpdateVideo(context.WithoutCancel(ctx), v.ID, reel.VideoUpdate{UploadID: &empty}); err != nil {
		s.Logger.Warn("clear upload id", "video", v.ID, "err", err)
	}
	v.UploadID = ""
	s.Logger.Info("direct upload complete", "video", v.ID, "bytes", size)
	s.json(w, http.StatusOK, s.videoJSON(r, v))
}

// checkParts returns the parts sorted by number, as S3 wants them, or an
// EINVALID error for an empty list, a number out of range, a number
// given twice or a missing ETag.
func checkParts(parts []reel.CompletedPart) ([]reel.CompletedPart, error) {
	if len(parts) == 0 || len(parts) > directMaxParts {
		return nil, reel.Errorf(reel.EINVALID, "parts must list 1 to %d parts, each with its part_number and etag.", directMaxParts)
	}
	parts = slices.Clone(parts)
	slices.SortFunc(parts, func(a, b reel.CompletedPart) int { return a.Number - b.Number })
	for i, p := range parts {
		switch {
		case p.Number < 1 || p.Number > directMaxParts:
			return nil, reel.Errorf(reel.EINVALID, "part_number %d is outside 1 to %d.", p.Number, directMaxParts)
		case i > 0 && parts[i-1].Number == p.Number:
			return nil, reel.Errorf(reel.EINVALID, "Part %d is listed twice.", p.Number)
		case strings.TrimSpace(p.ETag) == "" || len(p.ETag) > 200:
			return nil, reel.Errorf(reel.EINVALID, "Part %d has no valid etag: give the ETag header of its PUT answer.", p.Number)
		}
	}
	return parts, nil
}
