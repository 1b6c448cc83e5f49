// Package video is the one home of a video's use cases, whatever the
// entry point: create it (with its owner and visibility), complete its
// original (queue the transcode), update, delete and retry it, and the
// rules of who may do what to which video. The HTTP handlers (package
// web) and the tus store translate requests into these calls; the stores
// below keep the state. It imports only the root package.
//
// Who asks is a *reel.Principal: a key's role and id, nil for an
// anonymous caller, System for reel itself (storage events).
package video

import (
	"context"
	"log/slog"

	"reel"
)

// System is the caller of what reel does on its own, such as creating a
// video for an object a storage event announces: an admin that owns
// nothing.
func System() *reel.Principal {
	return &reel.Principal{Role: reel.RoleAdmin, Name: "reel"}
}

// The rules: who may do what to which video.

// MayCreate reports why p may not create videos, or nil: anonymous
// callers must authenticate; uploaders and admins may, viewers not.
func MayCreate(p *reel.Principal) error {
	switch {
	case p == nil:
		return reel.Errorf(reel.EUNAUTHORIZED, "Sign in or send an API key (Authorization: Bearer <key>).")
	case !p.CanUpload():
		return reel.Errorf(reel.EFORBIDDEN, "This key may not upload.")
	}
	return nil
}

// CanSee reports whether p may read v and play it: anyone public and
// unlisted videos, private ones only their owner, viewers and admins.
func CanSee(p *reel.Principal, v *reel.Video) bool {
	if p == nil {
		return v.Visibility != reel.VisibilityPrivate
	}
	return p.CanSee(v)
}

// CanManage reports whether p may change, complete, retry or delete v:
// its owner (an uploader) or an admin.
func CanManage(p *reel.Principal, v *reel.Video) bool {
	return p != nil && p.CanManage(v)
}

// Draft is what a client says about a new video, at any entry point.
// Names are as sent; enumerated fields are parsed by the entry point with
// reel's parsers (reel.ParseVisibility, reel.ParseEncrypt,
// reel.ParseCodecs, reel.ParseDownloads), so that a bad
// spelling is refused as soon as it is read.
type Draft struct {
	// ID and OriginalKey, if set, are the ones the entry point stored the
	// original under; otherwise New makes them.
	ID          string
	OriginalKey string

	Title       string
	Description string
	Filename    string
	ContentType string
	Visibility  reel.Visibility // "" is stored as reel.DefaultVisibility
	Encrypted   bool
	// Codecs and Downloads are the video's own choices; nil for the
	// server's defaults.
	Codecs    []string
	Downloads *bool

	// Status is uploading while bytes are still to come, queued once
	// the original is stored (the store then inserts its job).
	Status reel.Status
	// Size is the original's size, or the size declared for it.
	Size int64
}

