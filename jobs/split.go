package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"reel"
	"reel/hls"
)

// Split-and-stitch: a video longer than SplitAbove is cut into pieces of
// ChunkDuration (reel.SplitTranscoder.Split). Its transcode job then only
// plans: it writes a row per piece and inserts a piece job per piece, in
// one transaction (PieceStore.SplitVideo), and returns. Any worker takes
// any piece: it reads the original as a whole transcode does, encodes its
// time range, and puts its outputs in the outputs store, which is where
// workers on different machines meet (they share no disk):
//
//	<id>/<rendition>/seg_NNNNN.m4s    the piece's segments, final (numbered
//	                                  and timed on the whole timeline;
//	                                  encrypted for an encrypted video)
//	<id>/.pieces/<n>/...              the rest of the piece (playlists,
//	                                  init segments, storyboard thumbnails),
//	                                  and the clear segments of an
//	                                  encrypted video
//	<id>/.pieces/<n>/files.json       what the piece wrote: path → key
//
// As soon as the first pieces are done in order, the one that completes
// the run publishes media playlists listing their segments and an early
// master: the video plays while the rest encode. The piece that finishes
// last inserts the stitch job in the transaction that marks it done. The
// stitch downloads the pieces, joins them without re-encoding, finishes
// the video as a whole transcode does (I-frame playlists, storyboard,
// poster, the master last), marks it ready and removes .pieces/.
//
// A piece's heartbeat is its row's updated_at, touched every second; the
// rescue job gives a piece whose heartbeat stopped a new job, alone. A
// piece that fails on its content fails the video once and cancels the
// other pieces' jobs.

// PieceStore keeps the pieces of split transcodes (sqlstore.Store). Every
// method but SplitVideo and RequeueStalledPieces is ENOTFOUND for a job
// its piece's row no longer names: the job is stale and stops.
type PieceStore interface {
	SplitVideo(ctx context.Context, id string, gen int64, pieces []reel.Piece, encrypted bool,
		insert func(ctx context.Context, tx *sql.Tx, pieces []reel.Piece) ([]int64, error)) error
	Pieces(ctx context.Context, id string) ([]reel.PieceState, error)
	StartPiece(ctx context.Context, id string, idx int, jobID int64) (reel.PieceState, error)
	TouchPiece(ctx context.Context, id string, idx int, jobID int64) error
	FinishPiece(ctx context.Context, id string, idx int, jobID int64,
		stitch func(ctx context.Context, tx *sql.Tx, gen int64, chunks int) (int64, error)) ([]reel.PieceState, error)
	CancelPieces(ctx context.Context, id string, gen, except int64) (bool, error)
	RequeueStalledPieces(ctx context.Context, before time.Time,
		insert func(ctx context.Context, tx *sql.Tx, p reel.PieceState) (int64, error)) ([]reel.PieceState, error)
}

// PieceArgs are the arguments of a piece job.
type PieceArgs struct {
	VideoID string     `json:"video_id"`
	Piece   reel.Piece `json:"piece"`
}

// Kind names the job in River's table.
func (PieceArgs) Kind() string { return "transcode_piece" }

// InsertOpts retries a piece as a transcode is retried.
func (PieceArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// StitchArgs are the arguments of the stitch job of a split video.
type StitchArgs struct {
	VideoID string `json:"video_id"`
	Chunks  int    `json:"chunks"`
}

// Kind names the job in River's table.
func (StitchArgs) Kind() string { return "stitch" }

// InsertOpts retries a stitch as a transcode is retried.
func (StitchArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// insertPieces returns the insert func of PieceStore.SplitVideo for the
// pieces of video id, at priority.
func (q *Queue) insertPieces(id string, priority int) func(ctx context.Context, tx *sql.Tx, pieces []reel.Piece) ([]int64, error) {
	return func(ctx context.Context, tx *sql.Tx, pieces []reel.Piece) ([]int64, error) {
		params := make([]river.InsertManyParams, len(pieces))
		for i, p := range pieces {
			opts := PieceArgs{}.InsertOpts()
			opts.Priority = priority
			params[i] = river.InsertManyParams{Args: PieceArgs{VideoID: id, Piece: p}, InsertOpts: &opts}
		}
		return q.insertMany(ctx, tx, params)
	}
}

// insertMany inserts the jobs within tx and returns their ids in order.
func (q *Queue) insertMany(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]int64, error) {
	res, err := q.client.InsertManyTx(ctx, tx, params)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(res))
	for i, r := range res {
		ids[i] = r.Job.ID
	}
	if q.inserted != nil {
		q.inserted()
	}
	return ids, nil
}

