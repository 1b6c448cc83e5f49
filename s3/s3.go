// Package s3 stores blobs in an S3-compatible bucket (AWS S3, versitygw,
// MinIO, R2, Ceph) through aws-sdk-go-v2.
//
// Layout: a store is a bucket and an optional prefix, named by a URL
// s3://bucket/prefix. The blob under key "a/b/c" is the object
// "prefix/a/b/c" (or "a/b/c" without a prefix); nothing else is written
// there but Check's probe (below). A blob larger than one part is written by multipart upload and
// becomes visible only when the upload completes; a failed Put aborts its
// upload, and AbortStale sweeps uploads a crash left behind, so no
// half-written object or orphan part stays. Check writes and at once
// deletes a probe object "prefix/.reel-check-<random>"; reel's own keys
// never start with a dot, so anything reacting to new objects (bucket
// notifications) can ignore such names.
//
// Uploads: Put reads the body into buffers of a PartPool shared by the
// whole process, never to local disk. A body that fits in one part is one
// PutObject; a longer one is a multipart upload with a few parts in
// flight while the next fills. Parts are whole pool buffers: with a
// declared length (PutSize) max(buffer, ceil(length/9500)) each, without
// one a buffer at first and doubling every 1000 parts, so that 10,000
// parts reach terabytes; a body that needs more fails, never truncated.
// Objects get the Content-Type of their extension (HLS types included),
// for a CDN that reads the bucket directly.
//
// Settings come from the SDK's standard chain (credentials chain,
// AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_PROFILE...) and URL query options
// override them, with the names other Go tools use:
//
//	s3://bucket/prefix?endpoint=http://127.0.0.1:7070&region=us-east-1&use_path_style=true&profile=name
//
// Secrets never go in the URL: credentials come from the chain or from
// Options.Credentials. Requests carry checksums only where S3 requires
// them, since many S3-compatible stores reject the SDK's default CRC32.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"reel"
)

// Store is a reel.BlobStore and reel.PresignedBlobStore on a bucket.
type Store struct {
	client   *s3.Client
	presign  *s3.PresignClient
	bucket   string
	prefix   string // "" or ends with "/"
	endpoint string // for messages: the custom endpoint, or "" for AWS
	pool     *PartPool
	inFlight int
}

var (
	_ reel.BlobStore          = (*Store)(nil)
	_ reel.MultipartBlobStore = (*Store)(nil)
)

// Options are the settings of a store that do not belong in its URL.
type Options struct {
	// Credentials, when set, replaces the SDK's credential chain (tests
	// use it to avoid touching the process environment).
	Credentials aws.CredentialsProvider
	// Pool holds the part buffers of multipart uploads. Give every store
	// of the process the same pool so that memory is bounded once for
	// all. nil gives the store a pool of its own with the defaults.
	Pool *PartPool
	// PartsInFlight is how many parts of one upload are sent at once
	// while the next one fills; 0 means 2.
	PartsInFlight int
}

// Open returns the store named by rawURL, s3://bucket/prefix with optional
// query options endpoint, region, use_path_style and profile. It does not
// contact the store; Check does.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	loc, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var load []func(*config.LoadOptions) error
	if loc.region != "" {
		load = append(load, config.WithRegion(loc.region))
	}
	if loc.profile != "" {
		load = append(load, config.WithSharedConfigProfile(loc.profile))
	}
	if opts.Credentials != nil {
		load = append(load, config.WithCredentialsProvider(opts.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("s3 store s3://%s/%s: load AWS config: %w", loc.bucket, loc.prefix, err)
	}
	if cfg.Region == "" {
		// S3-compatible stores mostly ignore the region but SigV4 needs
		// one; AWS answers a wrong one with a redirect Check reports.
		cfg.Region = "us-east-1"
	}

	s := &Store{bucket: loc.bucket, prefix: loc.prefix, pool: opts.Pool, inFlight: opts.PartsInFlight}
	s.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		if loc.endpoint != "" {
			o.BaseEndpoint = aws.String(loc.endpoint)
		}
		// Non-AWS endpoints (from the URL or AWS_ENDPOINT_URL_S3) rarely
		// have per-bucket DNS names: address buckets by path there.
		o.UsePathStyle = o.BaseEndpoint != nil
		if loc.pathStyle != nil {
			o.UsePathStyle = *loc.pathStyle
		}
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		if o.BaseEndpoint != nil {
			s.endpoint = *o.BaseEndpoint
		}
	})
	s.presign = s3.NewPresignClient(s.client)
	if s.pool == nil {
		s.pool = NewPartPool(DefaultPartSize, DefaultPoolBuffers)
	}
	if s.inFlight <= 0 {
		s.inFlight = 2
	}
	return s, nil
}

