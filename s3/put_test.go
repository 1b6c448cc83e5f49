package s3_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"reel"
	"reel/s3"
	"reel/s3test"
)

const MiB = 1 << 20

func TestPartSize(t *testing.T) {
	t.Parallel()
	const unit = 8 * MiB
	for _, tc := range []struct {
		size int64
		n    int
		want int64
	}{
		{0, 1, 8 * MiB},
		{1, 1, 8 * MiB},
		{74 << 30, 1, 8 * MiB},      // 74 GiB still fits 9500 parts of 8 MiB
		{100 << 30, 1, 16 * MiB},    // ceil(100 GiB / 9500) = 10.8 MiB, in whole buffers
		{100 << 30, 9000, 16 * MiB}, // the same for every part
		{-1, 1, 8 * MiB},
		{-1, 1000, 8 * MiB},
		{-1, 1001, 16 * MiB},
		{-1, 2001, 32 * MiB},
		{-1, 10_000, 4 << 30},
	} {
		if got := s3.PartSize(unit, tc.size, tc.n); got != tc.want {
			t.Errorf("PartSize(8 MiB, %d, %d) = %d MiB, want %d MiB", tc.size, tc.n, got/MiB, tc.want/MiB)
		}
	}
}

// Whatever the buffer size, parts are whole buffers within S3's limits,
// a declared size fits in fewer than 10,000 parts, and 10,000 parts of
// unknown size reach terabytes.
func TestPartSizeLimits(t *testing.T) {
	t.Parallel()
	for _, unit := range []int64{5 * MiB, 8 * MiB, 16 * MiB, 64 * MiB} {
		for _, size := range []int64{0, 5 * MiB, 1 << 30, 50 << 30, 1 << 40, s3.MaxObjectSize} {
			ps := s3.PartSize(unit, size, 1)
			if ps%unit != 0 || ps < s3.MinPartSize || ps > s3.MaxPartSize {
				t.Errorf("PartSize(%d, %d) = %d: not whole buffers within S3's limits", unit, size, ps)
			}
			if parts := (size + ps - 1) / ps; parts > s3.MaxParts {
				t.Errorf("PartSize(%d, %d) = %d: %d parts", unit, size, ps, parts)
			}
		}
		var total int64
		for n := 1; n <= s3.MaxParts; n++ {
			ps := s3.PartSize(unit, -1, n)
			if ps%unit != 0 || ps > s3.MaxPartSize {
				t.Fatalf("PartSize(%d, -1, %d) = %d", unit, n, ps)
			}
			total += ps
		}
		if total < 4<<40 {
			t.Errorf("10,000 parts of unknown size from %d MiB buffers reach only %d GiB", unit/MiB, total>>30)
		}
	}
}

// gen yields size pseudo-random bytes without holding them, failing with
// err once failAt bytes are read if err is set.
type gen struct {
	off, size, failAt int64
	err               error
}

func (g *gen) Read(p []byte) (int, error) {
	if g.err != nil && g.off >= g.failAt {
		return 0, g.err
	}
	if g.off >= g.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), g.size-g.off)
	if g.err != nil {
		n = min(n, g.failAt-g.off)
	}
	for i := range p[:n] {
		x := uint64(g.off) + uint64(i)
		p[i] = byte((x * 0x9E3779B97F4A7C15) >> 56)
	}
	g.off += n
	return int(n), nil
}

func sum(t *testing.T, r io.Reader) [32]byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// A 100 MiB body streams through a pool of four 5 MiB buffers: never more
// than four in use, all returned, and the object is the body.
func TestStreamingPutBoundedMemory(t *testing.T) {
	t.Parallel()
	pool := s3.NewPartPool(5*MiB, 4)
	_, s := newStore(t, s3.Options{Pool: pool, PartsInFlight: 3})
	ctx := context.Background()
	const size = 100 * MiB
	for _, declared := range []int64{-1, size} {
		n, err := s.PutSize(ctx, "big", &gen{size: size}, declared)
		if err != nil || n != size {
			t.Fatalf("PutSize(declared %d) = %d, %v", declared, n, err)
		}
		b, err := s.Open(ctx, "big")
		if err != nil {
			t.Fatal(err)
		}
		if b.Size() != size || sum(t, b) != sum(t, &gen{size: size}) {
			t.Errorf("read back %d bytes that differ from the body", b.Size())
		}
		b.Close()
	}
	if pool.MaxInUse() > 4 || pool.MaxInUse() < 2 {
		t.Errorf("at most %d buffers were in use, want 2 to 4", pool.MaxInUse())
	}
	if pool.InUse() != 0 {
		t.Errorf("%d buffers not returned", pool.InUse())
	}
}

