package s3

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"reel"
)

// Direct uploads: a client uploads the parts of a multipart upload itself,
// with plain HTTP PUTs to presigned UploadPart URLs, so the bytes never
// pass through reel. reel only starts, completes or aborts the upload. An
// upload nobody completes is aborted by AbortStale once old enough.

var _ reel.MultipartBlobStore = (*Store)(nil)

// CreateMultipart starts a multipart upload to the blob under key and
// returns its upload id.
func (s *Store) CreateMultipart(ctx context.Context, key string) (string, error) {
	k, err := s.ObjectKey(key)
	if err != nil {
		return "", err
	}
	out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &s.bucket, Key: &k, ContentType: aws.String(contentType(key)),
	})
	if err != nil {
		return "", fmt.Errorf("s3 create multipart upload %s: %w", key, err)
	}
	return aws.ToString(out.UploadId), nil
}

// PresignPart returns a URL to PUT part number part (1 to MaxParts) of the
// upload to, valid for ttl (1 s to 7 days). The URL signs no headers but
// Host and no checksum, so any HTTP client can PUT the part's bytes as
// they are; the answer's ETag header names the part for Complete.
func (s *Store) PresignPart(ctx context.Context, key, uploadID string, part int, ttl time.Duration) (string, error) {
	k, err := s.ObjectKey(key)
	if err != nil {
		return "", err
	}
	switch {
	case part < 1 || part > MaxParts:
		return "", reel.Errorf(reel.EINVALID, "part number %d is outside 1 to %d", part, MaxParts)
	case ttl < time.Second || ttl > MaxPresignTTL:
		return "", reel.Errorf(reel.EINVALID, "presigned URL lifetime %v is outside 1s to 7 days", ttl)
	case uploadID == "":
		return "", reel.Errorf(reel.EINVALID, "no upload id")
	}
	req, err := s.presign.PresignUploadPart(ctx, &s3.UploadPartInput{
		Bucket: &s.bucket, Key: &k, UploadId: &uploadID, PartNumber: aws.Int32(int32(part)),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3 presign part %d of %s: %w", part, key, err)
	}
	return req.URL, nil
}

// CompleteMultipart assembles the parts, in the order given, into the blob
// and returns its size. Parts that do not match what was uploaded, parts
// out of order, a part but the last under 5 MiB, or an upload that is gone
// (completed or aborted) give a reel.EINVALID error whose message tells
// the client which; the upload is left as it was, to be retried or swept.
func (s *Store) CompleteMultipart(ctx context.Context, key, uploadID string, parts []reel.CompletedPart) (int64, error) {
	k, err := s.ObjectKey(key)
	if err != nil {
		return 0, err
	}
	if len(parts) == 0 || len(parts) > MaxParts {
		return 0, reel.Errorf(reel.EINVALID, "A multipart upload needs 1 to %d parts, not %d.", MaxParts, len(parts))
	}
	completed := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		if p.Number < 1 || p.Number > MaxParts {
			return 0, reel.Errorf(reel.EINVALID, "Part number %d is outside 1 to %d.", p.Number, MaxParts)
		}
		completed[i] = types.CompletedPart{PartNumber: aws.Int32(int32(p.Number)), ETag: aws.String(p.ETag)}
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &k, UploadId: &uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: completed},
	})
	if err != nil {
		return 0, completeError(key, err)
	}
	// The answer to Complete carries no size; the object's head does.
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		return 0, fmt.Errorf("s3 head %s after completing its upload: %w", key, err)
	}
	return aws.ToInt64(head.ContentLength), nil
}

// completeError turns S3's refusals of a completion, which are the
// client's doing, into reel.EINVALID with a sentence for the client.
func completeError(key string, err error) error {
	var msg string
	switch {
	case isCode(err, "InvalidPart"):
		msg = "One or more parts were not uploaded or their ETags do not match what was uploaded."
	case isCode(err, "InvalidPartOrder"):
		msg = "The parts must be listed in ascending order of part number."
	case isCode(err, "EntityTooSmall"):
		msg = "Every part but the last must be at least 5 MiB."
	case isCode(err, "NoSuchUpload"):
		msg = "The upload does not exist anymore: it was completed or aborted."
	case isCode(err, "MalformedXML", "InvalidArgument"):
		msg = "The list of parts is malformed."
	default:
		return fmt.Errorf("s3 complete multipart upload %s: %w", key, err)
	}
	return reel.WrapError(reel.EINVALID, msg, err)
}

// AbortMultipart discards the upload and the parts uploaded so far; an
// upload that is gone already is not an error.
func (s *Store) AbortMultipart(ctx context.Context, key, uploadID string) error {
	k, err := s.ObjectKey(key)
	if err != nil {
		return err
	}
	_, err = s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &k, UploadId: &uploadID})
	if err != nil && !isCode(err, "NoSuchUpload") {
		return fmt.Errorf("s3 abort multipart upload %s of %s: %w", uploadID, key, err)
	}
	return nil
}
