package tus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"reel"
	"reel/api"
	"reel/video"
)

// Appender is the capability of originals stores that grow a file in
// place (disk.Store).
type Appender interface {
	reel.BlobStore
	// Append writes r to the blob under key from offset on, durably,
	// discarding anything past offset first.
	Append(ctx context.Context, key string, offset int64, r io.Reader) (int64, error)
	// Truncate cuts the blob under key to size bytes.
	Truncate(key string, size int64) error
}

// PartStore is the capability of originals stores that take a blob in
// parts of a multipart upload sent from memory (an S3 store), one request
// at a time. Parts are sized by the store (reel.MultipartBlobStore's
// PartSize).
type PartStore interface {
	reel.BlobStore
	reel.MultipartBlobStore
	// PartsInFlight returns how many parts of one upload to send at once.
	PartsInFlight() int
	// ReadPart reads up to size bytes of r into the store's memory; a
	// part shorter than size means r ended.
	ReadPart(ctx context.Context, r io.Reader, size int64) (reel.Part, error)
	// UploadPart sends p as part number n of the multipart upload and
	// returns the part's ETag.
	UploadPart(ctx context.Context, key, uploadID string, n int, p reel.Part) (string, error)
	// PutPart stores p's bytes as the whole blob under key.
	PutPart(ctx context.Context, key string, p reel.Part) error
}

// Limits of what a client names its upload with.
const (
	maxMetadataBytes = 16 << 10 // the whole Upload-Metadata header: a description is up to 5000 bytes
)

// Errors tusd answers with the status given.
var (
	errExpired   = handler.NewError("ERR_UPLOAD_EXPIRED", "upload expired", http.StatusGone)
	errChecksum  = handler.NewError("ERR_CHECKSUM_MISMATCH", "checksum mismatch: the chunk was discarded, resume from the upload's offset", 460)
	errEmpty     = handler.NewError("ERR_EMPTY_UPLOAD", "an empty file is no video: Upload-Length must be more than 0", http.StatusBadRequest)
	errFinished  = handler.NewError("ERR_UPLOAD_FINISHED", "the upload is finished: delete the video with DELETE /api/videos/<id> instead", http.StatusForbidden)
	errNoReading = handler.NewError("ERR_NOT_IMPLEMENTED", "uploads cannot be read back here", http.StatusNotImplemented)
)

// Store is tusd's data store: uploads are videos, their state is in the
// database and their bytes go straight to the originals store.
type Store struct {
	videos    reel.VideoStore
	uploads   reel.UploadStore
	originals reel.BlobStore
	appender  Appender  // set when originals appends (disk)
	parts     PartStore // set when originals takes parts (S3)
	expiry    time.Duration
	locks     *locker
	caller    func(ctx context.Context) *reel.Principal
	now       func() time.Time
	log       *slog.Logger
}

func newStore(cfg Config) (*Store, error) {
	s := &Store{
		videos: cfg.Videos, uploads: cfg.Uploads, originals: cfg.Originals,
		expiry: cfg.Expiry, now: cfg.Now, log: cfg.Logger, caller: cfg.Caller,
		locks: &locker{uploads: cfg.Uploads, ttl: cfg.LockTTL, log: cfg.Logger},
	}
	switch o := cfg.Originals.(type) {
	case PartStore:
		s.parts = o
	case Appender:
		s.appender = o
	default:
		return nil, fmt.Errorf("tus: originals store %T can neither append nor upload parts", cfg.Originals)
	}
	return s, nil
}

// upload is one upload as tusd handles it. st is nil once the upload is
// finished; video then answers for it.
type upload struct {
	s     *Store
	st    *reel.Upload
	video *reel.Video
}

// NewUpload creates the video, uploading, and the upload's state.
func (s *Store) NewUpload(ctx context.Context, info handler.FileInfo) (handler.Upload, error) {
	up, err := s.newUpload(ctx, info)
	return up, s.public(err, "create upload")
}