// location is what a store URL names.
type location struct {
	bucket, prefix            string // prefix is "" or ends with "/"
	endpoint, region, profile string // "" when not given
	pathStyle                 *bool  // nil when not given
}

// parseURL parses s3://bucket/prefix?options. Its errors never repeat
// the URL whole, which might carry a secret someone put there anyway.
func parseURL(rawURL string) (location, error) {
	var loc location
	u, err := url.Parse(rawURL)
	if err != nil {
		return loc, reel.Errorf(reel.EINVALID, "invalid S3 store URL: want s3://bucket/prefix")
	}
	if u.Scheme != "s3" || u.Host == "" || strings.Contains(u.Host, ":") || u.User != nil || u.Fragment != "" {
		return loc, reel.Errorf(reel.EINVALID, "invalid S3 store URL %q: want s3://bucket/prefix", u.Redacted())
	}
	loc.bucket = u.Host
	if p := strings.Trim(u.Path, "/"); p != "" {
		if !validKey(p) {
			return loc, reel.Errorf(reel.EINVALID, "invalid prefix %q in S3 store URL", p)
		}
		loc.prefix = p + "/"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return loc, reel.Errorf(reel.EINVALID, "invalid query in S3 store URL")
	}
	for name, values := range q {
		v := values[len(values)-1]
		switch name {
		case "endpoint":
			e, err := url.Parse(v)
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" || e.User != nil {
				return loc, reel.Errorf(reel.EINVALID, "invalid endpoint in S3 store URL: want http(s)://host[:port]")
			}
			loc.endpoint = strings.TrimSuffix(v, "/")
		case "region":
			loc.region = v
		case "profile":
			loc.profile = v
		case "use_path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return loc, reel.Errorf(reel.EINVALID, "invalid use_path_style %q in S3 store URL: want true or false", v)
			}
			loc.pathStyle = &b
		default:
			return loc, reel.Errorf(reel.EINVALID, "unknown option %q in S3 store URL (known: endpoint, region, use_path_style, profile)", name)
		}
	}
	return loc, nil
}

// String names the store for messages: its URL without query options,
// and the endpoint when it is not AWS's.
func (s *Store) String() string {
	name := "s3://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/")
	if s.endpoint != "" {
		name += " at " + s.endpoint
	}
	return name
}

// Bucket returns the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// Prefix returns the prefix the store's objects are under: "" or a
// string ending in "/".
func (s *Store) Prefix() string { return s.prefix }

// Client returns the SDK client, for the S3 features reel.BlobStore does
// not cover (direct uploads presign UploadPart with it).
func (s *Store) Client() *s3.Client { return s.client }

// ObjectKey returns the object key of the blob under key.
func (s *Store) ObjectKey(key string) (string, error) {
	if !validKey(key) {
		return "", reel.Errorf(reel.EINVALID, "invalid blob key %q", key)
	}
	return s.prefix + key, nil
}

