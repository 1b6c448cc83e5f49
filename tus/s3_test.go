package tus_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestS3NoLocalDisk uploads through the S3 store with os.TempDir pointing
// at an empty folder, and checks that neither it nor the data dir (the
// database's folder) received a file: the bytes went from the request to
// pool buffers to the bucket.
func TestS3NoLocalDisk(t *testing.T) {
	e := newEnv(t, "s3", nil) // versitygw and the database start first
	tmp, err := os.MkdirTemp("", "reel-tus-tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	t.Setenv("TMPDIR", tmp)
	if os.TempDir() != tmp {
		t.Fatalf("os.TempDir() = %q, want %q", os.TempDir(), tmp)
	}
	before := files(t, e.dataDir)

	data := random(13<<20 + 3)
	path := e.create(int64(len(data)), meta("filename", "big.mov"))
	e.send(path, data, 0, 2<<20+17) // chunks well below a part: every PATCH keeps a tail
	if got := e.original(idOf(path)); !bytes.Equal(got, data) {
		t.Fatal("original differs")
	}

	if left := files(t, tmp); len(left) != 0 {
		t.Errorf("files written under os.TempDir(): %q", left)
	}
	after := files(t, e.dataDir)
	for _, f := range after {
		if !strings.HasPrefix(filepath.Base(f), "reel.db") {
			t.Errorf("file written in the data dir: %s (before: %q)", f, before)
		}
	}
}

// files lists the regular files under dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
