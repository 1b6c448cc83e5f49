package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reel"
)

// RunPieces checks the pieces of split transcodes: written with their
// jobs in one transaction, run only by the job their row names, progress
// weighted by duration, the stitch inserted once by the last piece done, a
// stalled piece requeued alone, and every way a video's pieces end
// (cancel, delete, requeue) cancelling their jobs.
func RunPieces(t *testing.T, b Backend) {
	t.Run("Lifecycle", func(t *testing.T) { testPiecesLifecycle(t, b) })
	t.Run("FinishTogether", func(t *testing.T) { testPiecesFinishTogether(t, b) })
}

func testPiecesLifecycle(t *testing.T, b Backend) {
	ctx := context.Background()
	s, db := open(t, b.NewDSN(t), tableEnqueue)
	var cancelled []int64
	s.WithCancel(func(ctx context.Context, tx *sql.Tx, ids []int64) error {
		cancelled = append(cancelled, ids...)
		return nil
	})
	insert := func(ctx context.Context, tx *sql.Tx, pieces []reel.Piece) ([]int64, error) {
		var ids []int64
		for range pieces {
			id, err := tableEnqueue(ctx, tx, "piece")
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	count := func(table string) (n int) {
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
		return n
	}
	pieces := []reel.Piece{{Index: 0, Start: 0, End: 12}, {Index: 1, Start: 12, End: 24}, {Index: 2, Start: 24, End: 30, Last: true}}

	v := &reel.Video{ID: reel.NewID(), Status: reel.StatusQueued, OriginalKey: reel.NewID()}
	if err := s.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	processing := reel.StatusProcessing
	s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &processing})

	// A failing insert leaves nothing; a stale planner is refused.
	jobs := count("jobs")
	err := s.SplitVideo(ctx, v.ID, v.JobID, pieces, false, func(ctx context.Context, tx *sql.Tx, ps []reel.Piece) ([]int64, error) {
		tableEnqueue(ctx, tx, "piece")
		return nil, errors.New("queue down")
	})
	if err == nil || count("pieces") != 0 || count("jobs") != jobs {
		t.Fatalf("failed split: %v, %d pieces, %d jobs (%d before)", err, count("pieces"), count("jobs"), jobs)
	}
	if err := s.SplitVideo(ctx, v.ID, v.JobID+100, pieces, false, insert); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("split by a stale job: %v, want conflict", err)
	}
	if err := s.SplitVideo(ctx, v.ID, v.JobID, pieces, true, insert); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Video(ctx, v.ID); got.Chunks != 3 || !got.Encrypted {
		t.Errorf("split video: chunks %d, encrypted %v", got.Chunks, got.Encrypted)
	}
	rows, err := s.Pieces(ctx, v.ID)
	if err != nil || len(rows) != 3 || rows[2].End != 30 || !rows[2].Last || rows[1].Status != reel.PieceQueued || rows[0].Gen != v.JobID {
		t.Fatalf("pieces %+v, %v", rows, err)
	}

	// Only the job a row names runs it; each start is an attempt.
	if _, err := s.StartPiece(ctx, v.ID, 0, rows[1].JobID); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("start by another piece's job: %v", err)
	}
	p, err := s.StartPiece(ctx, v.ID, 0, rows[0].JobID)
	if err != nil || p.Status != reel.PieceRunning || p.Attempts != 1 {
		t.Fatalf("start: %+v %v", p, err)
	}
	if err := s.TouchPiece(ctx, v.ID, 0, rows[0].JobID); err != nil {
		t.Error(err)
	}
	stitches := 0
	stitch := func(ctx context.Context, tx *sql.Tx, gen int64, chunks int) (int64, error) {
		stitches++
		if gen != v.JobID || chunks != 3 {
			return 0, fmt.Errorf("stitch of gen %d, %d chunks", gen, chunks)
		}
		return tableEnqueue(ctx, tx, "stitch")
	}
	if _, err := s.FinishPiece(ctx, v.ID, 0, rows[0].JobID, stitch); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Video(ctx, v.ID); math.Abs(got.Progress-0.4) > 1e-9 {
		t.Errorf("progress after 12 s of 30: %v", got.Progress)
	}
	if _, err := s.FinishPiece(ctx, v.ID, 0, rows[0].JobID, stitch); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("finished twice: %v", err)
	}

	// A piece whose heartbeat stopped gets a new job, alone; the old
	// job is cancelled and finds no row any more.
	if _, err := s.StartPiece(ctx, v.ID, 1, rows[1].JobID); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.RequeueStalledPieces(ctx, time.Now().Add(-time.Hour), nil); len(again) != 0 {
		t.Errorf("requeued a live piece: %+v", again)
	}
	cancelled = nil
	requeued, err := s.RequeueStalledPieces(ctx, time.Now().Add(time.Second), func(ctx context.Context, tx *sql.Tx, p reel.PieceState) (int64, error) {
		return tableEnqueue(ctx, tx, "again")
	})
	if err != nil || len(requeued) != 1 || requeued[0].Index != 1 || fmt.Sprint(cancelled) != fmt.Sprint([]int64{rows[1].JobID}) {
		t.Fatalf("requeued %+v (%v), cancelled %v", requeued, err, cancelled)
	}
	if err := s.TouchPiece(ctx, v.ID, 1, rows[1].JobID); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("the old job's heartbeat: %v", err)
	}
	rows, _ = s.Pieces(ctx, v.ID)
	if p, err := s.StartPiece(ctx, v.ID, 1, rows[1].JobID); err != nil || p.Attempts != 2 {
		t.Fatalf("restart: %+v %v", p, err)
	}

	// The whole-video rescue leaves a split video to its pieces.
	if got, _ := s.RequeueStalled(ctx, time.Now().Add(time.Hour)); len(got) != 0 {
		t.Errorf("a split video requeued whole: %+v", got)
	}

	// The last piece done inserts the stitch, once.
	s.StartPiece(ctx, v.ID, 2, rows[2].JobID)
	for _, i := range []int{2, 1} {
		if _, err := s.FinishPiece(ctx, v.ID, i, rows[i].JobID, stitch); err != nil {
			t.Fatal(err)
		}
	}
	rows, _ = s.Pieces(ctx, v.ID)
	if stitches != 1 || len(rows) != 4 || rows[3].Index != 3 || rows[3].Status != reel.PieceQueued || rows[3].End != 30 {
		t.Fatalf("%d stitches, pieces %+v", stitches, rows)
	}
	if got, _ := s.Video(ctx, v.ID); got.Progress != 1 {
		t.Errorf("progress with every piece done: %v", got.Progress)
	}

	// A failure drops the pieces once and cancels the jobs not done but
	// the caller's.
	cancelled = nil
	if first, err := s.CancelPieces(ctx, v.ID, v.JobID, 0); !first || err != nil {
		t.Fatalf("cancel: %v %v", first, err)
	}
	if fmt.Sprint(cancelled) != fmt.Sprint([]int64{rows[3].JobID}) {
		t.Errorf("cancelled %v, want the stitch's job %d", cancelled, rows[3].JobID)
	}
	if again, _ := s.CancelPieces(ctx, v.ID, v.JobID, 0); again {
		t.Error("cancelled twice")
	}

	// Requeueing (a retry) and deleting drop the pieces and cancel their jobs.
	w := &reel.Video{ID: reel.NewID(), Status: reel.StatusQueued, OriginalKey: reel.NewID()}
	s.CreateVideo(ctx, w)
	s.UpdateVideo(ctx, w.ID, reel.VideoUpdate{Status: &processing})
	if err := s.SplitVideo(ctx, w.ID, w.JobID, pieces, false, insert); err != nil {
		t.Fatal(err)
	}
	failed := reel.StatusFailed
	s.UpdateVideo(ctx, w.ID, reel.VideoUpdate{Status: &failed})
	cancelled = nil
	if _, err := s.Enqueue(ctx, w.ID, 1, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Pieces(ctx, w.ID); len(got) != 0 || len(cancelled) != 3 {
		t.Errorf("after a retry: pieces %+v, cancelled %v", got, cancelled)
	}
	if got, _ := s.Video(ctx, w.ID); got.Chunks != 1 {
		t.Errorf("chunks after a retry: %d", got.Chunks)
	}
	w, _ = s.Video(ctx, w.ID)
	s.UpdateVideo(ctx, w.ID, reel.VideoUpdate{Status: &processing})
	if err := s.SplitVideo(ctx, w.ID, w.JobID, pieces, false, insert); err != nil {
		t.Fatal(err)
	}
	cancelled = nil
	if err := s.DeleteVideo(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if len(cancelled) != 3 || count("pieces") != 0 {
		t.Errorf("after a delete: %d pieces left, cancelled %v", count("pieces"), cancelled)
	}
}

// Pieces finishing at the same moment, each on a connection of its own as
// on two workers: the one that finishes last sees the others done and
// inserts the stitch, exactly once per video.
func testPiecesFinishTogether(t *testing.T, b Backend) {
	ctx := context.Background()
	dsn := b.NewDSN(t)
	s, _ := open(t, dsn, tableEnqueue)
	other, _ := open(t, dsn, tableEnqueue) // a second pool: another process
	pieces := []reel.Piece{{Index: 0, Start: 0, End: 6}, {Index: 1, Start: 6, End: 12}, {Index: 2, Start: 12, End: 20, Last: true}}
	insert := func(ctx context.Context, tx *sql.Tx, ps []reel.Piece) ([]int64, error) {
		var ids []int64
		for range ps {
			id, err := tableEnqueue(ctx, tx, "piece")
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	processing := reel.StatusProcessing
	for round := range 10 {
		v := &reel.Video{ID: reel.NewID(), Status: reel.StatusQueued, OriginalKey: reel.NewID()}
		if err := s.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &processing})
		if err := s.SplitVideo(ctx, v.ID, v.JobID, pieces, false, insert); err != nil {
			t.Fatal(err)
		}
		rows, _ := s.Pieces(ctx, v.ID)
		for _, p := range rows {
			if _, err := s.StartPiece(ctx, v.ID, p.Index, p.JobID); err != nil {
				t.Fatal(err)
			}
		}
		var stitches atomic.Int32
		stitch := func(ctx context.Context, tx *sql.Tx, gen int64, chunks int) (int64, error) {
			stitches.Add(1)
			return tableEnqueue(ctx, tx, "stitch")
		}
		var wg sync.WaitGroup
		for i, store := range []interface {
			FinishPiece(context.Context, string, int, int64, func(context.Context, *sql.Tx, int64, int) (int64, error)) ([]reel.PieceState, error)
		}{s, other, s} {
			wg.Go(func() {
				if _, err := store.FinishPiece(ctx, v.ID, i, rows[i].JobID, stitch); err != nil {
					t.Errorf("round %d, piece %d: %v", round, i, err)
				}
			})
		}
		wg.Wait()
		if n := stitches.Load(); n != 1 {
			t.Fatalf("round %d: %d stitches inserted, want 1", round, n)
		}
		if got, _ := s.Video(ctx, v.ID); got.Progress != 1 {
			t.Fatalf("round %d: progress %v with every piece done", round, got.Progress)
		}
	}
}