// insertStitch returns the stitch func of PieceStore.FinishPiece.
func (q *Queue) insertStitch(id string, priority int) func(ctx context.Context, tx *sql.Tx, gen int64, chunks int) (int64, error) {
	return func(ctx context.Context, tx *sql.Tx, gen int64, chunks int) (int64, error) {
		opts := StitchArgs{}.InsertOpts()
		opts.Priority = priority
		ids, err := q.insertMany(ctx, tx, []river.InsertManyParams{{Args: StitchArgs{VideoID: id, Chunks: chunks}, InsertOpts: &opts}})
		if err != nil {
			return 0, err
		}
		return ids[0], nil
	}
}

// reinsertPiece is the insert func of PieceStore.RequeueStalledPieces: a
// new job for the piece, or for the stitch (the piece past the last).
func (q *Queue) reinsertPiece(ctx context.Context, tx *sql.Tx, p reel.PieceState) (int64, error) {
	var args river.JobArgs = PieceArgs{VideoID: p.VideoID, Piece: p.Piece}
	opts := PieceArgs{}.InsertOpts()
	if p.Start == 0 && p.Last && p.Index > 0 {
		args, opts = StitchArgs{VideoID: p.VideoID, Chunks: p.Index}, StitchArgs{}.InsertOpts()
	}
	opts.Priority = 1 // it has waited its turn already
	ids, err := q.insertMany(ctx, tx, []river.InsertManyParams{{Args: args, InsertOpts: &opts}})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// CancelTx cancels the jobs within tx; it has the shape of
// sqlstore.CancelFunc. Unknown jobs are skipped.
func (q *Queue) CancelTx(ctx context.Context, tx *sql.Tx, jobIDs []int64) error {
	for _, id := range jobIDs {
		if _, err := q.client.JobCancelTx(ctx, tx, id); err != nil && !errors.Is(err, river.ErrNotFound) {
			return err
		}
	}
	if len(jobIDs) > 0 && q.inserted != nil {
		q.inserted() // the cancel notifications, as soon as they commit
	}
	return nil
}

// split plans the pieces of the video when the transcoder can split and
// the source is long enough: it records them and inserts their jobs, and
// reports true; the transcode job is then done. False means: transcode it
// whole.
func (w *TranscodeWorker) split(ctx context.Context, log *slog.Logger, job *river.Job[TranscodeArgs], v *reel.Video, input string) (bool, error) {
	st, ok := w.Transcoder.(reel.SplitTranscoder)
	if !ok || w.Pieces == nil || w.Queue == nil || w.ChunkDuration <= 0 {
		return false, nil
	}
	pieces, _, err := st.Split(ctx, input, w.codecsOf(v), w.SplitAbove, w.ChunkDuration)
	if err != nil || len(pieces) < 2 {
		return false, err
	}
	encrypt := w.Encrypt || v.Encrypted
	if encrypt {
		// One content key for every piece, up before any segment.
		key := make([]byte, hls.KeySize)
		rand.Read(key)
		if err := putBytes(ctx, w.Outputs, reel.OutputPrefix(v.ID)+reel.ContentKey, key); err != nil {
			return false, err
		}
	}
	for i := range pieces {
		pieces[i].Index = i
	}
	if err := w.Pieces.SplitVideo(ctx, v.ID, job.ID, pieces, encrypt, w.Queue.insertPieces(v.ID, job.Priority)); err != nil {
		return false, err
	}
	log.Info("split", "pieces", len(pieces), "chunk", w.ChunkDuration)
	w.note(ctx, v.ID, reel.LogProbed, fmt.Sprintf("Split into %d pieces of about %.0f s, encoded by any worker.", len(pieces), pieces[0].End-pieces[0].Start),
		map[string]any{"chunks": len(pieces), "duration": pieces[len(pieces)-1].End})
	return true, nil
}
