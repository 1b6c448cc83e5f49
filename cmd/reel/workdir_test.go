package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Processes sharing a data dir each work in a folder of their own: a
// starting one removes what dead processes left, never a live one's.
func TestClaimWorkDir(t *testing.T) {
	base := filepath.Join(t.TempDir(), "work")
	a, freeA, err := claimWorkDir(base)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(a, "segment"), []byte("a's work"), 0o644)
	// Left by a crash: a dead process's folder and lock, and a transcode
	// folder of reel before per-process folders.
	dead := filepath.Join(base, "proc-1")
	os.MkdirAll(dead, 0o755)
	os.WriteFile(dead+".lock", nil, 0o644)
	os.MkdirAll(filepath.Join(base, "transcode-abc-1"), 0o755)

	b, freeB, err := claimWorkDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two processes share %s", a)
	}
	if _, err := os.Stat(filepath.Join(a, "segment")); err != nil {
		t.Errorf("a live process's work was removed: %v", err)
	}
	for _, gone := range []string{dead, dead + ".lock", filepath.Join(base, "transcode-abc-1")} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s left: %v", gone, err)
		}
	}
	freeA()
	freeB()
	left, _ := os.ReadDir(base)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{claimFile}) {
		t.Errorf("after both freed: %v", names)
	}
}
