package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"reel"
	"reel/hls"
)

// PieceWorker encodes one piece of a split video (split.go). It shares
// the transcode worker's settings and stores.
type PieceWorker struct {
	river.WorkerDefaults[PieceArgs]
	*TranscodeWorker
}

// Timeout bounds one attempt.
func (w *PieceWorker) Timeout(*river.Job[PieceArgs]) time.Duration { return w.Limit }

// piecePrefix is where piece n of video id keeps what is not published as
// it is.
func piecePrefix(id string, n int) string {
	return fmt.Sprintf("%s.pieces/%d/", reel.OutputPrefix(id), n)
}

// manifestName lists a piece's files in its prefix: relative path → key.
const manifestName = "files.json"

// Work encodes the piece, uploads it, marks it done and publishes what the
// pieces done in order make playable.
func (w *PieceWorker) Work(ctx context.Context, job *river.Job[PieceArgs]) error {
	id, piece := job.Args.VideoID, job.Args.Piece
	log := w.Logger.With("video", id, "piece", piece.Index, "job", job.ID, "attempt", job.Attempt)
	state, err := w.Pieces.StartPiece(ctx, id, piece.Index, job.ID)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		log.Info("piece job stale: its video was deleted, failed or queued again, or the piece given another job")
		return nil
	} else if err != nil {
		return err
	}
	v, err := w.Videos.Video(ctx, id)
	if err != nil {
		return ignoreNotFound(err)
	}
	w.note(ctx, id, reel.LogStarted, fmt.Sprintf("Piece %d (%.0f–%.0f s) attempt %d started on %s.", piece.Index, piece.Start, piece.End, state.Attempts, hostname()),
		map[string]any{"worker": hostname(), "attempt": state.Attempts, "job": job.ID, "piece": piece.Index})

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	dog := startWatchdog(w.StallTimeout, cancel)
	defer dog.stop()
	if w.LimitFactor > 0 {
		dog.limit(time.Duration(w.LimitFactor*(piece.End-piece.Start)*float64(time.Second)) + w.StallTimeout)
	}
	// The heartbeat runs apart from ffmpeg's reports: it goes on while the
	// piece is probed and uploaded too.
	stopBeat := heartbeat(ctx, time.Second, func() {
		if err := w.Pieces.TouchPiece(ctx, id, piece.Index, job.ID); reel.ErrorCode(err) == reel.ENOTFOUND {
			cancel(errSuperseded)
		}
	})
	defer stopBeat()

	start := time.Now()
	var key []byte
	input, err := w.input(ctx, v)
	if err == nil {
		key, err = w.contentKey(ctx, v)
	}
	if err == nil {
		var dir string
		if dir, err = os.MkdirTemp(w.WorkDir, "piece-"+id+"-"); err == nil {
			defer os.RemoveAll(dir)
			err = w.Transcoder.(reel.SplitTranscoder).TranscodePiece(ctx, reel.PieceRequest{
				// The video's codecs, recorded when it was split: whatever
				// this worker's default, every piece encodes the same.
				Input: input, OutputDir: dir, Piece: piece, Codecs: w.codecsOf(v), Progress: dog.observe,
			})
		}
		if err == nil {
			err = w.uploadPiece(ctx, id, piece.Index, dir, key)
		}
	}
	stopBeat()
	if err != nil {
		cause := context.Cause(ctx)
		switch {
		case ctx.Err() != nil && w.handBack.Load():
			log.Info("piece handed back to the queue: this process is shutting down")
			return river.JobSnooze(0)
		case errors.Is(cause, errSuperseded) || w.gone(ctx, id):
			log.Info("piece stopped: its video was deleted, failed or queued again")
			return nil
		case errors.Is(cause, errStalled), errors.Is(cause, errTooSlow):
			err = reel.WrapError(reel.EINTERNAL, cause.Error(), err)
		}
		return w.failPiece(ctx, log, id, state.Gen, job.ID, job.Attempt >= job.MaxAttempts, err)
	}
	log.Info("piece encoded", "seconds", time.Since(start).Seconds(), "media_seconds", piece.End-piece.Start)
	w.Metrics.Transcoded(time.Since(start), piece.End-piece.Start)

	pieces, err := w.Pieces.FinishPiece(ctx, id, piece.Index, job.ID, w.Queue.insertStitch(id, job.Priority))
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		if w.gone(ctx, id) {
			// Deleted while uploading: what we wrote may have come after
			// the delete.
			return w.Outputs.DeletePrefix(context.WithoutCancel(ctx), reel.OutputPrefix(id))
		}
		return nil
	} else if err != nil {
		return err
	}
	if err := w.publishDone(ctx, log, v, input, pieces, key); err != nil {
		// The stitch publishes everything anyway.
		log.Warn("publish the pieces done in order", "err", err)
	}
	return nil
}

// failPiece fails the video when retrying cannot help (a bad source, the
// last attempt): the first piece to fail fails it, with its reason, and
// cancels the other pieces. Otherwise River retries the piece.
func (w *PieceWorker) failPiece(ctx context.Context, log *slog.Logger, id string, gen, jobID int64, last bool, err error) error {
	final := reel.ErrorCode(err) == reel.EINVALID || last
	log.Warn("piece failed", "final", final, "err", err)
	w.Metrics.TranscodeFailed(failureReason(ctx, err))
	if !final {
		return err
	}
	first, cerr := w.Pieces.CancelPieces(context.WithoutCancel(ctx), id, gen, jobID)
	if cerr != nil {
		return cerr
	}
	if first {
		if err := w.failVideo(ctx, log, id, err); err != nil {
			return err
		}
	}
	return river.JobCancel(err)
}

