package disk_test

import (
	"context"
	"io"
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

// A temp file left by a crash mid-upload, however fresh, is removed by
// the next New; one a live Put is writing (here in this process, through
// another open file, as another process's would be) stays and completes.
func TestNewRemovesAbandonedTempFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := disk.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(dir, ".tmp", "put-crashed")
	os.WriteFile(crashed, []byte("half an upload"), 0o644)

	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.Put(context.Background(), "live", pr)
		done <- err
	}()
	pw.Write([]byte("the first bytes of an upload in progress"))
	live := ""
	for deadline := time.Now().Add(time.Minute); live == ""; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the live Put made no temp file within a minute")
		}
		entries, _ := os.ReadDir(filepath.Join(dir, ".tmp"))
		for _, e := range entries {
			if e.Name() != "put-crashed" {
				live = filepath.Join(dir, ".tmp", e.Name())
			}
		}
	}

	if _, err := disk.New(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(crashed); !os.IsNotExist(err) {
		t.Errorf("abandoned temp file still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("live Put's temp file removed: %v", err)
	}
	pw.Write([]byte(", and the rest"))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("live Put: %v", err)
	}
	b, err := s.Open(context.Background(), "live")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(b)
	b.Close()
	if string(got) != "the first bytes of an upload in progress, and the rest" {
		t.Errorf("live Put stored %q", got)
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
