package reel

import (
	"context"
	"strconv"
	"time"
)

// Upload is the state of a resumable (tus) upload of a video's original.
// It lives in the database, not in a process, so that any reel process can
// take the next request of an upload, and a restart loses nothing.
type Upload struct {
	ID     string // the video's id: one upload per video
	Size   int64  // the original's declared length
	Offset int64  // bytes received and durable; the client resumes here

	// MultipartID is the originals store's multipart upload the parts go
	// to, "" for stores that append to a file (disk).
	MultipartID string
	// Parts are the parts uploaded to MultipartID, by ascending number.
	Parts []UploadPart
	// TailSize is how many bytes past the last part are kept in the tail
	// blob (TailKey), waiting to make a whole part with the next request.
	TailSize int64
	// TailSeq names the current tail blob; every write of a tail goes to
	// a new name so that the state in the database never points at a
	// blob a failed request overwrote.
	TailSeq int64

	Metadata  map[string]string // the client's Upload-Metadata, decoded
	ExpiresAt time.Time         // an unfinished upload is removed after it
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UploadPart is one part of an upload's multipart upload.
type UploadPart struct {
	Number int
	ETag   string
	Size   int64
}

// PartsSize returns the bytes held in u's parts.
func (u *Upload) PartsSize() int64 {
	var n int64
	for _, p := range u.Parts {
		n += p.Size
	}
	return n
}

// UploadAdvance is what one request adds to an upload.
type UploadAdvance struct {
	Offset    int64        // the new offset
	Parts     []UploadPart // parts added (a part with a stored number replaces it)
	TailSize  int64
	TailSeq   int64
	ExpiresAt time.Time
}

// UploadStore keeps the state of resumable uploads and their locks.
// Implementations return *Error with ENOTFOUND for an unknown upload.
type UploadStore interface {
	// CreateUpload stores u and its video v (uploading) in one
	// transaction, filling their timestamps.
	CreateUpload(ctx context.Context, u *Upload, v *Video) error
	// Upload returns the upload with the id, parts included.
	Upload(ctx context.Context, id string) (*Upload, error)
	// AdvanceUpload records a, but only if the stored offset is still
	// from: otherwise, someone else wrote meanwhile, and it returns
	// ECONFLICT and changes nothing.
	AdvanceUpload(ctx context.Context, id string, from int64, a UploadAdvance) error
	// DeleteUpload removes the upload's state (not its video); a missing
	// one is not an error.
	DeleteUpload(ctx context.Context, id string) error
	// ExpiredUploads returns up to limit uploads that expired before t.
	ExpiredUploads(ctx context.Context, t time.Time, limit int) ([]*Upload, error)

	// LockUpload takes the lock of the upload for owner until the given
	// time, if nobody holds it or its holder's lease ran out; it reports
	// whether it did.
	LockUpload(ctx context.Context, id, owner string, until time.Time) (bool, error)
	// RenewUploadLock extends owner's lease and reports whether another
	// request asked for the lock. It returns ECONFLICT if owner lost it.
	RenewUploadLock(ctx context.Context, id, owner string, until time.Time) (requested bool, err error)
	// RequestUploadUnlock asks the holder of the lock to let go.
	RequestUploadUnlock(ctx context.Context, id string) error
	// UnlockUpload releases owner's lock; a lock owner no longer holds
	// is left alone.
	UnlockUpload(ctx context.Context, id, owner string) error
	// DeleteStaleLocks removes locks whose lease ran out before t.
	DeleteStaleLocks(ctx context.Context, t time.Time) (int, error)
}

// TailKey is the key in the originals store of the bytes of an upload
// that do not yet fill a part.
func TailKey(id string, seq int64) string {
	return id + "/original.tail." + strconv.FormatInt(seq, 10)
}
