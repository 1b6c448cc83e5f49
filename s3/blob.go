package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"reel"
)

// Open returns the blob under key, or a reel.ENOTFOUND error. It reads the
// object's size and time with HeadObject; reads then fetch ranges from the
// current offset, so serving an HTTP range request downloads only about
// the range. Reads use ctx, the context of the request being served.
func (s *Store) Open(ctx context.Context, key string) (reel.Blob, error) {
	k, err := s.ObjectKey(key)
	if err != nil {
		return nil, err
	}
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &k})
	if isNotFound(err) {
		return nil, reel.Errorf(reel.ENOTFOUND, "blob %q not found", key)
	} else if err != nil {
		return nil, fmt.Errorf("s3 open %s: %w", key, err)
	}
	return &blob{
		ctx: ctx, store: s, key: key, objectKey: k,
		size: aws.ToInt64(head.ContentLength), mod: aws.ToTime(head.LastModified), etag: head.ETag,
	}, nil
}

// blob reads an object through ranged GetObject requests: Read opens a
// stream from the offset when there is none, Seek only moves the offset
// and drops the stream if it moved.
type blob struct {
	ctx       context.Context
	store     *Store
	key       string // the blob's key, for messages
	objectKey string
	size      int64
	mod       time.Time
	etag      *string
	off       int64
	body      io.ReadCloser // open stream positioned at off, or nil
}

func (b *blob) Size() int64 { return b.size }

func (b *blob) ModTime() time.Time { return b.mod }

func (b *blob) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.body == nil {
		out, err := b.store.client.GetObject(b.ctx, &s3.GetObjectInput{
			Bucket: &b.store.bucket, Key: &b.objectKey,
			Range: aws.String(fmt.Sprintf("bytes=%d-", b.off)),
			// An object replaced since Open fails the read rather than
			// splicing two versions into one response.
			IfMatch: b.etag,
		})
		if isNotFound(err) {
			return 0, reel.Errorf(reel.ENOTFOUND, "blob %q deleted while open", b.key)
		} else if isCode(err, "PreconditionFailed") {
			return 0, reel.Errorf(reel.ECONFLICT, "blob %q replaced while open", b.key)
		} else if err != nil {
			return 0, fmt.Errorf("s3 read %s at %d: %w", b.key, b.off, err)
		}
		b.body = out.Body
	}
	n, err := b.body.Read(p)
	b.off += int64(n)
	switch {
	case err == io.EOF && b.off < b.size:
		b.drop()
		return n, fmt.Errorf("s3 read %s: stream ended at %d of %d bytes: %w", b.key, b.off, b.size, io.ErrUnexpectedEOF)
	case err == io.EOF:
		b.drop()
	case err != nil:
		// A later Read reopens the stream at the offset reached.
		b.drop()
		return n, fmt.Errorf("s3 read %s at %d: %w", b.key, b.off, err)
	}
	if b.off >= b.size {
		b.drop()
		return n, io.EOF
	}
	return n, nil
}

func (b *blob) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.off
	case io.SeekEnd:
		offset += b.size
	default:
		return b.off, errors.New("s3 blob: invalid whence")
	}
	if offset < 0 {
		return b.off, errors.New("s3 blob: negative position")
	}
	if offset != b.off {
		b.drop()
		b.off = offset
	}
	return b.off, nil
}

func (b *blob) Close() error {
	b.drop()
	return nil
}

// drop closes the open stream, if any. Closing a stream before its end
// costs its connection; that is the price of not reading what no one
// asked for.
func (b *blob) drop() {
	if b.body != nil {
		b.body.Close()
		b.body = nil
	}
}
