package s3

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"reel"
)

// Parts one at a time, for callers that drive a multipart upload across
// many requests (resumable uploads): a part is read from a stream into
// buffers of the process's PartPool, then sent with UploadPart, or kept
// as an object of its own when it is too short to be a part yet. Nothing
// touches local disk. CreateMultipart, CompleteMultipart and
// AbortMultipart (multipart.go) start and end such uploads.

// Part is up to one part of bytes held in buffers of a store's pool,
// read but not yet sent: the store's reel.Part. Release it once done.
type Part struct {
	pool *PartPool
	p    part
}

// PartUnit returns the size of the pool's buffers: part sizes are whole
// multiples of it.
func (s *Store) PartUnit() int64 { return s.pool.size }

// PartSize returns the size of part number n (from 1) of an upload of
// size bytes (-1 when unknown), in whole buffers of the store's pool (see
// the function PartSize).
func (s *Store) PartSize(size int64, n int) int64 { return PartSize(s.pool.size, size, n) }

// PartsInFlight returns how many parts of one upload the store sends at
// once (Options.PartsInFlight).
func (s *Store) PartsInFlight() int { return s.inFlight }

// ReadPart reads up to size bytes of r (size rounded up to whole pool
// buffers) into buffers of the pool, waiting for free buffers until ctx
// ends. A part shorter than size means r ended.
func (s *Store) ReadPart(ctx context.Context, r io.Reader, size int64) (reel.Part, error) {
	size = (max(size, 1) + s.pool.size - 1) / s.pool.size * s.pool.size
	bufs, err := s.pool.get(ctx, int(size/s.pool.size))
	if err != nil {
		return nil, err
	}
	p := part{bufs: bufs}
	for _, b := range bufs {
		n, err := io.ReadFull(contextReader{ctx, r}, b)
		p.n += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			p.eof = true
			break
		} else if err != nil {
			s.pool.put(bufs)
			return nil, fmt.Errorf("read part: %w", err)
		}
	}
	return &Part{pool: s.pool, p: p}, nil
}

// Len returns how many bytes the part holds.
func (p *Part) Len() int64 { return p.p.n }

// Reader returns the part's bytes.
func (p *Part) Reader() io.ReadSeeker { return p.p.reader() }

// Release hands the part's buffers back to the pool; the part is empty
// afterwards. Releasing twice is harmless.
func (p *Part) Release() {
	if p == nil {
		return
	}
	p.pool.put(p.p.bufs)
	p.p = part{}
}

// UploadPart sends p as part number n (1 to MaxParts) of the multipart
// upload uploadID of the blob under key, and returns the part's ETag.
// Sending a number again replaces the earlier part of that number.
func (s *Store) UploadPart(ctx context.Context, key, uploadID string, n int, p reel.Part) (string, error) {
	k, err := s.ObjectKey(key)
	if err != nil {
		return "", err
	}
	if n < 1 || n > MaxParts {
		return "", fmt.Errorf("s3 upload part %d of %s: part numbers go from 1 to %d", n, key, MaxParts)
	}
	out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: &s.bucket, Key: &k, UploadId: &uploadID, PartNumber: aws.Int32(int32(n)),
		Body: p.Reader(), ContentLength: aws.Int64(p.Len()),
	})
	if err != nil {
		return "", fmt.Errorf("s3 upload part %d of %s: %w", n, key, err)
	}
	return aws.ToString(out.ETag), nil
}

// PutPart stores the part's bytes as the whole blob under key, with one
// PutObject from the buffers it already holds (Put would need buffers of
// its own, which a full pool may not have).
func (s *Store) PutPart(ctx context.Context, key string, p reel.Part) error {
	k, err := s.ObjectKey(key)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &k, Body: p.Reader(), ContentLength: aws.Int64(p.Len()),
		ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		return fmt.Errorf("s3 put %s: %w", key, err)
	}
	return nil
}