func (s *Store) newUpload(ctx context.Context, info handler.FileInfo) (handler.Upload, error) {
	rs := stateOf(ctx)
	if err := rs.requestError(); err != nil {
		return nil, err
	}
	if info.Size <= 0 {
		return nil, errEmpty
	}
	now := s.now()
	meta := map[string]string{}
	for _, k := range []string{"filename", "filetype", "title", "visibility", "encrypt", "codecs", "downloads"} {
		if v, ok := info.MetaData[k]; ok {
			meta[k] = reel.Sanitize(v, reel.MaxTitleBytes)
		}
	}
	if v, ok := info.MetaData["description"]; ok {
		meta["description"] = reel.Sanitize(v, reel.MaxDescriptionBytes)
	}
	// The same parsers as the form's and the JSON's: an unknown spelling
	// is refused, never taken as the default.
	d := video.Draft{
		Title: info.MetaData["title"], Description: info.MetaData["description"],
		Filename: info.MetaData["filename"], ContentType: info.MetaData["filetype"],
		Status: reel.StatusUploading,
		Size:   info.Size, // declared; Enqueue records the real size
	}
	var err error
	if d.Visibility, err = reel.ParseVisibility(info.MetaData["visibility"]); err != nil {
		return nil, handler.NewError("ERR_INVALID_METADATA", "visibility is public, unlisted or private", http.StatusBadRequest)
	}
	if d.Encrypted, err = reel.ParseEncrypt(info.MetaData["encrypt"]); err != nil {
		return nil, handler.NewError("ERR_INVALID_METADATA", "encrypt is true or false (or 1/0, yes/no, on/off)", http.StatusBadRequest)
	}
	if d.Codecs, err = reel.ParseCodecs(info.MetaData["codecs"]); err != nil {
		return nil, handler.NewError("ERR_INVALID_METADATA", reel.ErrorMessage(err), http.StatusBadRequest)
	}
	if d.Downloads, err = reel.ParseDownloads(info.MetaData["downloads"]); err != nil {
		return nil, handler.NewError("ERR_INVALID_METADATA", "downloads is true or false (or 1/0, yes/no, on/off)", http.StatusBadRequest)
	}
	caller := video.System()
	if s.caller != nil {
		caller = s.caller(ctx)
	}
	v, err := video.New(caller, d)
	if reel.ErrorCode(err) == reel.EINVALID {
		return nil, handler.NewError("ERR_INVALID_METADATA", reel.ErrorMessage(err), http.StatusBadRequest)
	} else if err != nil {
		return nil, err
	}
	id := v.ID
	st := &reel.Upload{ID: id, Size: info.Size, Metadata: meta, ExpiresAt: now.Add(s.expiry)}

	var undo func()
	if s.parts != nil {
		mp, err := s.parts.CreateMultipart(ctx, v.OriginalKey)
		if err != nil {
			return nil, err
		}
		st.MultipartID = mp
		undo = func() { s.parts.AbortMultipart(context.WithoutCancel(ctx), v.OriginalKey, mp) }
	} else {
		// The file exists from the start, so that HEAD and the first
		// PATCH find it.
		if _, err := s.appender.Append(ctx, v.OriginalKey, 0, strings.NewReader("")); err != nil {
			return nil, err
		}
		undo = func() { s.appender.Delete(context.WithoutCancel(ctx), v.OriginalKey) }
	}
	if err := s.uploads.CreateUpload(ctx, st, v); err != nil {
		undo()
		return nil, err
	}
	rs.noteUpload(st)
	s.log.Info("upload created", "video", id, "size", info.Size)
	return &upload{s: s, st: st}, nil
}

// GetUpload loads the upload's state from the database. A finished
// upload is its video; an expired one answers 410 until removed.
func (s *Store) GetUpload(ctx context.Context, id string) (handler.Upload, error) {
	up, err := s.getUpload(ctx, id)
	return up, s.public(err, "load upload", "video", id)
}

