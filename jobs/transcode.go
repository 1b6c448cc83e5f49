package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"reel"
	"reel/hls"
	"reel/metrics"
)

// TranscodeArgs are the arguments of the transcode job.
type TranscodeArgs struct {
	VideoID string `json:"video_id"`
}

// Kind names the job in River's table.
func (TranscodeArgs) Kind() string { return "transcode" }

// InsertOpts retries a failed transcode twice: enough for a worker crash or
// a store hiccup, and a bad source fails on its first attempt anyway.
func (TranscodeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

// TranscodeWorker turns a video's original into its HLS outputs.
type TranscodeWorker struct {
	river.WorkerDefaults[TranscodeArgs]

	Videos     reel.VideoStore
	Originals  reel.BlobStore
	Outputs    reel.BlobStore
	Transcoder reel.Transcoder
	// WorkDir holds each job's ffmpeg output until it is uploaded.
	WorkDir string
	// Limit is the longest one transcode may run, whatever the source.
	Limit time.Duration
	// LimitFactor, if positive, also bounds a transcode to this many times
	// the source's duration (plus StallTimeout for the start).
	LimitFactor float64
	// StallTimeout, if positive, cancels and retries a transcode whose
	// progress has not advanced for this long.
	StallTimeout time.Duration
	// Encrypt publishes every video with HLS AES-128 encryption, a fresh
	// content key per transcode.
	Encrypt bool
	// Codecs (as reel.ParseCodecs returns them; nil for H.264 alone) and
	// Downloads are what videos that do not say get. A video's own choice,
	// or these, is recorded on it when its transcode starts (choose), so
	// its retries, pieces and stitch encode the same on any worker.
	Codecs    []string
	Downloads bool
	// SplitAbove and ChunkDuration split a longer source into pieces of
	// about ChunkDuration, each a job of its own (split.go); a zero
	// ChunkDuration, or no Pieces and Queue, transcodes every video whole.
	SplitAbove, ChunkDuration time.Duration
	Pieces                    PieceStore
	Queue                     *Queue
	// Events, if set, receives the video's event log entries (events.go).
	Events reel.VideoEventStore
	// Metrics, if set, counts transcode seconds, media seconds and
	// failures by reason.
	Metrics *metrics.Metrics
	Logger  *slog.Logger

	// handBack is set by Runner.Stop: a transcode cancelled from then on
	// goes back to the queue, available at once, its attempt not counted.
	handBack atomic.Bool
}

// Why a transcode's context was cancelled, besides River's own reasons.
var (
	errDeleted    = errors.New("video deleted")
	errSuperseded = errors.New("a newer job transcodes this video")
)

// Timeout bounds one attempt.
func (w *TranscodeWorker) Timeout(*river.Job[TranscodeArgs]) time.Duration { return w.Limit }

// Work transcodes the video, uploads the outputs master playlist last, and
// marks the video ready; or failed, with a reason, when retrying cannot help.
func (w *TranscodeWorker) Work(ctx context.Context, job *river.Job[TranscodeArgs]) error {
	id := job.Args.VideoID
	log := w.Logger.With("video", id, "job", job.ID, "attempt", job.Attempt)
	v, err := w.Videos.Video(ctx, id)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		return nil // deleted while queued
	} else if err != nil {
		return err
	}
	if v.JobID != 0 && v.JobID != job.ID {
		log.Info("job superseded: the video was requeued")
		return nil
	}

	encrypt := w.Encrypt || v.Encrypted
	w.choose(v, encrypt)
	processing, zero := reel.StatusProcessing, 0.0
	if _, err := w.Videos.UpdateVideo(ctx, id, reel.VideoUpdate{Status: &processing, Progress: &zero,
		Codecs: v.Codecs, Downloads: v.Downloads}); err != nil {
		return ignoreNotFound(err)
	}
	w.note(ctx, id, reel.LogStarted, fmt.Sprintf("Transcode attempt %d started on %s.", job.Attempt, hostname()),
		map[string]any{"worker": hostname(), "attempt": job.Attempt, "job": job.ID})

	// A deleted or requeued video cancels its transcode: progress updates
	// find it gone, or find another job's id on it.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	dog := startWatchdog(w.StallTimeout, cancel)
	defer dog.stop()
	store := throttle(time.Second, func(p float64) {
		u, err := w.Videos.UpdateVideo(ctx, id, reel.VideoUpdate{Progress: &p})
		if reel.ErrorCode(err) == reel.ENOTFOUND {
			cancel(errDeleted)
		} else if err == nil && u.JobID != 0 && u.JobID != job.ID {
			cancel(errSuperseded)
		}
	})

	input, err := w.input(ctx, v)
	if err != nil {
		return err
	}
	if split, err := w.split(ctx, log, job, v, input); err != nil {
		if reel.ErrorCode(err) == reel.ECONFLICT {
			log.Info("job superseded: the video was requeued")
			return nil
		}
		if reel.ErrorCode(err) == reel.ENOTFOUND {
			return nil
		}
		return w.fail(ctx, log, job, err)
	} else if split {
		return nil
	}
	dir, err := os.MkdirTemp(w.WorkDir, "transcode-"+id+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var key []byte
	if encrypt {
		key = make([]byte, hls.KeySize)
		rand.Read(key)
	}

	// Segments are published while ffmpeg encodes, once it has planned.
	var pub *publisher
	var publishing sync.WaitGroup
	pubCtx, stopPublishing := context.WithCancel(ctx)
	defer stopPublishing()

	start := time.Now()
	res, err := w.Transcoder.Transcode(ctx, reel.TranscodeRequest{
		Input:     input,
		OutputDir: dir,
		Codecs:    v.Codecs,
		Downloads: *v.Downloads,
		Progress: func(p float64) {
			dog.observe(p)
			store(p)
		},
		Started: func(duration float64) {
			w.note(ctx, id, reel.LogProbed, fmt.Sprintf("Probed: %.1f s of media.", duration), map[string]any{"duration": duration})
			if w.LimitFactor > 0 {
				dog.limit(time.Duration(w.LimitFactor*duration*float64(time.Second)) + w.StallTimeout)
			}
		},
		Planned: func(renditions []reel.Rendition) {
			pub = newPublisher(w.Outputs, id, dir, renditions, key, func() {
				yes := true
				w.Videos.UpdateVideo(ctx, id, reel.VideoUpdate{Playable: &yes})
				log.Info("playable", "seconds", time.Since(start).Seconds())
			})
			publishing.Add(1)
			go func() {
				defer publishing.Done()
				pub.run(pubCtx, time.Second)
			}()
		},
		Report: func(warnings []reel.MediaWarning) {
			if _, err := w.Videos.UpdateVideo(ctx, id, reel.VideoUpdate{Warnings: nonNil(warnings)}); err != nil {
				log.Warn("store media report", "err", err)
			}
		},
	})
	stopPublishing()
	publishing.Wait()
	if err != nil {
		cause := context.Cause(ctx)
		switch {
		case ctx.Err() != nil && w.handBack.Load():
			return w.handOver(ctx, log, id)
		case errors.Is(cause, errDeleted) || w.gone(ctx, id):
			log.Info("transcode stopped: video deleted")
			return nil
		case errors.Is(cause, errSuperseded):
			log.Info("transcode stopped: " + cause.Error())
			return nil
		case errors.Is(cause, errStalled), errors.Is(cause, errTooSlow):
			err = reel.WrapError(reel.EINTERNAL, cause.Error(), err)
		}
		return w.fail(ctx, log, job, err)
	}
	log.Info("transcoded", "seconds", time.Since(start).Seconds(), "renditions", len(res.Renditions))
	w.noteRenditions(ctx, id, res, time.Since(start))
	w.Metrics.Transcoded(time.Since(start), res.Duration)

	if key != nil {
		if err := dropDownloads(dir, res.Renditions); err != nil {
			return w.fail(ctx, log, job, err)
		}
	}
	if pub == nil {
		pub = newPublisher(w.Outputs, id, dir, nil, key, nil)
	}
	if err := pub.finish(ctx); err != nil {
		return w.fail(ctx, log, job, err)
	}
	ready, one, yes := reel.StatusReady, 1.0, true
	// The outputs are complete: a database that is briefly gone must not
	// cost a whole transcode again, so the last write waits for it.
	err = untilAvailable(ctx, 2*time.Minute, func() error {
		_, err := w.Videos.UpdateVideo(ctx, id, reel.VideoUpdate{
			Status: &ready, Progress: &one, Playable: &yes, Encrypted: &encrypt, Duration: &res.Duration,
			Width: &res.Width, Height: &res.Height, Renditions: res.Renditions, Warnings: nonNil(res.Warnings),
		})
		return err
	})
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		// Deleted while uploading: the delete may have run before our last
		// Put, so remove what we wrote.
		return w.Outputs.DeletePrefix(context.WithoutCancel(ctx), reel.OutputPrefix(id))
	}
	return err
}