// New returns the video p creates from d, ready to store: p must be
// allowed to create videos, and owns the video (an admin's open mode and
// System own nothing); names are cleaned (reel.CleanTitle,
// reel.CleanFilename, reel.CleanContentType) and the whole checked
// (reel.Video.Validate).
func New(p *reel.Principal, d Draft) (*reel.Video, error) {
	if err := MayCreate(p); err != nil {
		return nil, err
	}
	title, err := reel.CleanTitle(d.Title)
	if err != nil {
		return nil, err
	}
	description, err := reel.CleanDescription(d.Description)
	if err != nil {
		return nil, err
	}
	v := &reel.Video{
		ID: d.ID, OriginalKey: d.OriginalKey, Owner: p.KeyID,
		Title: title, Description: description, Filename: reel.CleanFilename(d.Filename), ContentType: reel.CleanContentType(d.ContentType),
		Visibility: d.Visibility, Encrypted: d.Encrypted, Codecs: d.Codecs, Downloads: d.Downloads, Status: d.Status, Size: d.Size,
	}
	if v.ID == "" {
		v.ID = reel.NewID()
	}
	if v.OriginalKey == "" {
		v.OriginalKey = reel.OriginalKey(v.ID)
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// JobCanceler cancels a video's transcode job when the video is deleted.
type JobCanceler interface {
	Cancel(ctx context.Context, jobID int64) error
}

// UploadRemover removes a video's unfinished resumable upload: its parts,
// partial file and leftovers in the originals store, its state and its
// video (tus.Store).
type UploadRemover interface {
	Remove(ctx context.Context, videoID string) error
}

// Service runs the use cases on existing videos against the stores.
type Service struct {
	Videos    reel.VideoStore
	Originals reel.BlobStore
	Outputs   reel.BlobStore
	Jobs      JobCanceler
	// Uploads removes unfinished resumable uploads; nil without them.
	Uploads UploadRemover
	// MaxUploadSize is the largest original transcoded, in bytes.
	MaxUploadSize int64
	Logger        *slog.Logger
}

// Visible returns the video with the id if p may see it, and ENOTFOUND
// otherwise, so private videos stay unknown.
func (s *Service) Visible(ctx context.Context, p *reel.Principal, id string) (*reel.Video, error) {
	if !reel.ValidID(id) {
		return nil, reel.Errorf(reel.ENOTFOUND, "Video not found.")
	}
	v, err := s.Videos.Video(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanSee(p, v) {
		return nil, reel.Errorf(reel.ENOTFOUND, "Video not found.")
	}
	return v, nil
}

// Managed returns the video with the id if p may change it: ENOTFOUND if
// p may not even see it, EFORBIDDEN if p may see but not change it.
func (s *Service) Managed(ctx context.Context, p *reel.Principal, id string) (*reel.Video, error) {
	v, err := s.Visible(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !CanManage(p, v) {
		return nil, reel.Errorf(reel.EFORBIDDEN, "Only the video's owner or an admin may change it.")
	}
	return v, nil
}

// Changes are the fields of a video its owner may change; nil fields stay.
type Changes struct {
	Title       *string          // as sent
	Description *string          // as sent
	Visibility  *reel.Visibility // parsed with reel.ParseVisibility
}

// Update changes a video's title, description or visibility: the
// owner's or an admin's right.
func (s *Service) Update(ctx context.Context, p *reel.Principal, id string, c Changes) (*reel.Video, error) {
	v, err := s.Managed(ctx, p, id)
	if err != nil {
		return nil, err
	}
	var u reel.VideoUpdate
	if c.Title != nil {
		title, err := reel.CleanTitle(*c.Title)
		if err != nil {
			return nil, err
		}
		u.Title = &title
	}
	if c.Description != nil {
		description, err := reel.CleanDescription(*c.Description)
		if err != nil {
			return nil, err
		}
		u.Description = &description
	}
	if c.Visibility != nil {
		if !reel.ValidVisibility(*c.Visibility) {
			return nil, reel.Errorf(reel.EINVALID, "visibility must be public, unlisted or private.")
		}
		u.Visibility = c.Visibility
	}
	if u.Title == nil && u.Description == nil && u.Visibility == nil {
		return nil, reel.Errorf(reel.EINVALID, "Send \"title\", \"description\" or \"visibility\".")
	}
	return s.Videos.UpdateVideo(ctx, v.ID, u)
}

// Delete removes a video: the row first, so it disappears at once, then
// its job, original and outputs, and, while it is still uploading, its
// resumable upload. A transcode still running notices the row is gone and
// cleans up after itself. It returns the video as it was.
func (s *Service) Delete(ctx context.Context, p *reel.Principal, id string) (*reel.Video, error) {
	v, err := s.Managed(ctx, p, id)
	if err != nil {
		return nil, err
	}
	removed := false
	if s.Uploads != nil && v.Status == reel.StatusUploading {
		// A resumable upload leaves more than the original: a multipart
		// upload or a partial file, leftovers, its state. Its removal
		// deletes the video too.
		if err := s.Uploads.Remove(ctx, v.ID); err != nil {
			return nil, err
		}
		removed = true
	}
	if err := s.Videos.DeleteVideo(ctx, v.ID); err != nil && !(removed && reel.ErrorCode(err) == reel.ENOTFOUND) {
		return nil, err
	}
	log := s.logger().With("video", v.ID)
	if s.Jobs != nil {
		if err := s.Jobs.Cancel(ctx, v.JobID); err != nil {
			log.Warn("cancel transcode job", "job", v.JobID, "err", err)
		}
	}
	if err := s.Originals.Delete(ctx, v.OriginalKey); err != nil {
		log.Error("delete original", "err", err)
	}
	if err := s.Outputs.DeletePrefix(ctx, reel.OutputPrefix(v.ID)); err != nil {
		log.Error("delete outputs", "err", err)
	}
	return v, nil
}

// Retry queues a failed video's transcode again; ECONFLICT if it has not
// failed, ETOOLARGE if its original is over the size limit (a storage
// event's original failed for its size must not be transcoded either).
func (s *Service) Retry(ctx context.Context, p *reel.Principal, id string) (*reel.Video, error) {
	v, err := s.Managed(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if v.Status != reel.StatusFailed {
		return nil, reel.Errorf(reel.ECONFLICT, "Only a failed video can be retried; this one is %s.", v.Status)
	}
	if v.Size > s.MaxUploadSize {
		return nil, s.TooLarge()
	}
	return s.Videos.Enqueue(ctx, v.ID, v.Size, nil)
}

// Complete records that the original of v, uploading, is whole at size
// bytes, and queues its transcode (the store inserts the job in the same
// transaction). An original over the size limit, which a client can send
// to the bucket directly, is deleted and the video marked failed with
// the reason; the error is then ETOOLARGE.
func (s *Service) Complete(ctx context.Context, v *reel.Video, size int64) (*reel.Video, error) {
	if size > s.MaxUploadSize {
		reason := reel.Errorf(reel.ETOOLARGE, "The file is %d bytes, larger than the limit of %d bytes.", size, s.MaxUploadSize)
		s.reject(ctx, v, reason)
		return nil, s.TooLarge()
	}
	return s.Videos.Enqueue(ctx, v.ID, size, nil)
}

// reject removes the completed original of a video that may not be kept
// and marks the video failed with the reason.
func (s *Service) reject(ctx context.Context, v *reel.Video, reason error) {
	ctx = context.WithoutCancel(ctx)
	log := s.logger().With("video", v.ID)
	if err := s.Originals.Delete(ctx, v.OriginalKey); err != nil {
		log.Error("delete rejected original", "err", err)
	}
	failed, msg, empty := reel.StatusFailed, reel.ErrorMessage(reason), ""
	if _, err := s.Videos.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &failed, Error: &msg, UploadID: &empty}); err != nil {
		log.Error("mark rejected video failed", "err", err)
	}
}

// TooLarge is the error of an original over MaxUploadSize.
func (s *Service) TooLarge() error {
	return reel.Errorf(reel.ETOOLARGE, "The file is larger than the limit of %d bytes.", s.MaxUploadSize)
}

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}
