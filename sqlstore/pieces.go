package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"reel"
)

// The pieces of split transcodes (table pieces, migration 012): a row per
// piece and one for the stitch, each with the River job that runs it now,
// written in the transaction that inserts that job. Jobs run a piece only
// while its row names them, so a job made stale (its video requeued,
// deleted, failed, or its piece rescued onto a new job) finds no row and
// stops.

// CancelFunc cancels the jobs with the given ids inside tx: queued ones
// never run, running ones are told to stop. The job queue provides it.
type CancelFunc func(ctx context.Context, tx *sql.Tx, jobIDs []int64) error

// WithCancel makes the store cancel the jobs of the pieces it drops with
// f, and returns the store. Call it before the store is used.
func (s *Store) WithCancel(f CancelFunc) *Store {
	s.cancel = f
	return s
}

const pieceColumns = `video_id, idx, gen, start_s, end_s, is_last, status, job_id, attempts`

func scanPiece(row scanner) (reel.PieceState, error) {
	var p reel.PieceState
	err := row.Scan(&p.VideoID, &p.Index, &p.Gen, &p.Start, &p.End, &p.Last, &p.Status, &p.JobID, &p.Attempts)
	return p, err
}

// SplitVideo records the pieces of video id, split by its transcode job
// gen, inserts their jobs with insert (one job id per piece, in order),
// and sets the video's chunks and encryption, in one transaction. It is
// ECONFLICT when gen is no longer the video's job (it was requeued), and
// ENOTFOUND when the video is gone.
func (s *Store) SplitVideo(ctx context.Context, id string, gen int64, pieces []reel.Piece, encrypted bool,
	insert func(ctx context.Context, tx *sql.Tx, pieces []reel.Piece) ([]int64, error)) (err error) {
	defer unavailable(&err)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	now := s.now().UTC().UnixMicro()
	res, err := tx.ExecContext(ctx, `UPDATE videos SET chunks = ?, encrypted = ?, progress = 0, updated_at = ?
		WHERE id = ? AND job_id = ?`, len(pieces), encrypted, now, id, gen)
	if err != nil {
		return fmt.Errorf("split video: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := videoByID(ctx, tx, id); err != nil {
			return err
		}
		return reel.Errorf(reel.ECONFLICT, "The video was queued again.")
	}
	if err := s.dropPieces(ctx, tx, id, 0); err != nil {
		return err
	}
	jobs, err := insert(ctx, tx.Tx, pieces)
	if err != nil {
		return fmt.Errorf("insert piece jobs: %w", err)
	}
	if len(jobs) != len(pieces) {
		return fmt.Errorf("insert piece jobs: %d jobs for %d pieces", len(jobs), len(pieces))
	}
	for i, p := range pieces {
		if _, err := tx.ExecContext(ctx, `INSERT INTO pieces (`+pieceColumns+`, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
			id, p.Index, gen, p.Start, p.End, p.Last, reel.PieceQueued, jobs[i], now); err != nil {
			return fmt.Errorf("insert piece: %w", err)
		}
	}
	return tx.Commit()
}

// Pieces returns the pieces of video id (the stitch last), none if it is
// not split.
func (s *Store) Pieces(ctx context.Context, id string) (_ []reel.PieceState, err error) {
	defer unavailable(&err)
	return piecesOf(ctx, s.db, id)
}

func piecesOf(ctx context.Context, q rowsQuerier, id string) ([]reel.PieceState, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+pieceColumns+` FROM pieces WHERE video_id = ? ORDER BY idx`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []reel.PieceState
	for rows.Next() {
		p, err := scanPiece(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// StartPiece marks piece idx of video id running for job jobID, counts the
// attempt and returns the piece. It is ENOTFOUND when the row does not
// name the job (the job is stale) or the piece is done already.
func (s *Store) StartPiece(ctx context.Context, id string, idx int, jobID int64) (_ reel.PieceState, err error) {
	defer unavailable(&err)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return reel.PieceState{}, err
	}
	defer tx.Rollback() // a no-op after Commit
	res, err := tx.ExecContext(ctx, `UPDATE pieces SET status = ?, attempts = attempts + 1, updated_at = ?
		WHERE video_id = ? AND idx = ? AND job_id = ? AND status <> ?`,
		reel.PieceRunning, s.now().UTC().UnixMicro(), id, idx, jobID, reel.PieceDone)
	if err != nil {
		return reel.PieceState{}, fmt.Errorf("start piece: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return reel.PieceState{}, reel.Errorf(reel.ENOTFOUND, "Piece not found.")
	}
	p, err := scanPiece(tx.QueryRowContext(ctx, `SELECT `+pieceColumns+` FROM pieces WHERE video_id = ? AND idx = ?`, id, idx))
	if err != nil {
		return reel.PieceState{}, err
	}
	return p, tx.Commit()
}

// TouchPiece is the heartbeat of a running piece. It is ENOTFOUND when
// the row no longer names the job: the piece must stop.
func (s *Store) TouchPiece(ctx context.Context, id string, idx int, jobID int64) (err error) {
	defer unavailable(&err)
	res, err := s.db.ExecContext(ctx, `UPDATE pieces SET updated_at = ?
		WHERE video_id = ? AND idx = ? AND job_id = ? AND status = ?`,
		s.now().UTC().UnixMicro(), id, idx, jobID, reel.PieceRunning)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return reel.Errorf(reel.ENOTFOUND, "Piece not found.")
	}
	return nil
}

// FinishPiece marks piece idx of video id done by job jobID, sets the
// video's progress to the share of its pieces done, weighted by their
// durations, and, when this was the last piece to finish, inserts the
// stitch's job with stitch and its row, in one transaction. It returns
// every piece as it now is; ENOTFOUND when the job is stale.
func (s *Store) FinishPiece(ctx context.Context, id string, idx int, jobID int64,
	stitch func(ctx context.Context, tx *sql.Tx, gen int64, chunks int) (int64, error)) (_ []reel.PieceState, err error) {
	defer unavailable(&err)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() // a no-op after Commit
	now := s.now().UTC().UnixMicro()
	// The video's row first: pieces finishing at once take turns, so the
	// last one sees every other done and inserts the stitch. (Under
	// PostgreSQL's read committed, two of them would each see the other
	// still running, and neither would.)
	res, err := tx.ExecContext(ctx, `UPDATE videos SET updated_at = ? WHERE id = ?`, now, id)
	if err != nil {
		return nil, fmt.Errorf("finish piece: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, reel.Errorf(reel.ENOTFOUND, "Video not found.")
	}
	res, err = tx.ExecContext(ctx, `UPDATE pieces SET status = ?, updated_at = ?
		WHERE video_id = ? AND idx = ? AND job_id = ? AND status = ?`,
		reel.PieceDone, now, id, idx, jobID, reel.PieceRunning)
	if err != nil {
		return nil, fmt.Errorf("finish piece: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, reel.Errorf(reel.ENOTFOUND, "Piece not found.")
	}
	pieces, err := piecesOf(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	var chunks int
	if err := tx.QueryRowContext(ctx, `SELECT chunks FROM videos WHERE id = ?`, id).Scan(&chunks); err != nil {
		return nil, err
	}
	if idx < chunks {
		var total, done float64
		for _, p := range pieces[:min(chunks, len(pieces))] {
			total += p.End - p.Start
			if p.Status == reel.PieceDone {
				done += p.End - p.Start
			}
		}
		progress := done / max(total, 1e-9)
		if _, err := tx.ExecContext(ctx, `UPDATE videos SET progress = ?, updated_at = ? WHERE id = ?`, progress, now, id); err != nil {
			return nil, err
		}
		if done >= total && len(pieces) == chunks {
			gen, last := pieces[0].Gen, pieces[chunks-1]
			jobID, err := stitch(ctx, tx.Tx, gen, chunks)
			if err != nil {
				return nil, fmt.Errorf("insert stitch job: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO pieces (`+pieceColumns+`, updated_at)
				VALUES (?, ?, ?, 0, ?, TRUE, ?, ?, 0, ?)`, id, chunks, gen, last.End, reel.PieceQueued, jobID, now); err != nil {
				return nil, fmt.Errorf("insert stitch: %w", err)
			}
			pieces = append(pieces, reel.PieceState{Piece: reel.Piece{Index: chunks, End: last.End, Last: true},
				VideoID: id, Gen: gen, Status: reel.PieceQueued, JobID: jobID})
		}
	}
	return pieces, tx.Commit()
}

