package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"

	"reel"
	"reel/s3"
)

// TestParts drives a multipart upload part by part, as resumable uploads
// do across requests, and keeps a short remainder as an object of its own.
func TestParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := s3.NewPartPool(s3.MinPartSize, 2)
	_, st := newStore(t, s3.Options{Pool: pool})
	if st.PartUnit() != s3.MinPartSize || st.PartsInFlight() != 2 {
		t.Fatalf("PartUnit = %d, PartsInFlight = %d", st.PartUnit(), st.PartsInFlight())
	}
	data := make([]byte, 2*s3.MinPartSize+1234)
	rand.Read(data)
	src := bytes.NewReader(data)

	id, err := st.CreateMultipart(ctx, "v/original")
	if err != nil {
		t.Fatal(err)
	}
	var parts []reel.CompletedPart
	for n := 1; ; n++ {
		p, err := st.ReadPart(ctx, src, s3.MinPartSize)
		if err != nil {
			t.Fatal(err)
		}
		if p.Len() == 0 {
			p.Release()
			break
		}
		if p.Len() < s3.MinPartSize {
			// Too short for a part but the last: kept on its own, then
			// sent as the last part too.
			if err := st.PutPart(ctx, "v/original.tail.1", p); err != nil {
				t.Fatal(err)
			}
		}
		etag, err := st.UploadPart(ctx, "v/original", id, n, p)
		if err != nil {
			t.Fatal(err)
		}
		p.Release()
		parts = append(parts, reel.CompletedPart{Number: n, ETag: etag})
	}
	if pool.InUse() != 0 {
		t.Errorf("%d buffers still lent", pool.InUse())
	}
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	size, err := st.CompleteMultipart(ctx, "v/original", id, parts)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("CompleteMultipart = %d, %v", size, err)
	}
	for key, want := range map[string][]byte{"v/original": data, "v/original.tail.1": data[2*s3.MinPartSize:]} {
		b, err := st.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(b)
		b.Close()
		if !bytes.Equal(got, want) {
			t.Errorf("%s holds %d bytes, want %d", key, len(got), len(want))
		}
	}

	// A part needing more buffers than the pool has fails; a cancelled
	// wait for buffers too.
	if _, err := st.ReadPart(ctx, src, 3*s3.MinPartSize); err == nil {
		t.Error("ReadPart larger than the pool succeeded")
	}
	held, _ := st.ReadPart(ctx, bytes.NewReader(data), 2*s3.MinPartSize)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.ReadPart(cctx, bytes.NewReader(data), s3.MinPartSize); err == nil {
		t.Error("ReadPart with a full pool and a cancelled context succeeded")
	}
	held.Release()
	held.Release() // twice is harmless
	if pool.InUse() != 0 {
		t.Errorf("%d buffers still lent", pool.InUse())
	}
	if _, err := st.UploadPart(ctx, "v/original", id, 0, held); err == nil {
		t.Error("UploadPart number 0 succeeded")
	}
}