// choose settles v's codecs and downloads: its own choice, or the
// worker's defaults; never downloads for an encrypted video, which would
// be a clear copy of it (dropDownloads).
func (w *TranscodeWorker) choose(v *reel.Video, encrypt bool) {
	v.Codecs = w.codecsOf(v)
	downloads := w.Downloads
	if v.Downloads != nil {
		downloads = *v.Downloads
	}
	downloads = downloads && !encrypt
	v.Downloads = &downloads
}

// codecsOf returns the codecs v records, or, for a video split before
// they were recorded, the worker's default.
func (w *TranscodeWorker) codecsOf(v *reel.Video) []string {
	switch {
	case v.Codecs != nil:
		return v.Codecs
	case w.Codecs != nil:
		return w.Codecs
	}
	return []string{reel.CodecH264}
}

// downloadsOf reports whether v has downloads, as recorded when its
// transcode started (or, for a video split before that was recorded, by
// the worker's default); never for an encrypted video.
func (w *TranscodeWorker) downloadsOf(v *reel.Video) bool {
	downloads := w.Downloads
	if v.Downloads != nil {
		downloads = *v.Downloads
	}
	return downloads && !v.Encrypted
}

// input returns what ffmpeg should read: the original's file when the
// store is local, otherwise a presigned URL.
func (w *TranscodeWorker) input(ctx context.Context, v *reel.Video) (string, error) {
	switch s := w.Originals.(type) {
	case LocalBlobStore:
		return s.LocalPath(v.OriginalKey), nil
	case PresignedBlobStore:
		return s.PresignGet(ctx, v.OriginalKey, 12*time.Hour)
	}
	return "", fmt.Errorf("originals store %T can be read neither locally nor by URL", w.Originals)
}

