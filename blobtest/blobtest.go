// Package blobtest is the conformance suite for reel.BlobStore: every
// backend runs the same tests, like testing/fstest.TestFS.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"reel"
)

// Run checks that s behaves as reel.BlobStore promises. It writes only
// under keys that start with prefix.
func Run(t *testing.T, s reel.BlobStore, prefix string) {
	ctx := context.Background()
	key := func(k string) string { return prefix + k }

	t.Run("PutOpen", func(t *testing.T) {
		data := bytes.Repeat([]byte("reel"), 100_000)
		n, err := s.Put(ctx, key("a/blob"), bytes.NewReader(data))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("Put = %d, %v; want %d, nil", n, err, len(data))
		}
		b, err := s.Open(ctx, key("a/blob"))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if b.Size() != int64(len(data)) {
			t.Errorf("Size = %d, want %d", b.Size(), len(data))
		}
		if time.Since(b.ModTime()) > time.Hour {
			t.Errorf("ModTime = %v, want about now", b.ModTime())
		}
		// Seek into the middle, as a range request does.
		if _, err := b.Seek(200_000, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data[200_000:]) {
			t.Errorf("read after seek: %d bytes differ from the %d written", len(got), len(data)-200_000)
		}
	})

	t.Run("OverwriteReplaces", func(t *testing.T) {
		mustPut(t, s, key("o"), "first")
		mustPut(t, s, key("o"), "second")
		if got := mustRead(t, s, key("o")); got != "second" {
			t.Errorf("after overwrite read %q, want %q", got, "second")
		}
	})

	t.Run("OpenMissing", func(t *testing.T) {
		_, err := s.Open(ctx, key("missing/blob"))
		if reel.ErrorCode(err) != reel.ENOTFOUND {
			t.Errorf("Open(missing) error = %v, want code %s", err, reel.ENOTFOUND)
		}
	})

	t.Run("FailedPutLeavesNothing", func(t *testing.T) {
		boom := errors.New("client went away")
		r := io.MultiReader(strings.NewReader("partial data"), errReader{boom})
		if _, err := s.Put(ctx, key("failed"), r); !errors.Is(err, boom) {
			t.Fatalf("Put error = %v, want %v", err, boom)
		}
		if _, err := s.Open(ctx, key("failed")); reel.ErrorCode(err) != reel.ENOTFOUND {
			t.Errorf("after failed Put, Open error = %v, want not found", err)
		}
	})

	t.Run("CancelledPutLeavesNothing", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, key("cancelled"), strings.NewReader("data")); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		if _, err := s.Open(ctx, key("cancelled")); reel.ErrorCode(err) != reel.ENOTFOUND {
			t.Errorf("after cancelled Put, Open error = %v, want not found", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		mustPut(t, s, key("d"), "x")
		if err := s.Delete(ctx, key("d")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, key("d")); reel.ErrorCode(err) != reel.ENOTFOUND {
			t.Errorf("after Delete, Open error = %v, want not found", err)
		}
		if err := s.Delete(ctx, key("d")); err != nil {
			t.Errorf("Delete of a missing blob = %v, want nil", err)
		}
	})

	t.Run("DeletePrefix", func(t *testing.T) {
		for _, k := range []string{"v/master.m3u8", "v/360p/index.m3u8", "v/360p/seg_00001.m4s", "vv/keep"} {
			mustPut(t, s, key(k), k)
		}
		if err := s.DeletePrefix(ctx, key("v/")); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"v/master.m3u8", "v/360p/index.m3u8", "v/360p/seg_00001.m4s"} {
			if _, err := s.Open(ctx, key(k)); reel.ErrorCode(err) != reel.ENOTFOUND {
				t.Errorf("after DeletePrefix, Open(%s) error = %v, want not found", k, err)
			}
		}
		// A sibling whose name merely starts the same way stays.
		if got := mustRead(t, s, key("vv/keep")); got != "vv/keep" {
			t.Errorf("sibling read %q", got)
		}
	})
}

func mustPut(t *testing.T, s reel.BlobStore, key, data string) {
	t.Helper()
	if _, err := s.Put(context.Background(), key, strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, s reel.BlobStore, key string) string {
	t.Helper()
	b, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
