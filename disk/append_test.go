package disk_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"reel"
	"reel/disk"
)

func TestAppend(t *testing.T) {
	ctx := context.Background()
	s, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	read := func() string {
		t.Helper()
		b, err := s.Open(ctx, "v/original")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		data, _ := io.ReadAll(b)
		return string(data)
	}
	if n, err := s.Append(ctx, "v/original", 0, strings.NewReader("hello")); n != 5 || err != nil {
		t.Fatalf("first Append = %d, %v", n, err)
	}
	if n, err := s.Append(ctx, "v/original", 5, strings.NewReader(" world")); n != 6 || err != nil {
		t.Fatalf("second Append = %d, %v", n, err)
	}
	// A write at an earlier offset discards what lies past it: bytes of a
	// request whose offset was never recorded.
	if _, err := s.Append(ctx, "v/original", 6, strings.NewReader("there")); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "hello there" {
		t.Errorf("content %q", got)
	}
	if err := s.Truncate("v/original", 5); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "hello" {
		t.Errorf("after Truncate: %q", got)
	}
	// Past the end: bytes recorded as received are missing.
	if _, err := s.Append(ctx, "v/original", 9, strings.NewReader("x")); reel.ErrorCode(err) != reel.EINTERNAL {
		t.Errorf("Append past the end: %v", err)
	}
	if err := s.Truncate("v/none", 0); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("Truncate of a missing blob: %v", err)
	}
	if _, err := s.Append(ctx, "../escape", 0, strings.NewReader("x")); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("Append to a hostile key: %v", err)
	}
	// A cancelled write stops.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Append(cctx, "v/original", 5, strings.NewReader("more")); err == nil {
		t.Error("Append with a cancelled context succeeded")
	}
	if _, err := os.Stat(s.LocalPath("v/original")); err != nil {
		t.Error(err)
	}
}