func (s *Store) getUpload(ctx context.Context, id string) (handler.Upload, error) {
	if !reel.ValidID(id) {
		return nil, handler.ErrNotFound
	}
	rs := stateOf(ctx)
	st, err := s.uploads.Upload(ctx, id)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		v, err := s.videos.Video(ctx, id)
		if reel.ErrorCode(err) == reel.ENOTFOUND || (err == nil && v.Status == reel.StatusUploading) {
			// Unknown, removed, or a video uploading some other way.
			return nil, handler.ErrNotFound
		} else if err != nil {
			return nil, err
		}
		rs.noteFinished()
		return &upload{s: s, video: v}, nil
	} else if err != nil {
		return nil, err
	}
	if s.now().After(st.ExpiresAt) {
		return nil, errExpired
	}
	u := &upload{s: s, st: st}
	if st.Offset == st.Size {
		// Every byte is in but the request that brought the last one
		// did not finish the upload (a crash, a failing store): finish
		// it now, under this request's lock.
		if err := u.FinishUpload(ctx); err != nil {
			return nil, err
		}
		return u, nil
	}
	rs.noteUpload(st)
	return u, nil
}

// AsTerminatableUpload returns the upload: it terminates itself.
func (s *Store) AsTerminatableUpload(up handler.Upload) handler.TerminatableUpload {
	return up.(*upload)
}

// GetInfo returns what tusd answers HEAD with.
func (u *upload) GetInfo(ctx context.Context) (handler.FileInfo, error) {
	if u.st == nil {
		meta := handler.MetaData{}
		for k, v := range map[string]string{"filename": u.video.Filename, "filetype": u.video.ContentType, "title": u.video.Title} {
			if v != "" {
				meta[k] = v
			}
		}
		return handler.FileInfo{ID: u.video.ID, Size: u.video.Size, Offset: u.video.Size, MetaData: meta}, nil
	}
	return handler.FileInfo{ID: u.st.ID, Size: u.st.Size, Offset: u.st.Offset, MetaData: u.st.Metadata}, nil
}

// GetReader is not offered: downloads are disabled.
func (u *upload) GetReader(ctx context.Context) (io.ReadCloser, error) {
	return nil, errNoReading
}

// WriteChunk streams the request body to the originals store, then
// records the new offset; a checksum that does not match records nothing.
func (u *upload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	rs := stateOf(ctx)
	if err := rs.requestError(); err != nil {
		return 0, err
	}
	if u.st == nil {
		return 0, errFinished
	}
	if offset != u.st.Offset {
		return 0, handler.ErrMismatchOffset
	}
	sum := rs.checksum
	if sum != nil {
		src = io.TeeReader(src, sum.h)
	}
	var n int64
	var err error
	if u.s.parts != nil {
		n, err = u.writeParts(ctx, src, sum)
	} else {
		n, err = u.writeFile(ctx, src, sum)
	}
	rs.noteUpload(u.st)
	return n, u.s.public(err, "write chunk", "video", u.st.ID)
}

// writeFile appends to the original's file, then records the offset. A
// chunk with a wrong checksum is cut away again.
func (u *upload) writeFile(ctx context.Context, src io.Reader, sum *checksum) (int64, error) {
	st, key := u.st, reel.OriginalKey(u.st.ID)
	n, err := u.s.appender.Append(ctx, key, st.Offset, src)
	if err == nil && sum != nil && !sum.ok() {
		err = errChecksum
	}
	if err != nil {
		// The next Append would cut them too; cut now so the file never
		// holds more than was recorded for long.
		if terr := u.s.appender.Truncate(key, st.Offset); terr != nil {
			u.s.log.Warn("cutting back an upload's file", "video", st.ID, "err", terr)
		}
		return 0, err
	}
	adv := reel.UploadAdvance{Offset: st.Offset + n, ExpiresAt: st.ExpiresAt}
	if err := u.advance(ctx, adv, nil); err != nil {
		return 0, err
	}
	return n, nil
}

