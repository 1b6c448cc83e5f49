package disk_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/blobtest"
	"reel/disk"
)

func TestConformance(t *testing.T) {
	s, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, s, "")
}

func TestHostileKeys(t *testing.T) {
	s, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"../escape", "a/../../escape", "/abs", ".tmp/x", "a\\b", "a/\x00", ""} {
		if _, err := s.Put(context.Background(), key, strings.NewReader("x")); reel.ErrorCode(err) != reel.EINVALID {
			t.Errorf("Put(%q) error = %v, want invalid", key, err)
		}
	}
}

func TestFailedPutLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	s, err := disk.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s.Put(ctx, "k", strings.NewReader("data"))
	left, _ := os.ReadDir(filepath.Join(dir, ".tmp"))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}

// A temp file left by a crash mid-upload is removed by the next New once
// it is old; a fresh one, maybe another process's Put, stays.
func TestNewRemovesAbandonedTempFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := disk.New(dir); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, ".tmp", "put-crashed")
	fresh := filepath.Join(dir, ".tmp", "put-running")
	os.WriteFile(old, []byte("half an upload"), 0o644)
	os.WriteFile(fresh, []byte("an upload in progress"), 0o644)
	long := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, long, long)

	if _, err := disk.New(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("abandoned temp file still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}

// Open hands out the *os.File itself for sendfile(2).
func TestBlobExposesFile(t *testing.T) {
	s, _ := disk.New(t.TempDir())
	s.Put(context.Background(), "k", strings.NewReader("data"))
	b, err := s.Open(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f, ok := b.(interface{ OSFile() *os.File })
	if !ok || f.OSFile() == nil {
		t.Fatal("disk blob does not expose its *os.File")
	}
}
