package s3

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPoolServesWaitersInOrder(t *testing.T) {
	t.Parallel()
	p := NewPartPool(MinPartSize, 3)
	ctx := context.Background()
	held, err := p.get(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	// A waits for all 3 buffers; B, later, wants the 1 that is free now
	// but must not overtake A, or large parts could starve.
	gotA, gotB := make(chan [][]byte), make(chan [][]byte)
	go func() { b, _ := p.get(ctx, 3); gotA <- b }()
	waitFor(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.waiters) == 1 })
	go func() { b, _ := p.get(ctx, 1); gotB <- b }()
	waitFor(t, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return len(p.waiters) == 2 })

	p.put(held)
	a := <-gotA
	select {
	case <-gotB:
		t.Fatal("B was served while A held every buffer")
	case <-time.After(20 * time.Millisecond):
	}
	p.put(a)
	p.put(<-gotB)
	if p.InUse() != 0 || p.MaxInUse() != 3 {
		t.Errorf("in use %d, at most %d; want 0 and 3", p.InUse(), p.MaxInUse())
	}
	p.mu.Lock()
	allocated := len(p.free)
	p.mu.Unlock()
	if allocated != 3 {
		t.Errorf("%d buffers allocated for a pool of 3", allocated)
	}
}

func TestPoolGetCancelled(t *testing.T) {
	t.Parallel()
	p := NewPartPool(MinPartSize, 1)
	held, _ := p.get(context.Background(), 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.get(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("get on a full pool = %v, want deadline exceeded", err)
	}
	p.put(held)
	if p.InUse() != 0 || len(p.waiters) != 0 {
		t.Errorf("in use %d, waiters %d after cancel", p.InUse(), len(p.waiters))
	}
	if _, err := p.get(context.Background(), 2); err == nil || !strings.Contains(err.Error(), "part pool has only 1") {
		t.Errorf("get beyond the pool = %v", err)
	}
}

func TestNewPartPoolClamps(t *testing.T) {
	t.Parallel()
	p := NewPartPool(1, 0)
	if p.BufferSize() != MinPartSize || p.Buffers() != 1 {
		t.Errorf("NewPartPool(1, 0) = %d bytes × %d", p.BufferSize(), p.Buffers())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	loc, err := parseURL("s3://media/a/b/?endpoint=http://h:1/&region=r&use_path_style=0&profile=x")
	if err != nil {
		t.Fatal(err)
	}
	if loc.bucket != "media" || loc.prefix != "a/b/" || loc.endpoint != "http://h:1" || loc.region != "r" ||
		loc.profile != "x" || loc.pathStyle == nil || *loc.pathStyle {
		t.Errorf("parseURL = %+v", loc)
	}
	// A secret put in the URL by mistake is not repeated in the error.
	_, err = parseURL("s3://AKIA:supersecret@media/p")
	if err == nil || strings.Contains(err.Error(), "supersecret") {
		t.Errorf("error = %v", err)
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"s3://bucket", "s3://bucket/prefix/", "s3://b/p?endpoint=http://127.0.0.1:7070&region=us-east-1&use_path_style=true",
		"s3://b/../x", "s3://b/p?x=1", "s3://u:p@b/p", "s3://b/%00", "s3://b//a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		loc, err := parseURL(raw)
		if err != nil {
			return
		}
		if loc.bucket == "" || strings.ContainsAny(loc.bucket, ":/") {
			t.Errorf("parseURL(%q): bucket %q", raw, loc.bucket)
		}
		if loc.prefix != "" && (!strings.HasSuffix(loc.prefix, "/") || !validKey(strings.TrimSuffix(loc.prefix, "/"))) {
			t.Errorf("parseURL(%q): prefix %q", raw, loc.prefix)
		}
	})
}
