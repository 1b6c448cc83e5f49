package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"reel"
	"reel/hls"
)

// StitchWorker joins the pieces of a split video and publishes it
// (split.go).
type StitchWorker struct {
	river.WorkerDefaults[StitchArgs]
	*TranscodeWorker
}

// Timeout bounds one attempt.
func (w *StitchWorker) Timeout(*river.Job[StitchArgs]) time.Duration { return w.Limit }

// Work downloads the pieces, joins and finishes them, uploads what the
// pieces did not (playlists, I-frame playlists, storyboard, poster, the
// master last), marks the video ready and removes the pieces' leftovers.
func (w *StitchWorker) Work(ctx context.Context, job *river.Job[StitchArgs]) error {
	id, n := job.Args.VideoID, job.Args.Chunks
	log := w.Logger.With("video", id, "job", job.ID, "attempt", job.Attempt, "stitch", n)
	state, err := w.Pieces.StartPiece(ctx, id, n, job.ID)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		log.Info("stitch job stale")
		return nil
	} else if err != nil {
		return err
	}
	v, err := w.Videos.Video(ctx, id)
	if err != nil {
		return ignoreNotFound(err)
	}
	pieces, err := w.Pieces.Pieces(ctx, id)
	if err != nil {
		return err
	}
	if len(pieces) != n+1 {
		return fmt.Errorf("stitch: %d rows for %d pieces", len(pieces), n)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopBeat := heartbeat(ctx, time.Second, func() {
		if err := w.Pieces.TouchPiece(ctx, id, n, job.ID); reel.ErrorCode(err) == reel.ENOTFOUND {
			cancel(errSuperseded)
		}
	})
	defer stopBeat()

	start := time.Now()
	input, err := w.input(ctx, v)
	if err != nil {
		return w.stitchFailed(ctx, log, job, state.Gen, err)
	}
	work, err := os.MkdirTemp(w.WorkDir, "stitch-"+id+"-")
	if err != nil {
		return w.stitchFailed(ctx, log, job, state.Gen, err)
	}
	defer os.RemoveAll(work)
	// The video's codecs and downloads, recorded when it was split.
	req := reel.StitchRequest{Input: input, OutputDir: filepath.Join(work, "out"), Codecs: w.codecsOf(v), Downloads: w.downloadsOf(v)}
	for i, p := range pieces[:n] {
		dir := filepath.Join(work, fmt.Sprint(i))
		if err := w.downloadPiece(ctx, id, i, dir); err != nil {
			return w.stitchFailed(ctx, log, job, state.Gen, err)
		}
		req.Pieces, req.Dirs = append(req.Pieces, p.Piece), append(req.Dirs, dir)
	}
	if err := os.Mkdir(req.OutputDir, 0o755); err != nil {
		return w.stitchFailed(ctx, log, job, state.Gen, err)
	}
	key, err := w.contentKey(ctx, v)
	if err != nil {
		return w.stitchFailed(ctx, log, job, state.Gen, err)
	}
	res, err := w.Transcoder.(reel.SplitTranscoder).StitchPieces(ctx, req)
	if err != nil {
		return w.stitchFailed(ctx, log, job, state.Gen, err)
	}
	// The segments are up already, put there by their pieces.
	pub := newPublisher(w.Outputs, id, req.OutputDir, nil, key, nil)
	if err := markSegments(pub, req.OutputDir, res.Renditions); err != nil {
		return w.stitchFailed(ctx, log, job, state.Gen, err)
	}
	if key != nil {
		pub.uploaded[reel.ContentKey] = true
		if err := dropDownloads(req.OutputDir, res.Renditions); err != nil {
			return w.stitchFailed(ctx, log, job, state.Gen, err)
		}
	}
	if err := pub.finish(ctx); err != nil {
		return w.stitchFailed(ctx, log, job, state.Gen, err)
	}
	stopBeat()
	if _, err := w.Pieces.FinishPiece(ctx, id, n, job.ID, nil); err != nil {
		return ignoreNotFound(err) // stale: deleted or requeued meanwhile
	}
	log.Info("stitched", "seconds", time.Since(start).Seconds(), "renditions", len(res.Renditions))
	w.noteRenditions(ctx, id, res, time.Since(start))
	ready, one, yes, encrypt := reel.StatusReady, 1.0, true, key != nil
	err = untilAvailable(ctx, 2*time.Minute, func() error {
		_, err := w.Videos.UpdateVideo(ctx, id, reel.VideoUpdate{
			Status: &ready, Progress: &one, Playable: &yes, Encrypted: &encrypt, Duration: &res.Duration,
			Width: &res.Width, Height: &res.Height, Renditions: res.Renditions, Warnings: nonNil(res.Warnings),
		})
		return err
	})
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		return w.Outputs.DeletePrefix(context.WithoutCancel(ctx), reel.OutputPrefix(id))
	} else if err != nil {
		return err
	}
	if err := w.Outputs.DeletePrefix(ctx, reel.OutputPrefix(id)+".pieces/"); err != nil {
		log.Warn("remove the pieces' leftovers", "err", err)
	}
	return nil
}

