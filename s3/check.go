package s3

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// CheckError is why a store failed Check: one line for the operator
// naming the store and the reason; Err keeps the SDK's full error.
type CheckError struct {
	Store  string // the store, as Store.String names it
	Reason string // what is wrong, in words
	Err    error
}

// Error returns "s3 store <store>: <reason>".
func (e *CheckError) Error() string { return "s3 store " + e.Store + ": " + e.Reason }

// Unwrap returns the SDK's error.
func (e *CheckError) Unwrap() error { return e.Err }

// checkTimeout bounds Check, so that an endpoint that drops packets fails
// the start instead of hanging it.
const checkTimeout = 20 * time.Second

// Check verifies that the bucket is reachable, listable and writable with
// the store's settings: it lists one key under the prefix, then writes
// and deletes a probe object. It returns a *CheckError.
func (s *Store) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	// Fail fast: a start-up check should not back off and retry for long.
	once := func(o *s3.Options) { o.RetryMaxAttempts = 2 }

	_, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
		Bucket: &s.bucket, Prefix: aws.String(s.prefix), MaxKeys: aws.Int32(1),
	}, once)
	if err != nil {
		return &CheckError{Store: s.String(), Reason: s.explain(err, "list"), Err: err}
	}
	probe := s.prefix + ".reel-check-" + rand.Text()
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &probe, Body: strings.NewReader("reel"), ContentLength: aws.Int64(4),
	}, once)
	if err != nil {
		return &CheckError{Store: s.String(), Reason: s.explain(err, "write"), Err: err}
	}
	_, err = s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &probe}, once)
	if err != nil {
		return &CheckError{Store: s.String(), Reason: s.explain(err, "delete"), Err: err}
	}
	return nil
}

// explain turns an SDK error into a reason an operator can act on.
func (s *Store) explain(err error, op string) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		switch code {
		case "InvalidAccessKeyId":
			return "wrong credentials: the store does not know the access key (" + code + ")"
		case "SignatureDoesNotMatch":
			return "wrong credentials: the secret key does not match the access key (" + code + ")"
		case "ExpiredToken", "InvalidToken":
			return "wrong credentials: the session token is expired or invalid (" + code + ")"
		case "AccessDenied", "Forbidden":
			return "access denied: the credentials may not " + op + " in the bucket (" + code + ")"
		case "NoSuchBucket", "NotFound":
			return fmt.Sprintf("bucket %q does not exist (%s)", s.bucket, code)
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
			return "wrong region: the bucket is in another region than the one configured (" + code + ")"
		}
		if msg := ae.ErrorMessage(); msg != "" {
			return op + " failed: " + code + ": " + msg
		}
		return op + " failed: " + code
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("endpoint %s did not answer within %v", s.endpointName(), checkTimeout)
	}
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("endpoint %s unreachable: %v", s.endpointName(), dnsErr)
	case errors.As(err, &opErr):
		return fmt.Sprintf("endpoint %s unreachable: %v", s.endpointName(), opErr)
	case errors.As(err, &netErr):
		return fmt.Sprintf("endpoint %s unreachable: %v", s.endpointName(), netErr)
	case strings.Contains(err.Error(), "get credentials"), strings.Contains(err.Error(), "get identity"):
		return "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role"
	}
	return op + " failed: " + err.Error()
}

// endpointName names the endpoint requests go to, for messages.
func (s *Store) endpointName() string {
	if s.endpoint != "" {
		return s.endpoint
	}
	return "AWS S3 in " + s.client.Options().Region
}