// advance records adv and applies it to u.st.
func (u *upload) advance(ctx context.Context, adv reel.UploadAdvance, parts []reel.UploadPart) error {
	adv.Parts = parts
	err := u.s.uploads.AdvanceUpload(ctx, u.st.ID, u.st.Offset, adv)
	if reel.ErrorCode(err) == reel.ECONFLICT {
		return handler.ErrMismatchOffset
	} else if err != nil {
		return err
	}
	u.st.Offset, u.st.TailSize, u.st.TailSeq = adv.Offset, adv.TailSize, adv.TailSeq
	u.st.Parts = append(u.st.Parts, parts...)
	return nil
}

// FinishUpload finalizes the original and enqueues the transcode, then
// forgets the upload's state. Every step may be repeated, so that a
// finish cut short is completed by the next request (see GetUpload).
func (u *upload) FinishUpload(ctx context.Context) error {
	if u.st == nil {
		return nil
	}
	id := u.st.ID
	return u.s.public(u.finish(ctx), "finish upload", "video", id)
}

func (u *upload) finish(ctx context.Context) error {
	st, key := u.st, reel.OriginalKey(u.st.ID)
	if st.Offset != st.Size {
		return fmt.Errorf("finish upload %s at %d of %d bytes", st.ID, st.Offset, st.Size)
	}
	if u.s.parts != nil {
		parts := make([]reel.CompletedPart, len(st.Parts))
		for i, p := range st.Parts {
			parts[i] = reel.CompletedPart{Number: p.Number, ETag: p.ETag}
		}
		if _, err := u.s.parts.CompleteMultipart(ctx, key, st.MultipartID, parts); err != nil {
			// Completed already by a finish cut short after it?
			// S3 refusing the parts is no fault of the client's.
			err = reel.WrapError(reel.EINTERNAL, "complete the multipart upload", err)
			b, oerr := u.s.parts.Open(ctx, key)
			if oerr != nil {
				return err
			}
			size := b.Size()
			b.Close()
			if size != st.Size {
				return err
			}
		}
		if st.TailSeq > 0 {
			if err := u.s.parts.Delete(ctx, reel.TailKey(st.ID, st.TailSeq)); err != nil {
				u.s.log.Warn("deleting an upload's tail", "video", st.ID, "err", err)
			}
		}
	}
	_, err := u.s.videos.Enqueue(ctx, st.ID, st.Size, nil)
	if err != nil && reel.ErrorCode(err) != reel.ECONFLICT { // ECONFLICT: queued already
		return err
	}
	if err := u.s.uploads.DeleteUpload(ctx, st.ID); err != nil {
		return err
	}
	u.s.log.Info("upload finished", "video", st.ID, "size", st.Size)
	v, err := u.s.videos.Video(ctx, st.ID)
	if err != nil {
		return err
	}
	u.st, u.video = nil, v
	stateOf(ctx).noteFinished()
	return nil
}

// Terminate removes an unfinished upload: its bytes, state and video.
func (u *upload) Terminate(ctx context.Context) error {
	if u.st == nil {
		return errFinished
	}
	err := u.s.remove(ctx, u.st)
	if err == nil {
		stateOf(ctx).noteFinished() // gone: no Upload-Expires
	}
	return u.s.public(err, "terminate upload", "video", u.st.ID)
}