// stitchFailed is failPiece for the stitch.
func (w *StitchWorker) stitchFailed(ctx context.Context, log *slog.Logger, job *river.Job[StitchArgs], gen int64, err error) error {
	if ctx.Err() != nil && w.handBack.Load() {
		return river.JobSnooze(0)
	}
	if w.gone(ctx, job.Args.VideoID) {
		return nil
	}
	return (&PieceWorker{TranscodeWorker: w.TranscodeWorker}).failPiece(ctx, log, job.Args.VideoID, gen, job.ID, job.Attempt >= job.MaxAttempts, err)
}

// markSegments marks every media segment the joined playlists in dir list
// as uploaded.
func markSegments(pub *publisher, dir string, renditions []reel.Rendition) error {
	for _, r := range renditions {
		data, err := os.ReadFile(filepath.Join(dir, r.Name, reel.MediaPlaylist))
		if err != nil {
			return err
		}
		pl, err := hls.ParseMedia(data)
		if err != nil {
			return err
		}
		for _, s := range pl.Segments {
			pub.uploaded[r.Name+"/"+path.Base(s.URI)] = true
		}
	}
	return nil
}

// publishDone publishes the pieces done in order from the first, when
// the one just done is among them: each rendition's init segment and an
// EVENT playlist of their segments (up already), and, the first time, an
// early master, which makes the video playable. Pieces finishing at once
// may publish out of order; the stitch's final playlists settle it.
func (w *PieceWorker) publishDone(ctx context.Context, log *slog.Logger, v *reel.Video, input string, pieces []reel.PieceState, key []byte) error {
	run := 0
	for run < len(pieces) && pieces[run].Index == run && pieces[run].Status == reel.PieceDone && !(pieces[run].Start == 0 && run > 0) {
		run++
	}
	if run == 0 || (len(pieces) > v.Chunks && run >= v.Chunks) {
		return nil // nothing in order yet, or all done: the stitch publishes
	}
	_, planned, err := w.Transcoder.(reel.SplitTranscoder).Split(ctx, input, w.codecsOf(v), 0, 0)
	if err != nil {
		return err
	}
	pub := newPublisher(w.Outputs, v.ID, "", planned, key, nil)
	for _, r := range planned {
		upto := run
		if r.IsAudio() {
			upto = 1 // the first piece encodes the audio whole
		}
		var b strings.Builder
		target := 0
		var init []byte
		for i := range upto {
			prefix := piecePrefix(v.ID, i) + r.Name + "/"
			data, err := getBytes(ctx, w.Outputs, prefix+reel.MediaPlaylist)
			if err != nil {
				return err
			}
			pl, err := hls.ParseMedia(data)
			if err != nil || pl.Map == "" {
				return fmt.Errorf("piece %d %s: %v", i, r.Name, err)
			}
			if i == 0 {
				if init, err = getBytes(ctx, w.Outputs, prefix+path.Base(pl.Map)); err != nil {
					return err
				}
			}
			for _, s := range pl.Segments {
				fmt.Fprintf(&b, "#EXTINF:%.6f,\n%s\n", s.Duration, path.Base(s.URI))
				target = max(target, int(math.Round(s.Duration)))
			}
			target = max(target, pl.TargetDuration)
		}
		if pub.codecs[r.Name], err = hls.Codecs(init); err != nil {
			return err
		}
		if err := pub.put(ctx, r.Name+"/"+reel.InitSegment, init); err != nil {
			return err
		}
		data := []byte(fmt.Sprintf("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n"+
			"#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=%q\n", target, reel.InitSegment) + b.String())
		if key != nil {
			data = hls.AddKey(data, keyURI)
		}
		if err := pub.put(ctx, r.Name+"/"+reel.MediaPlaylist, data); err != nil {
			return err
		}
	}
	if v.Playable {
		return nil
	}
	if err := pub.publishMaster(ctx); err != nil {
		return err
	}
	yes := true
	if _, err := w.Videos.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Playable: &yes}); err != nil {
		return err
	}
	log.Info("playable", "pieces", run)
	return nil
}
