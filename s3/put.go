package s3

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"reel"
)

// S3's multipart limits.
const (
	MinPartSize   = 5 << 20 // every part but the last is at least this
	MaxPartSize   = 5 << 30 // no part is larger
	MaxParts      = 10_000  // parts per upload
	MaxObjectSize = 5 << 40 // bytes per object
)

const (
	plannedParts = 9_500       // parts planned for a declared size: headroom below MaxParts
	growEvery    = 1_000       // parts between doublings when the size is unknown
	abortTimeout = time.Minute // for AbortMultipartUpload after a failure
)

// PartSize returns the size of part number n (from 1) of an upload whose
// buffers hold unit bytes each. With a declared size (≥ 0) every part has
// the same size, max(unit, ceil(size/9500)); otherwise parts start at unit
// and double every 1000 parts, so that 10,000 parts of 8 MiB buffers reach
// 8 TiB. Sizes are whole buffers and never exceed MaxPartSize.
func PartSize(unit, size int64, n int) int64 {
	var ps int64
	if size >= 0 {
		ps = max(unit, (size+plannedParts-1)/plannedParts)
	} else {
		ps = unit << min((n-1)/growEvery, 30)
	}
	ps = (ps + unit - 1) / unit * unit // whole buffers
	return min(ps, MaxPartSize/unit*unit)
}

// Put stores everything r yields under key: a body smaller than one part
// with one PutObject, a larger one by multipart upload streamed through
// the part pool. On any failure the upload is aborted and nothing stays.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	return s.PutSize(ctx, key, r, -1)
}

// PutSize is Put for a body whose length is declared: size is its length,
// or an upper bound of it (the Content-Length of the request around it),
// or -1 when unknown. A known size sets the part size once for the whole
// upload; a body longer than size fails with reel.ETOOLARGE.
func (s *Store) PutSize(ctx context.Context, key string, r io.Reader, size int64) (int64, error) {
	k, err := s.ObjectKey(key)
	if err != nil {
		return 0, err
	}
	if size > MaxObjectSize {
		return 0, reel.Errorf(reel.ETOOLARGE, "%d bytes is more than the %d an S3 object can hold", size, int64(MaxObjectSize))
	}
	if size >= 0 {
		r = &sizeLimit{r: r, left: size, size: size}
	}
	// A failing part cancels the rest of the upload, with its error as
	// the cause that Put returns.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The 16-byte buffer only peeks one byte past a full part, to tell a
	// body of exactly one part from a longer one; big reads bypass it.
	body := bufio.NewReaderSize(contextReader{ctx, r}, 16)

	first, err := s.fill(ctx, body, PartSize(s.pool.size, size, 1))
	if err != nil {
		return 0, fmt.Errorf("s3 put %s: %w", key, err)
	}
	if first.eof {
		defer s.pool.put(first.bufs)
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &s.bucket, Key: &k, Body: first.reader(), ContentLength: aws.Int64(first.n),
			ContentType: aws.String(contentType(key)),
		})
		if err != nil {
			return 0, fmt.Errorf("s3 put %s: %w", key, cmp.Or(context.Cause(ctx), err))
		}
		return first.n, nil
	}
	return s.multipart(ctx, cancel, key, k, body, size, first)
}

