package main

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"reel"
	"reel/blobcache"
	"reel/cloudfront"
	"reel/disk"
	"reel/jobs"
	"reel/s3"
	"reel/tus"
	"reel/web"
)

// The optional capabilities each consumer finds by type assertion, checked
// here, where the concrete types meet their consumers.
var (
	_ jobs.LocalBlobStore     = (*disk.Store)(nil)
	_ tus.Appender            = (*disk.Store)(nil)
	_ jobs.PresignedBlobStore = (*s3.Store)(nil)
	_ web.SizedBlobStore      = (*s3.Store)(nil)
	_ tus.PartStore           = (*s3.Store)(nil)
	_ web.RequestSigner       = (*cloudfront.Signer)(nil)
)

// openStore opens the blob store a URL names: file:///path (or a plain
// path) for a folder on local disk, s3://bucket/prefix for an S3 bucket,
// whose access it checks so that a misconfigured store stops reel at
// start with one line saying why.
func openStore(ctx context.Context, name, rawURL string, pool *s3.PartPool) (reel.BlobStore, error) {
	switch {
	case strings.HasPrefix(rawURL, "s3://"):
		st, err := s3.Open(ctx, rawURL, s3.Options{Pool: pool})
		if err != nil {
			return nil, fmt.Errorf("%s store: %w", name, err)
		}
		if err := st.Check(ctx); err != nil {
			return nil, fmt.Errorf("%s store: %w", name, err)
		}
		return st, nil
	case strings.HasPrefix(rawURL, "file://"):
		return disk.New(strings.TrimPrefix(rawURL, "file://"))
	case strings.Contains(rawURL, "://"):
		return nil, fmt.Errorf("%s store %q: use file:///path or s3://bucket/prefix", name, rawURL)
	}
	return disk.New(rawURL)
}

// cachedOutputs puts a local disk cache in front of a remote outputs store,
// for the immutable files only: segments, init segments and images.
// Playlists may still grow while a video is published and are held in
// memory by the play handler instead.
func cachedOutputs(outputs reel.BlobStore, dir string, size int64) (reel.BlobStore, error) {
	if _, local := outputs.(*disk.Store); local || size <= 0 {
		return outputs, nil
	}
	return blobcache.New(outputs, filepath.Join(dir, "cache"), size, func(key string) bool {
		switch path.Ext(key) {
		case ".m4s", ".mp4", ".jpg":
			return true
		}
		return false
	})
}
