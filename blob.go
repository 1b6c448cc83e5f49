package reel

import (
	"context"
	"io"
	"time"
)

// BlobStore holds files by key: originals in one store, outputs in another.
// Keys are slash-separated and never start with a slash or contain "..".
type BlobStore interface {
	// Put stores everything r yields under key. The blob becomes visible only
	// once complete; if r fails or ctx ends, nothing is left behind and the
	// error is returned. It returns the number of bytes stored.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns the blob under key, or an *Error with ENOTFOUND.
	Open(ctx context.Context, key string) (Blob, error)
	// Delete removes the blob under key; a missing blob is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every blob whose key starts with prefix.
	DeletePrefix(ctx context.Context, prefix string) error
}

// Blob is an open blob: seekable so that HTTP range requests work.
type Blob interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
}

// MultipartBlobStore is the optional capability of stores that let a
// client upload a blob in parts straight to them (S3 multipart upload with
// presigned part URLs), so that large files need not pass through reel.
type MultipartBlobStore interface {
	// CreateMultipart starts an upload to key and returns its id.
	CreateMultipart(ctx context.Context, key string) (uploadID string, err error)
	// PresignPart returns a URL to PUT part number part (1-based) to,
	// valid for ttl.
	PresignPart(ctx context.Context, key, uploadID string, part int, ttl time.Duration) (string, error)
	// CompleteMultipart assembles the parts and returns the blob's size.
	// Parts that do not match what was uploaded give an *Error with
	// EINVALID.
	CompleteMultipart(ctx context.Context, key, uploadID string, parts []CompletedPart) (int64, error)
	// AbortMultipart discards the upload and its parts.
	AbortMultipart(ctx context.Context, key, uploadID string) error
	// PartSize returns the size of part number n (from 1) of a multipart
	// upload of a blob of size bytes (-1 when unknown): the store's own
	// plan, so that every uploader, reel or a client uploading straight
	// to the store, cuts parts the store takes.
	PartSize(size int64, n int) int64
}

// Part is the bytes of one part of a multipart upload, held in memory,
// read but not yet sent (a store's part buffers). Release it once done.
type Part interface {
	// Len returns how many bytes the part holds.
	Len() int64
	// Reader returns the part's bytes, from the start.
	Reader() io.ReadSeeker
	// Release hands the part's memory back; the part is empty afterwards.
	// Releasing twice is harmless.
	Release()
}

// CompletedPart names one uploaded part by its number and ETag.
type CompletedPart struct {
	Number int    `json:"part_number"`
	ETag   string `json:"etag"`
}