// validKey reports whether key is a slash-separated relative path without
// empty, "." or ".." elements, in UTF-8 as S3 wants.
func validKey(key string) bool {
	return fs.ValidPath(key) && key != "." && utf8.ValidString(key) && !strings.ContainsRune(key, 0)
}

// Delete removes the blob under key; S3 does not mind a missing one.
func (s *Store) Delete(ctx context.Context, key string) error {
	k, err := s.ObjectKey(key)
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &k}); err != nil {
		return fmt.Errorf("s3 delete %s: %w", key, err)
	}
	return nil
}

// DeletePrefix removes every blob whose key starts with prefix, a page of
// up to 1000 keys per DeleteObjects request.
func (s *Store) DeletePrefix(ctx context.Context, prefix string) error {
	if !validKey(strings.TrimSuffix(prefix, "/")) {
		return reel.Errorf(reel.EINVALID, "invalid blob key prefix %q", prefix)
	}
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: &s.bucket, Prefix: aws.String(s.prefix + prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3 delete prefix %s: list: %w", prefix, err)
		}
		for batch := range slices.Chunk(page.Contents, 1000) {
			ids := make([]types.ObjectIdentifier, len(batch))
			for i, o := range batch {
				ids[i] = types.ObjectIdentifier{Key: o.Key}
			}
			out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: &s.bucket, Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
			})
			if err != nil {
				return fmt.Errorf("s3 delete prefix %s: %w", prefix, err)
			}
			if len(out.Errors) > 0 {
				e := out.Errors[0]
				return fmt.Errorf("s3 delete prefix %s: %d objects not deleted, first %s: %s: %s",
					prefix, len(out.Errors), aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
			}
		}
	}
	return nil
}

// MaxPresignTTL is the longest validity SigV4 allows a presigned URL.
const MaxPresignTTL = 7 * 24 * time.Hour

// PresignGet returns a URL that reads the blob under key until ttl passes,
// signed with the store's credentials (SigV4 query string).
func (s *Store) PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error) {
	k, err := s.ObjectKey(key)
	if err != nil {
		return "", err
	}
	if ttl < time.Second || ttl > MaxPresignTTL {
		return "", reel.Errorf(reel.EINVALID, "presigned URL lifetime %v is outside 1s to 7 days", ttl)
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &k}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("s3 presign %s: %w", key, err)
	}
	return req.URL, nil
}

// AbortStale aborts the multipart uploads under the store's prefix (in
// the whole bucket for a store without one) that started more than
// olderThan ago, the leftovers of crashed processes, and returns how many
// it aborted. olderThan must exceed the longest upload a live Put or
// direct upload may still be busy with: a day is a sound default.
func (s *Store) AbortStale(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	in := &s3.ListMultipartUploadsInput{Bucket: &s.bucket}
	if s.prefix != "" {
		in.Prefix = aws.String(s.prefix)
	}
	aborted := 0
	pages := s3.NewListMultipartUploadsPaginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return aborted, fmt.Errorf("s3 abort stale uploads in %s: list: %w", s, err)
		}
		for _, up := range page.Uploads {
			if up.Initiated == nil || up.Initiated.After(cutoff) {
				continue
			}
			_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
				Bucket: &s.bucket, Key: up.Key, UploadId: up.UploadId,
			})
			if err != nil && !isCode(err, "NoSuchUpload") { // gone already: fine
				return aborted, fmt.Errorf("s3 abort stale upload %s of %s: %w", aws.ToString(up.UploadId), aws.ToString(up.Key), err)
			}
			aborted++
		}
	}
	return aborted, nil
}

// isCode reports whether err is an S3 error with one of the codes.
func isCode(err error, codes ...string) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, c := range codes {
		if ae.ErrorCode() == c {
			return true
		}
	}
	return false
}

// isNotFound reports whether err says the object does not exist. HEAD
// answers carry no body, hence the bare "NotFound".
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nsk) || errors.As(err, &nf) || isCode(err, "NoSuchKey", "NotFound")
}