// multipart streams the body into a multipart upload whose first part is
// already filled: one part fills while up to s.inFlight parts upload.
func (s *Store) multipart(ctx context.Context, cancel context.CancelCauseFunc, key, k string, body *bufio.Reader, size int64, p part) (int64, error) {
	created, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &s.bucket, Key: &k, ContentType: aws.String(contentType(key)),
	})
	if err != nil {
		s.pool.put(p.bufs)
		return 0, fmt.Errorf("s3 put %s: create multipart upload: %w", key, err)
	}
	id := created.UploadId

	var (
		wg    sync.WaitGroup
		slots = make(chan struct{}, s.inFlight)
		mu    sync.Mutex
		parts []types.CompletedPart
		total int64
	)
	for n := int32(1); ; n++ {
		total += p.n
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			s.pool.put(p.bufs)
			break
		}
		cur := p // p is refilled while cur uploads
		wg.Go(func() {
			defer func() { s.pool.put(cur.bufs); <-slots }()
			out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &s.bucket, Key: &k, UploadId: id, PartNumber: aws.Int32(n),
				Body: cur.reader(), ContentLength: aws.Int64(cur.n),
			})
			if err != nil {
				cancel(fmt.Errorf("upload part %d: %w", n, err))
				return
			}
			mu.Lock()
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
			mu.Unlock()
		})
		if p.eof {
			break
		}
		if n == MaxParts {
			cancel(reel.Errorf(reel.ETOOLARGE, "body is larger than the %d bytes of %d parts", total, MaxParts))
			break
		}
		if p, err = s.fill(ctx, body, PartSize(s.pool.size, size, int(n)+1)); err != nil {
			cancel(err)
			break
		}
	}
	wg.Wait()

	err = context.Cause(ctx)
	if err == nil {
		slices.SortFunc(parts, func(a, b types.CompletedPart) int { return cmp.Compare(*a.PartNumber, *b.PartNumber) })
		_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &s.bucket, Key: &k, UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		if err == nil {
			return total, nil
		}
		err = fmt.Errorf("complete multipart upload: %w", cmp.Or(context.Cause(ctx), err))
	}
	// Abort with a context of its own: ctx may be the cancelled one.
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer acancel()
	if _, aerr := s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
		Bucket: &s.bucket, Key: &k, UploadId: id,
	}); aerr != nil && !isCode(aerr, "NoSuchUpload") {
		err = errors.Join(err, fmt.Errorf("abort multipart upload %s (AbortStale will sweep it): %w", aws.ToString(id), aerr))
	}
	return total, fmt.Errorf("s3 put %s: %w", key, err)
}

// part is a part being uploaded: n bytes in pool buffers.
type part struct {
	bufs [][]byte
	n    int64
	eof  bool // the body ended within this part
}

// fill takes the buffers for a part of size bytes from the pool and reads
// the body into them until they are full or the body ends.
func (s *Store) fill(ctx context.Context, body *bufio.Reader, size int64) (part, error) {
	bufs, err := s.pool.get(ctx, int(size/s.pool.size))
	if err != nil {
		return part{}, err
	}
	p := part{bufs: bufs}
	for _, b := range bufs {
		n, err := io.ReadFull(body, b)
		p.n += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			p.eof = true
			return p, nil
		} else if err != nil {
			s.pool.put(bufs)
			return part{}, fmt.Errorf("read body: %w", err)
		}
	}
	// Full: the body ends here only if nothing follows.
	if _, err := body.Peek(1); err == io.EOF {
		p.eof = true
	} else if err != nil {
		s.pool.put(bufs)
		return part{}, fmt.Errorf("read body: %w", err)
	}
	return p, nil
}

// reader returns the part's bytes as a seekable reader, so that the SDK
// can hash the payload and rewind it for a retry.
func (p part) reader() io.ReadSeeker {
	return io.NewSectionReader(buffers(p.bufs), 0, p.n)
}

// buffers reads a run of same-sized buffers as one byte sequence.
type buffers [][]byte

func (b buffers) ReadAt(p []byte, off int64) (int, error) {
	if len(b) == 0 {
		return 0, io.EOF
	}
	size := int64(len(b[0]))
	n := 0
	for n < len(p) {
		i := off / size
		if i >= int64(len(b)) {
			return n, io.EOF
		}
		c := copy(p[n:], b[i][off%size:])
		n += c
		off += int64(c)
	}
	return n, nil
}

// sizeLimit fails once the body yields more than its declared size.
type sizeLimit struct {
	r    io.Reader
	left int64
	size int64
}

func (l *sizeLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, reel.Errorf(reel.ETOOLARGE, "body is larger than its declared %d bytes", l.size)
	}
	return n, err
}

// contextReader fails reads once ctx is done, so a cancelled Put stops
// reading a body that never blocks.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// contentType returns the type stored with an object, so that a CDN
// reading the bucket directly serves HLS with the types players expect.
func contentType(key string) string {
	switch ext := path.Ext(key); ext {
	case ".m3u8":
		return "application/vnd.apple.mpegurl"
	case ".m4s":
		return "video/iso.segment"
	case ".mp4":
		return "video/mp4"
	case ".ts":
		return "video/mp2t"
	case ".vtt":
		return "text/vtt"
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
		return "application/octet-stream"
	}
}
