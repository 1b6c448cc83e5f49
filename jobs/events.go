package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"reel"
)

// The transcode worker writes what only it knows into the video's event
// log: which worker started which attempt, what the probe found, each
// rendition with its timing. The store records the state changes itself.

// note appends an entry to the video's log. The log is a record, not a
// step of the transcode: failing to write it is logged and the work goes on.
func (w *TranscodeWorker) note(ctx context.Context, id, typ, message string, data map[string]any) {
	if w.Events == nil {
		return
	}
	e := reel.VideoEvent{Type: typ, Message: message}
	if data != nil {
		e.Data, _ = json.Marshal(data) // maps of plain values always marshal
	}
	if err := w.Events.AddVideoEvent(context.WithoutCancel(ctx), id, e); err != nil {
		w.Logger.Warn("video event not recorded", "video", id, "type", typ, "err", err)
	}
}

// noteRenditions records each rendition of a finished transcode. One
// ffmpeg process encodes the whole ladder, so they share its time.
func (w *TranscodeWorker) noteRenditions(ctx context.Context, id string, res *reel.TranscodeResult, took time.Duration) {
	for _, r := range res.Renditions {
		w.note(ctx, id, reel.LogRendition,
			fmt.Sprintf("Rendition %s (%dx%d, %d kbit/s on average) encoded in %.1f s.", r.Name, r.Width, r.Height, r.AverageBandwidth/1000, took.Seconds()),
			map[string]any{"rendition": r.Name, "width": r.Width, "height": r.Height,
				"bandwidth": r.Bandwidth, "average_bandwidth": r.AverageBandwidth, "seconds": took.Seconds()})
	}
}

// hostname names this worker in the log.
func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%s (pid %d)", h, os.Getpid())
}