// fail records why the transcode failed. A bad source fails the video now
// and cancels the job; any other error is retried by River until the last
// attempt, which fails the video.
func (w *TranscodeWorker) fail(ctx context.Context, log *slog.Logger, job *river.Job[TranscodeArgs], err error) error {
	if ctx.Err() != nil && w.handBack.Load() {
		return w.handOver(ctx, log, job.Args.VideoID)
	}
	final := reel.ErrorCode(err) == reel.EINVALID || job.Attempt >= job.MaxAttempts
	log.Warn("transcode failed", "final", final, "err", err)
	w.Metrics.TranscodeFailed(failureReason(ctx, err))
	if !final {
		queued := reel.StatusQueued
		w.Videos.UpdateVideo(context.WithoutCancel(ctx), job.Args.VideoID, reel.VideoUpdate{Status: &queued})
		return err
	}
	// Nothing of a failed video is worth keeping, early segments included.
	if err := w.failVideo(ctx, log, job.Args.VideoID, err); err != nil {
		return err
	}
	return river.JobCancel(err)
}

// handOver puts the video back in the queue and snoozes the job for no
// time: River makes it available at once and does not count the attempt,
// so that another worker starts it over while this process shuts down.
func (w *TranscodeWorker) handOver(ctx context.Context, log *slog.Logger, id string) error {
	queued, zero := reel.StatusQueued, 0.0
	_, err := w.Videos.UpdateVideo(context.WithoutCancel(ctx), id, reel.VideoUpdate{Status: &queued, Progress: &zero})
	if err != nil && reel.ErrorCode(err) != reel.ENOTFOUND {
		log.Warn("hand the transcode back: put the video back in the queue", "err", err)
	}
	log.Info("transcode handed back to the queue: this process is shutting down")
	return river.JobSnooze(0)
}

// failureReason names why a transcode failed, for the metrics: the
// watchdog's reasons, or the error's code (invalid for a bad source).
func failureReason(ctx context.Context, err error) string {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errStalled) || errors.Is(err, errStalled):
		return "stalled"
	case errors.Is(cause, errTooSlow) || errors.Is(err, errTooSlow):
		return "too_slow"
	}
	return reel.ErrorCode(err)
}

// throttle returns a progress func that passes at most one value per
// interval on to f, and always the final 1.
func throttle(interval time.Duration, f func(float64)) func(float64) {
	var last time.Time
	return func(p float64) {
		if now := time.Now(); now.Sub(last) >= interval || p >= 1 {
			last = now
			f(p)
		}
	}
}

// gone reports whether the video was deleted: then a failed or cancelled
// transcode is no failure at all.
func (w *TranscodeWorker) gone(ctx context.Context, id string) bool {
	_, err := w.Videos.Video(context.WithoutCancel(ctx), id)
	return reel.ErrorCode(err) == reel.ENOTFOUND
}

// nonNil returns w, or an empty report for nil, which VideoUpdate would
// read as "unchanged".
func nonNil(w []reel.MediaWarning) []reel.MediaWarning {
	if w == nil {
		return []reel.MediaWarning{}
	}
	return w
}

func ignoreNotFound(err error) error {
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		return nil
	}
	return err
}

// untilAvailable calls f until it returns anything but EUNAVAILABLE, or
// for at most limit, waiting a little longer after each try.
func untilAvailable(ctx context.Context, limit time.Duration, f func() error) error {
	end := time.Now().Add(limit)
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		err := f()
		if reel.ErrorCode(err) != reel.EUNAVAILABLE || time.Now().Add(wait).After(end) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