// public returns err as tusd should answer it: tusd's own errors as they
// are, a domain error that is the client's fault as 400, anything else
// logged here and answered as a bare 500, so that no store's message
// reaches the client.
func (s *Store) public(err error, op string, args ...any) error {
	var herr handler.Error
	switch code := reel.ErrorCode(err); {
	case err == nil || errors.As(err, &herr):
		return err
	case code == reel.EINVALID || code == reel.EUNAUTHORIZED || code == reel.EFORBIDDEN:
		// The client's fault: its status as the rest of the API answers it.
		return handler.NewError("ERR_"+strings.ToUpper(code), reel.ErrorMessage(err), api.Status(code))
	case code == reel.EUNAVAILABLE:
		// The database is gone for now: the bytes stored so far are kept
		// and the client resumes from the offset once it is back.
		s.log.Warn(op, append(args, "err", err)...)
		return handler.NewError("ERR_UNAVAILABLE", reel.ErrorMessage(err), api.Status(code))
	}
	s.log.Error(op, append(args, "err", err)...)
	return handler.NewError("ERR_INTERNAL_SERVER_ERROR", "internal error", http.StatusInternalServerError)
}

// remove deletes what an unfinished upload left in the originals store,
// its state and its video, as long as the video is still uploading.
func (s *Store) remove(ctx context.Context, st *reel.Upload) error {
	key := reel.OriginalKey(st.ID)
	v, err := s.videos.Video(ctx, st.ID)
	if err != nil && reel.ErrorCode(err) != reel.ENOTFOUND {
		return err
	}
	uploading := err == nil && v.Status == reel.StatusUploading
	var errs []error
	if st.MultipartID != "" && s.parts != nil {
		// A completed multipart upload is gone already: not an error.
		errs = append(errs, s.parts.AbortMultipart(ctx, key, st.MultipartID))
	}
	if st.TailSeq > 0 {
		errs = append(errs, s.originals.Delete(ctx, reel.TailKey(st.ID, st.TailSeq)))
	}
	if uploading && s.appender != nil {
		errs = append(errs, s.appender.Delete(ctx, key))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if uploading {
		// The upload's state goes with its video.
		err = s.videos.DeleteVideo(ctx, st.ID)
		if reel.ErrorCode(err) == reel.ENOTFOUND {
			err = nil
		}
	} else {
		err = s.uploads.DeleteUpload(ctx, st.ID)
	}
	if err == nil {
		s.log.Info("upload removed", "video", st.ID, "offset", st.Offset, "size", st.Size)
	}
	return err
}

// Remove removes the unfinished upload of video id as termination does:
// the multipart upload aborted or the partial file deleted, the leftover
// deleted, the video and its state gone. DELETE /api/videos/{id} calls it
// for a video still uploading. A video without an upload is not an error.
func (s *Store) Remove(ctx context.Context, id string) error {
	st, err := s.uploads.Upload(ctx, id)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	return s.remove(ctx, st)
}

// Expire removes the uploads expired by now whose lock is free, and stale
// locks, and returns how many uploads it removed. The periodic job runs it.
func (s *Store) Expire(ctx context.Context) (int, error) {
	removed := 0
	for {
		expired, err := s.uploads.ExpiredUploads(ctx, s.now(), 100)
		if err != nil {
			return removed, err
		}
		progress := false
		for _, st := range expired {
			ok, err := s.expireOne(ctx, st.ID)
			if err != nil {
				return removed, fmt.Errorf("expire upload %s: %w", st.ID, err)
			}
			if ok {
				removed++
				progress = true
			}
		}
		if len(expired) < 100 || !progress {
			break
		}
	}
	_, err := s.uploads.DeleteStaleLocks(ctx, time.Now().Add(-time.Minute))
	return removed, err
}

// expireOne removes the upload if it is still expired and nobody holds
// its lock (a request in flight finishes first; the next run takes it).
func (s *Store) expireOne(ctx context.Context, id string) (bool, error) {
	l := &lock{locker: s.locks, id: id}
	if ok, err := l.try(ctx); err != nil || !ok {
		return false, err
	}
	defer l.Unlock()
	st, err := s.uploads.Upload(ctx, id)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if !s.now().After(st.ExpiresAt) {
		return false, nil
	}
	return true, s.remove(ctx, st)
}
