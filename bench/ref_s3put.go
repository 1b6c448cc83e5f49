package main

// ref s3put is the reference of the S3 ingest benchmark: the least a
// program must do to put a local file into an S3 bucket by multipart
// upload, with nothing of reel in between. It reads the file sequentially
// into a few reusable part buffers and sends each part with UploadPart
// while the next one fills, PartsInFlight parts at a time, as reel's s3
// store does, with the same SDK settings (checksums only when required,
// path-style addressing for a custom endpoint). Credentials and region
// come from the SDK's standard chain (AWS_ACCESS_KEY_ID...).
//
//	bench ref s3put --endpoint http://127.0.0.1:7070 --bucket b --key k --part-size 8388608 FILE
//
// It prints one line, "bytes=N parts=P seconds=S", S timed from opening
// the file to the CompleteMultipartUpload answer; with --delete it then
// deletes the object (not timed).

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// refS3Put parses the flags, uploads the file and prints the timing.
func refS3Put(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ref s3put", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "S3 endpoint `URL` (empty: AWS)")
	bucket := fs.String("bucket", "", "bucket")
	key := fs.String("key", "s3ref.bin", "object key")
	partSize := fs.Int64("part-size", 8<<20, "part size in bytes (every part but the last)")
	inFlight := fs.Int("parts-in-flight", 2, "parts uploading at once while the next one fills")
	del := fs.Bool("delete", false, "delete the object once uploaded (not timed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *bucket == "" || *partSize < 5<<20 || *inFlight < 1 {
		return errors.New("usage: bench ref s3put --bucket B [--endpoint URL] [--key K] [--part-size N ≥ 5 MiB] [--parts-in-flight N] [--delete] FILE")
	}

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	cfg.Region = cmp.Or(cfg.Region, "us-east-1")
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if *endpoint != "" {
			o.BaseEndpoint = aws.String(*endpoint)
			o.UsePathStyle = true
		}
		// As reel: many S3-compatible stores reject the default CRC32.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})

	start := time.Now()
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	n, parts, err := multipartPut(ctx, client, *bucket, *key, f, *partSize, *inFlight)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("bytes=%d parts=%d seconds=%.3f\n", n, parts, secs)

	if *del {
		if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: key}); err != nil {
			return fmt.Errorf("delete %s: %w", *key, err)
		}
	}
	return nil
}

// multipartPut sends r as the object key by multipart upload: the main
// goroutine fills one buffer while up to inFlight others upload. It
// returns the bytes and parts sent; on failure it aborts the upload.
func multipartPut(ctx context.Context, client *s3.Client, bucket, key string, r io.Reader, partSize int64, inFlight int) (int64, int, error) {
	created, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return 0, 0, fmt.Errorf("create multipart upload: %w", err)
	}
	id := created.UploadId
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// inFlight buffers uploading plus the one filling, reused throughout.
	free := make(chan []byte, inFlight+1)
	for range inFlight + 1 {
		free <- make([]byte, partSize)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		done  []types.CompletedPart
		total int64
		n     int32
	)
	for ctx.Err() == nil {
		var buf []byte
		select {
		case buf = <-free:
		case <-ctx.Done():
		}
		if buf == nil {
			break
		}
		size, err := io.ReadFull(r, buf)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			cancel(fmt.Errorf("read: %w", err))
			break
		}
		if size == 0 && n > 0 {
			break // the file ended with the previous part
		}
		n++
		total += int64(size)
		num, body := n, buf[:size]
		wg.Go(func() {
			defer func() { free <- buf }()
			out, err := client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &bucket, Key: &key, UploadId: id, PartNumber: aws.Int32(num),
				Body: io.NewSectionReader(bytesReaderAt(body), 0, int64(len(body))), ContentLength: aws.Int64(int64(len(body))),
			})
			if err != nil {
				cancel(fmt.Errorf("upload part %d: %w", num, err))
				return
			}
			mu.Lock()
			done = append(done, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
			mu.Unlock()
		})
		if size < len(buf) {
			break // short read: the end of the file
		}
	}
	wg.Wait()

	err = context.Cause(ctx)
	if err == nil {
		slices.SortFunc(done, func(a, b types.CompletedPart) int { return cmp.Compare(*a.PartNumber, *b.PartNumber) })
		_, err = client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &bucket, Key: &key, UploadId: id, MultipartUpload: &types.CompletedMultipartUpload{Parts: done},
		})
		if err == nil {
			return total, int(n), nil
		}
		err = fmt.Errorf("complete multipart upload: %w", err)
	}
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer acancel()
	client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: id})
	return total, int(n), err
}

// bytesReaderAt reads a byte slice at offsets, for a seekable part body
// the SDK can hash and rewind, like reel's.
type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
