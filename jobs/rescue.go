package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"reel"
)

// RescueArgs are the arguments of the periodic rescue job.
type RescueArgs struct{}

// Kind names the job in River's table.
func (RescueArgs) Kind() string { return "rescue_stalled" }

// RescueWorker requeues videos left processing by a worker that died: a
// live transcode updates its video every second, so a video untouched for
// After has nobody working on it. River's own rescuer would wait for the
// job's whole time limit, hours for a long video.
type RescueWorker struct {
	river.WorkerDefaults[RescueArgs]

	Videos reel.VideoStore
	// Pieces and Queue, if set, requeue the pieces of split videos whose
	// worker stopped beating, each alone.
	Pieces PieceStore
	Queue  *Queue
	// After is how long a processing video may go without an update.
	After  time.Duration
	Logger *slog.Logger
}

// Work requeues every stalled video with a new transcode job, and every
// stalled piece with a new piece job.
func (w *RescueWorker) Work(ctx context.Context, job *river.Job[RescueArgs]) error {
	if w.Pieces != nil && w.Queue != nil {
		pieces, err := w.Pieces.RequeueStalledPieces(ctx, time.Now().Add(-w.After), w.Queue.reinsertPiece)
		for _, p := range pieces {
			w.Logger.Warn("requeued a piece whose worker stopped", "video", p.VideoID, "piece", p.Index, "job", p.JobID)
		}
		if err != nil {
			return err
		}
	}
	requeued, err := w.Videos.RequeueStalled(ctx, time.Now().Add(-w.After))
	for _, v := range requeued {
		w.Logger.Warn("requeued a video whose transcode stalled", "video", v.ID, "job", v.JobID)
	}
	return err
}
