package ffmpeg

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// ProgressWriter parses what ffmpeg writes with -progress: blocks of
// key=value lines, each block ending in progress=continue or progress=end.
// At the end of each block it reports the fraction of the source encoded
// so far (out_time over the source's duration, clamped to 0..1), only when
// the fraction grew. progress=end reports 1.
//
// It is an io.Writer so it can be a command's Stdout directly; it never
// returns an error, so ffmpeg never blocks or fails on its progress pipe.
type ProgressWriter struct {
	duration float64 // seconds of the source; ≤ 0 when unknown
	report   func(fraction float64)
	line     []byte  // the incomplete last line
	long     bool    // the current line overflowed and is being skipped
	outTime  float64 // seconds encoded, from the current block
	last     float64 // the last fraction reported
}

// maxProgressLine bounds the line buffer: ffmpeg's lines are short, and
// anything longer is not progress.
const maxProgressLine = 1024

// NewProgressWriter returns a ProgressWriter for a source of duration
// seconds that calls report (if not nil) as the fraction grows.
func NewProgressWriter(duration float64, report func(fraction float64)) *ProgressWriter {
	if math.IsNaN(duration) || math.IsInf(duration, 0) {
		duration = 0
	}
	return &ProgressWriter{duration: duration, report: report, last: -1}
}

// Write parses p, which may end in the middle of a line.
func (w *ProgressWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buffer(p)
			break
		}
		w.buffer(p[:i])
		if !w.long {
			w.parseLine(string(w.line))
		}
		w.line, w.long = w.line[:0], false
		p = p[i+1:]
	}
	return n, nil
}

// buffer appends b to the current line unless the line is too long.
func (w *ProgressWriter) buffer(b []byte) {
	if w.long || len(w.line)+len(b) > maxProgressLine {
		w.line, w.long = w.line[:0], true
		return
	}
	w.line = append(w.line, b...)
}

// parseLine handles one key=value line.
func (w *ProgressWriter) parseLine(line string) {
	key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
	if !ok {
		return
	}
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	switch key {
	case "out_time_us":
		if us, err := strconv.ParseInt(value, 10, 64); err == nil {
			w.outTime = float64(us) / 1e6
		}
	case "out_time_ms":
		// Despite its name ffmpeg writes microseconds here too. It is only
		// a fallback: out_time_us, written just before it, wins.
		if us, err := strconv.ParseInt(value, 10, 64); err == nil && w.outTime == 0 {
			w.outTime = float64(us) / 1e6
		}
	case "out_time":
		if s, ok := parseClock(value); ok && w.outTime == 0 {
			w.outTime = s
		}
	case "progress":
		f := 1.0
		if value != "end" {
			f = w.fraction()
		}
		w.outTime = 0
		if f > w.last {
			w.last = f
			if w.report != nil {
				w.report(f)
			}
		}
	}
}

// fraction returns the block's out_time over the duration, in 0..1.
func (w *ProgressWriter) fraction() float64 {
	if w.duration <= 0 {
		return 0
	}
	f := w.outTime / w.duration
	if math.IsNaN(f) || f < 0 {
		return 0
	}
	return min(f, 1)
}

// parseClock parses "HH:MM:SS.micro", as in out_time=00:00:09.914921.
func parseClock(s string) (float64, bool) {
	neg := strings.HasPrefix(s, "-")
	parts := strings.Split(strings.TrimPrefix(s, "-"), ":")
	if len(parts) != 3 {
		return 0, false
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, false
	}
	t := float64(h)*3600 + float64(m)*60 + sec
	if neg {
		t = -t
	}
	return t, true
}
