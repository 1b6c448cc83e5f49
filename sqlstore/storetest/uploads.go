package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"reel"
	"reel/sqlstore"
)

func testUploadLifecycle(t *testing.T, b Backend) {
	ctx := context.Background()
	s, db := open(t, b.NewDSN(t), tableEnqueue)
	id := reel.NewID()
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	u := &reel.Upload{ID: id, Size: 100, MultipartID: "mp", Metadata: map[string]string{"title": "t"}, ExpiresAt: expires}
	v := &reel.Video{ID: id, Title: "t", Filename: "a.mp4", Size: 100, OriginalKey: reel.OriginalKey(id)}
	if err := s.CreateUpload(ctx, u, v); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Video(ctx, id); err != nil || got.Status != reel.StatusUploading || got.Filename != "a.mp4" {
		t.Fatalf("video = %+v, %v", got, err)
	}
	// The same id again fails whole: neither row is written twice.
	if err := s.CreateUpload(ctx, u, v); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("second CreateUpload: %v, want conflict", err)
	}

	adv := reel.UploadAdvance{Offset: 60, TailSize: 10, TailSeq: 1, ExpiresAt: expires,
		Parts: []reel.UploadPart{{Number: 1, ETag: `"a"`, Size: 50}}}
	if err := s.AdvanceUpload(ctx, id, 0, adv); err != nil {
		t.Fatal(err)
	}
	// From a stale offset: refused, nothing changed.
	if err := s.AdvanceUpload(ctx, id, 0, reel.UploadAdvance{Offset: 99}); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("AdvanceUpload from a stale offset: %v, want conflict", err)
	}
	// A part number sent again replaces the earlier one.
	adv = reel.UploadAdvance{Offset: 100, TailSeq: 1, ExpiresAt: expires,
		Parts: []reel.UploadPart{{Number: 2, ETag: `"b"`, Size: 50}}}
	if err := s.AdvanceUpload(ctx, id, 60, adv); err != nil {
		t.Fatal(err)
	}
	got, err := s.Upload(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Offset != 100 || got.TailSize != 0 || got.TailSeq != 1 || got.MultipartID != "mp" || len(got.Parts) != 2 ||
		got.Parts[1] != (reel.UploadPart{Number: 2, ETag: `"b"`, Size: 50}) || got.PartsSize() != 100 ||
		got.Metadata["title"] != "t" || !got.ExpiresAt.Equal(expires) {
		t.Errorf("Upload = %+v", got)
	}
	if err := s.AdvanceUpload(ctx, reel.NewID(), 0, adv); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("AdvanceUpload of an unknown upload: %v", err)
	}

	if ups, err := s.ExpiredUploads(ctx, time.Now(), 10); err != nil || len(ups) != 0 {
		t.Errorf("ExpiredUploads now = %v, %v; want none", ups, err)
	}
	if ups, err := s.ExpiredUploads(ctx, expires.Add(time.Second), 10); err != nil || len(ups) != 1 || len(ups[0].Parts) != 2 {
		t.Errorf("ExpiredUploads later = %v, %v; want the upload", ups, err)
	}

	// Deleting the video deletes its upload and parts.
	if err := s.DeleteVideo(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Upload(ctx, id); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("Upload after DeleteVideo: %v", err)
	}
	var parts int
	db.QueryRow(`SELECT count(*) FROM upload_parts`).Scan(&parts)
	if parts != 0 {
		t.Errorf("%d parts left", parts)
	}
}

func testUploadLock(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), tableEnqueue)
	id := reel.NewID()
	now := time.Now()

	if ok, err := s.LockUpload(ctx, id, "a", now.Add(300*time.Millisecond)); !ok || err != nil {
		t.Fatalf("first LockUpload = %v, %v", ok, err)
	}
	if ok, err := s.LockUpload(ctx, id, "b", now.Add(time.Minute)); ok || err != nil {
		t.Fatalf("LockUpload of a held lock = %v, %v", ok, err)
	}
	if err := s.RequestUploadUnlock(ctx, id); err != nil {
		t.Fatal(err)
	}
	if requested, err := s.RenewUploadLock(ctx, id, "a", now.Add(400*time.Millisecond)); !requested || err != nil {
		t.Errorf("RenewUploadLock after a request = %v, %v; want requested", requested, err)
	}
	// The holder dies: its lease runs out and b takes the lock.
	time.Sleep(450 * time.Millisecond)
	if ok, err := s.LockUpload(ctx, id, "b", time.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("LockUpload after the lease ran out = %v, %v", ok, err)
	}
	if _, err := s.RenewUploadLock(ctx, id, "a", time.Now().Add(time.Minute)); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("RenewUploadLock by the old holder: %v, want conflict", err)
	}
	if requested, err := s.RenewUploadLock(ctx, id, "b", time.Now().Add(time.Minute)); requested || err != nil {
		t.Errorf("RenewUploadLock of a fresh lock = %v, %v", requested, err)
	}
	// The old holder's unlock leaves b's lock alone.
	s.UnlockUpload(ctx, id, "a")
	if ok, _ := s.LockUpload(ctx, id, "c", time.Now().Add(time.Minute)); ok {
		t.Fatal("c took b's lock after a's unlock")
	}
	if err := s.UnlockUpload(ctx, id, "b"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.LockUpload(ctx, id, "c", time.Now().Add(-time.Second)); !ok || err != nil {
		t.Fatalf("LockUpload after unlock = %v, %v", ok, err)
	}
	if n, err := s.DeleteStaleLocks(ctx, time.Now()); n != 1 || err != nil {
		t.Errorf("DeleteStaleLocks = %d, %v; want 1", n, err)
	}
}

// TestUploadLockProcesses races processes (each its own connection to
// one database, as separate reel processes have) for one lock:
// exactly one wins.
func testUploadLockProcesses(t *testing.T, b Backend) {
	ctx := context.Background()
	dsn := b.NewDSN(t)
	var stores []*sqlstore.Store
	for range 4 {
		s, _ := open(t, dsn, nil)
		stores = append(stores, s)
	}
	id := reel.NewID()
	var wg sync.WaitGroup
	wins := make(chan string, 40)
	for i, s := range stores {
		for j := range 10 {
			wg.Go(func() {
				owner := string(rune('a'+i)) + string(rune('0'+j))
				ok, err := s.LockUpload(ctx, id, owner, time.Now().Add(time.Minute))
				if err != nil {
					t.Error(err)
				} else if ok {
					wins <- owner
				}
			})
		}
	}
	wg.Wait()
	close(wins)
	var won []string
	for w := range wins {
		won = append(won, w)
	}
	if len(won) != 1 {
		t.Errorf("owners that took the lock: %q, want exactly one", won)
	}
}