// CancelPieces drops the pieces of video id split by gen and cancels
// their jobs, except the job except (the caller's). It reports whether
// there were any: of several pieces failing at once, only one finds them,
// and it alone fails the video.
func (s *Store) CancelPieces(ctx context.Context, id string, gen, except int64) (_ bool, err error) {
	defer unavailable(&err)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() // a no-op after Commit
	res, err := tx.ExecContext(ctx, `UPDATE pieces SET status = status WHERE video_id = ? AND gen = ?`, id, gen)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := s.dropPieces(ctx, tx, id, except); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// dropPieces deletes the pieces of video id within tx and cancels the
// jobs of those not done, but except's.
func (s *Store) dropPieces(ctx context.Context, tx *txn, id string, except int64) error {
	jobs, err := pieceJobs(ctx, tx, id, except)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM pieces WHERE video_id = ?`, id); err != nil {
		return fmt.Errorf("drop pieces: %w", err)
	}
	return s.cancelJobs(ctx, tx, jobs)
}

// pieceJobs returns the jobs of video id's pieces not done, but except.
func pieceJobs(ctx context.Context, tx *txn, id string, except int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT job_id FROM pieces WHERE video_id = ? AND status <> ? AND job_id <> ?`,
		id, reel.PieceDone, except)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var jobs []int64
	for rows.Next() {
		var j int64
		if err := rows.Scan(&j); err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// cancelJobs cancels jobs within tx, if the store can.
func (s *Store) cancelJobs(ctx context.Context, tx *txn, jobs []int64) error {
	if len(jobs) == 0 || s.cancel == nil {
		return nil
	}
	if err := s.cancel(ctx, tx.Tx, jobs); err != nil {
		return fmt.Errorf("cancel piece jobs: %w", err)
	}
	return nil
}

// RequeueStalledPieces gives each running piece whose heartbeat stopped
// before a new job (insert) and cancels its old one, in one transaction
// per piece: a piece whose worker died runs again, alone. It returns the
// pieces requeued, with their new jobs.
func (s *Store) RequeueStalledPieces(ctx context.Context, before time.Time,
	insert func(ctx context.Context, tx *sql.Tx, p reel.PieceState) (int64, error)) (_ []reel.PieceState, err error) {
	defer unavailable(&err)
	rows, err := s.db.QueryContext(ctx, `SELECT `+pieceColumns+` FROM pieces WHERE status = ? AND updated_at < ?`,
		reel.PieceRunning, before.UTC().UnixMicro())
	if err != nil {
		return nil, err
	}
	var stalled []reel.PieceState
	for rows.Next() {
		p, err := scanPiece(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		stalled = append(stalled, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var requeued []reel.PieceState
	for _, p := range stalled {
		ok, err := s.requeuePiece(ctx, p, before, insert)
		if err != nil {
			return requeued, err
		}
		if ok {
			requeued = append(requeued, p)
		}
	}
	return requeued, nil
}

// requeuePiece is RequeueStalledPieces for one piece; false if the piece
// moved on since it was read.
func (s *Store) requeuePiece(ctx context.Context, p reel.PieceState, before time.Time,
	insert func(ctx context.Context, tx *sql.Tx, p reel.PieceState) (int64, error)) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() // a no-op after Commit
	jobID, err := insert(ctx, tx.Tx, p)
	if err != nil {
		return false, err
	}
	// The update repeats the test: the worker may have come back to life.
	res, err := tx.ExecContext(ctx, `UPDATE pieces SET status = ?, job_id = ?, updated_at = ?
		WHERE video_id = ? AND idx = ? AND job_id = ? AND status = ? AND updated_at < ?`,
		reel.PieceQueued, jobID, s.now().UTC().UnixMicro(), p.VideoID, p.Index, p.JobID, reel.PieceRunning, before.UTC().UnixMicro())
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // rolled back, the new job with it
	}
	if s.cancel != nil {
		if err := s.cancel(ctx, tx.Tx, []int64{p.JobID}); err != nil {
			return false, err
		}
	}
	return true, tx.Commit()
}