// failVideo marks the video failed with err's reason and removes its
// outputs; the whole transcode and the piece and stitch jobs all end a
// video this way.
func (w *TranscodeWorker) failVideo(ctx context.Context, log *slog.Logger, id string, err error) error {
	ctx = context.WithoutCancel(ctx)
	if err := w.Outputs.DeletePrefix(ctx, reel.OutputPrefix(id)); err != nil {
		log.Error("delete outputs of a failed video", "err", err)
	}
	failed, no := reel.StatusFailed, false
	msg := "Transcoding failed after several attempts; the operator's log has the details."
	var rerr *reel.Error
	if errors.As(err, &rerr) {
		msg = rerr.Message
	}
	detail := err.Error()
	var tail interface{ StderrTail() string }
	if errors.As(err, &tail) {
		detail = tail.StderrTail()
	}
	_, uerr := w.Videos.UpdateVideo(ctx, id, reel.VideoUpdate{Status: &failed, Playable: &no, Error: &msg, ErrorDetail: &detail})
	if uerr != nil && reel.ErrorCode(uerr) != reel.ENOTFOUND {
		return uerr
	}
	return nil
}

// heartbeat calls f every interval until the returned stop is called or
// ctx ends: a piece beats while it uploads too, when ffmpeg reports
// nothing. Once stop returns, f is not running and will not run again.
func heartbeat(ctx context.Context, interval time.Duration, f func()) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				select {
				case <-done: // stopped while the tick waited
					return
				default:
					f()
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-exited
	}
}

// contentKey returns the video's content key, put up by the split, or nil
// for a video in the clear.
func (w *TranscodeWorker) contentKey(ctx context.Context, v *reel.Video) ([]byte, error) {
	if !v.Encrypted {
		return nil, nil
	}
	key, err := getBytes(ctx, w.Outputs, reel.OutputPrefix(v.ID)+reel.ContentKey)
	if err != nil {
		return nil, fmt.Errorf("content key: %w", err)
	}
	if len(key) != hls.KeySize {
		return nil, fmt.Errorf("content key: %d bytes", len(key))
	}
	return key, nil
}

// uploadPiece puts the piece's files in the outputs store: its segments
// at their final keys (encrypted with key, if any, and then in the clear
// under the piece's prefix too, for the stitch), the rest under the
// piece's prefix, and last the manifest naming them all.
func (w *PieceWorker) uploadPiece(ctx context.Context, id string, n int, dir string, key []byte) error {
	prefix := piecePrefix(id, n)
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, file)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel) // hidden files too: the storyboard's raw thumbnails
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		seq, segment := segmentNumber(rel)
		switch {
		case segment && key == nil:
			files[rel] = reel.OutputPrefix(id) + rel
		case segment:
			enc, err := hls.EncryptSegment(key, seq, data)
			if err != nil {
				return err
			}
			if err := putBytes(ctx, w.Outputs, reel.OutputPrefix(id)+rel, enc); err != nil {
				return err
			}
			files[rel] = prefix + rel
		default:
			files[rel] = prefix + rel
		}
		return putBytes(ctx, w.Outputs, files[rel], data)
	})
	if err != nil {
		return fmt.Errorf("upload piece %d: %w", n, err)
	}
	manifest, _ := json.Marshal(files) // a map of strings always marshals
	return putBytes(ctx, w.Outputs, prefix+manifestName, manifest)
}

// segmentNumber returns the number of the media segment at rel
// ("360p/seg_00012.m4s"), and whether it is one.
func segmentNumber(rel string) (int64, bool) {
	var n int64
	base := path.Base(rel)
	if !strings.HasPrefix(base, "seg_") || !strings.HasSuffix(base, ".m4s") {
		return 0, false
	}
	if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(base, "seg_"), ".m4s"), "%d", &n); err != nil {
		return 0, false
	}
	return n, true
}

// downloadPiece fetches the files of piece n of video id into dir, as
// uploadPiece found them.
func (w *TranscodeWorker) downloadPiece(ctx context.Context, id string, n int, dir string) error {
	data, err := getBytes(ctx, w.Outputs, piecePrefix(id, n)+manifestName)
	if err != nil {
		return fmt.Errorf("piece %d: %w", n, err)
	}
	var files map[string]string
	if err := json.Unmarshal(data, &files); err != nil {
		return fmt.Errorf("piece %d manifest: %w", n, err)
	}
	for rel, key := range files {
		if !fs.ValidPath(rel) {
			return fmt.Errorf("piece %d manifest: bad path %q", n, rel)
		}
		name := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		if err := getFile(ctx, w.Outputs, key, name); err != nil {
			return fmt.Errorf("piece %d: %w", n, err)
		}
	}
	return nil
}

func putBytes(ctx context.Context, store reel.BlobStore, key string, data []byte) error {
	_, err := store.Put(ctx, key, bytes.NewReader(data))
	return err
}

func getBytes(ctx context.Context, store reel.BlobStore, key string) ([]byte, error) {
	b, err := store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return io.ReadAll(b)
}

func getFile(ctx context.Context, store reel.BlobStore, key, name string) error {
	b, err := store.Open(ctx, key)
	if err != nil {
		return err
	}
	defer b.Close()
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
