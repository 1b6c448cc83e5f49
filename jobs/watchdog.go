package jobs

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Why the watchdog cancelled a transcode; both are retried.
var (
	errStalled = errors.New("Transcoding stopped making progress.")
	errTooSlow = errors.New("Transcoding took longer than allowed for a video of this length.")
)

// watchdog cancels a transcode whose progress stops advancing for longer
// than stall, or that runs past a limit set once the source's duration is
// known. ffmpeg keeps reporting while stuck, so it is the value that must
// move, not the reports that must come.
type watchdog struct {
	stall  time.Duration
	cancel context.CancelCauseFunc
	done   chan struct{}

	mu       sync.Mutex
	value    float64
	advanced time.Time
	deadline *time.Timer
}

// startWatchdog starts watching; a zero stall disables the stall check.
func startWatchdog(stall time.Duration, cancel context.CancelCauseFunc) *watchdog {
	d := &watchdog{stall: stall, cancel: cancel, done: make(chan struct{}), value: -1, advanced: time.Now()}
	if stall > 0 {
		go d.watch()
	}
	return d
}

func (d *watchdog) watch() {
	tick := time.NewTicker(max(d.stall/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-tick.C:
			d.mu.Lock()
			idle := time.Since(d.advanced)
			d.mu.Unlock()
			if idle > d.stall {
				d.cancel(errStalled)
				return
			}
		}
	}
}

// observe records a progress report.
func (d *watchdog) observe(p float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p > d.value {
		d.value, d.advanced = p, time.Now()
	}
}

// limit cancels the transcode once after has passed.
func (d *watchdog) limit(after time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.deadline == nil {
		d.deadline = time.AfterFunc(after, func() { d.cancel(errTooSlow) })
	}
}

func (d *watchdog) stop() {
	close(d.done)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.deadline != nil {
		d.deadline.Stop()
	}
}
