package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressBar draws an upload's progress on stderr: bytes, speed over the
// last seconds, ETA. On a terminal it redraws one line; otherwise it
// writes a line every few seconds, for logs.
type progressBar struct {
	w     io.Writer
	name  string
	total int64
	tty   bool
	now   func() time.Time

	mu       sync.Mutex
	cur      int64
	samples  []sample // recent (time, offset), for the speed
	drawn    time.Time
	drawnOff int64
	started  bool
}

type sample struct {
	t   time.Time
	off int64
}

func newProgressBar(w io.Writer, name string, total int64) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			tty = fi.Mode()&os.ModeCharDevice != 0
		}
	}
	return &progressBar{w: w, name: name, total: total, tty: tty, now: time.Now}
}

// set records that off bytes are uploaded; it may go back after a retry.
func (b *progressBar) set(off int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if off < b.cur {
		b.samples = nil // the speed of lost bytes means nothing
	}
	b.cur = off
	b.samples = append(b.samples, sample{now, off})
	for len(b.samples) > 2 && now.Sub(b.samples[0].t) > 5*time.Second {
		b.samples = b.samples[1:]
	}
	every := 5 * time.Second
	if b.tty {
		every = 200 * time.Millisecond
	}
	if !b.started || now.Sub(b.drawn) >= every || off == b.total && b.drawnOff != off {
		b.draw(now)
	}
}

// speed is bytes per second over the recent samples.
func (b *progressBar) speed() float64 {
	if len(b.samples) < 2 {
		return 0
	}
	first, last := b.samples[0], b.samples[len(b.samples)-1]
	if d := last.t.Sub(first.t).Seconds(); d > 0 {
		return float64(last.off-first.off) / d
	}
	return 0
}

func (b *progressBar) line() string {
	pct := 100.0
	if b.total > 0 {
		pct = float64(b.cur) * 100 / float64(b.total)
	}
	const width = 24
	fill := int(pct / 100 * width)
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	speed := b.speed()
	eta := "--:--"
	if speed > 0 {
		eta = fmtETA(time.Duration(float64(b.total-b.cur) / speed * float64(time.Second)))
	}
	return fmt.Sprintf("%s %5.1f%% [%s] %s / %s  %s/s  ETA %s",
		b.name, pct, bar, fmtSize(b.cur), fmtSize(b.total), fmtSize(int64(speed)), eta)
}

func (b *progressBar) draw(now time.Time) {
	b.started, b.drawn, b.drawnOff = true, now, b.cur
	if b.tty {
		fmt.Fprintf(b.w, "\r%s\x1b[K", b.line())
	} else {
		fmt.Fprintln(b.w, b.line())
	}
}

// note prints a message above the bar.
func (b *progressBar) note(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty {
		fmt.Fprintf(b.w, "\r\x1b[K%s: %s\n", b.name, msg)
		if b.started {
			fmt.Fprintf(b.w, "%s\x1b[K", b.line())
		}
		return
	}
	fmt.Fprintf(b.w, "%s: %s\n", b.name, msg)
}

// done ends the bar's line.
func (b *progressBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty && b.started {
		fmt.Fprintln(b.w)
	}
}

func fmtSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

func fmtETA(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