// Uploads at once share one pool without exceeding or deadlocking it.
func TestConcurrentPutsShareOnePool(t *testing.T) {
	t.Parallel()
	pool := s3.NewPartPool(5*MiB, 3)
	srv, s := newStore(t, s3.Options{Pool: pool})
	other := open(t, srv, srv.URL("reel", "q"), s3.Options{Pool: pool})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 6 {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Go(func() {
			key := "k" + string(rune('a'+i))
			size := int64(12*MiB + i*MiB)
			if n, err := st.Put(ctx, key, &gen{size: size}); err != nil || n != size {
				t.Errorf("Put %s = %d, %v", key, n, err)
			}
		})
	}
	wg.Wait()
	if pool.MaxInUse() > 3 || pool.InUse() != 0 {
		t.Errorf("buffers in use: at most %d (pool of 3), %d at the end", pool.MaxInUse(), pool.InUse())
	}
}

// A body of exactly one part goes up in one PutObject; one byte more
// makes a multipart upload, whose ETag ends in -<parts>.
func TestOnePartIsOnePutObject(t *testing.T) {
	t.Parallel()
	srv, s := newStore(t, s3.Options{Pool: s3.NewPartPool(5*MiB, 4)})
	ctx := context.Background()
	etag := func(key string) string {
		head, err := srv.Client().HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("reel"), Key: aws.String("p/" + key)})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Trim(aws.ToString(head.ETag), `"`)
	}
	for _, tc := range []struct {
		size      int64
		multipart bool
	}{{0, false}, {5 * MiB, false}, {5*MiB + 1, true}} {
		if n, err := s.Put(ctx, "one", &gen{size: tc.size}); err != nil || n != tc.size {
			t.Fatalf("Put(%d bytes) = %d, %v", tc.size, n, err)
		}
		if got := strings.HasSuffix(etag("one"), "-2"); got != tc.multipart {
			t.Errorf("%d bytes: ETag %s, multipart %v, want %v", tc.size, etag("one"), got, tc.multipart)
		}
	}
}

// A body longer than its declared size fails, whether it is caught in the
// first part or after the multipart upload began, and leaves nothing.
func TestPutSizeLongerThanDeclared(t *testing.T) {
	t.Parallel()
	srv, s := newStore(t, s3.Options{Pool: s3.NewPartPool(5*MiB, 4)})
	ctx := context.Background()
	for _, tc := range []struct{ declared, actual int64 }{{10, 11}, {6 * MiB, 20 * MiB}} {
		_, err := s.PutSize(ctx, "long", &gen{size: tc.actual}, tc.declared)
		if reel.ErrorCode(err) != reel.ETOOLARGE {
			t.Errorf("PutSize(%d bytes declared %d) error = %v, want too large", tc.actual, tc.declared, err)
		}
	}
	assertNothingLeft(t, srv, "p/long")
	if _, err := s.PutSize(ctx, "huge", strings.NewReader("x"), s3.MaxObjectSize+1); reel.ErrorCode(err) != reel.ETOOLARGE {
		t.Errorf("PutSize(6 TiB declared) error = %v, want too large", err)
	}
}

// A declared size whose parts would not fit in the pool fails before any
// upload starts, with a message that says so.
func TestPutSizeBeyondThePool(t *testing.T) {
	t.Parallel()
	srv, s := newStore(t, s3.Options{Pool: s3.NewPartPool(5*MiB, 2)})
	_, err := s.PutSize(context.Background(), "x", &gen{size: 1 << 40}, 1<<40) // parts of 115 MiB
	if err == nil || !strings.Contains(err.Error(), "part pool has only 2") {
		t.Errorf("error = %v, want one about the part pool", err)
	}
	assertNothingLeft(t, srv, "p/x")
}

// assertNothingLeft fails if the server holds an object at key or any
// multipart upload in bucket "reel".
func assertNothingLeft(t *testing.T, srv *s3test.Server, key string) {
	t.Helper()
	ctx := context.Background()
	ups, err := srv.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String("reel")})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups.Uploads {
		t.Errorf("multipart upload left in progress: %s %s", aws.ToString(u.Key), aws.ToString(u.UploadId))
	}
	_, err = srv.Client().HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String("reel"), Key: aws.String(key)})
	var apiErr interface{ ErrorCode() string }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotFound" {
		t.Errorf("object %s: HEAD error = %v, want NotFound", key, err)
	}
}
