package ffmpeg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// ExitError is how ffmpeg or ffprobe failed, or, with Code 0, what ffmpeg
// logged while producing unusable output. Transcode and Probe return it
// as the cause (Err) of an *reel.Error, so a caller keeps the stderr tail
// with:
//
//	var exit *ffmpeg.ExitError
//	if errors.As(err, &exit) { detail = exit.Stderr }
type ExitError struct {
	Program string // "ffmpeg" or "ffprobe", as configured
	Code    int    // exit status; -1 when killed by a signal
	Stderr  string // the last few KiB the program wrote to stderr
	Err     error  // the *exec.ExitError, or why the output was unusable if Code is 0
}

// Error returns the program, its exit status and the last line it logged.
func (e *ExitError) Error() string {
	last := strings.TrimSpace(e.Stderr)
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	if last == "" {
		return fmt.Sprintf("%s: %v", e.Program, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Program, e.Err, last)
}

// Unwrap returns the *exec.ExitError.
func (e *ExitError) Unwrap() error { return e.Err }

const (
	// stderrTail is how much of a program's stderr is kept: enough for the
	// last error lines, bounded whatever the program prints.
	stderrTail = 4 << 10
	// waitDelay is how long a program has to exit after SIGINT before it is
	// killed. ffmpeg needs a moment to flush and close its outputs.
	waitDelay = 10 * time.Second
)

// run runs the program with args, copying its stdout to stdout (if not
// nil), and returns the tail of its stderr. A cancelled ctx sends SIGINT,
// then SIGKILL after waitDelay. A program that ran and failed yields an
// *ExitError.
func (t *Transcoder) run(ctx context.Context, program string, args []string, stdout io.Writer) (stderr string, err error) {
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Stdout = stdout
	// SVT-AV1 logs its banner and settings to stderr itself, not through
	// ffmpeg's -loglevel: errors only, so that the tail stays the reason.
	cmd.Env = append(os.Environ(), "SVT_LOG=1")
	tail := &tailWriter{max: stderrTail}
	cmd.Stderr = tail
	// SIGINT lets ffmpeg finish its outputs; the default (SIGKILL) would not.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = waitDelay

	t.logger().Debug("exec", "program", program, "args", args)
	err = cmd.Run()
	stderr = tail.String()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stderr, &ExitError{Program: filepath.Base(program), Code: ee.ExitCode(), Stderr: stderr, Err: ee}
	} else if err != nil {
		return stderr, fmt.Errorf("run %s: %w", program, err)
	}
	return stderr, nil
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	buf []byte
	max int
	cut bool // whether bytes were dropped from the front
}

// Write keeps the end of p and never fails, so the program never blocks
// on a full stderr.
func (w *tailWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > w.max {
		p = p[len(p)-w.max:]
		w.buf, w.cut = w.buf[:0], true
	}
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = w.buf[:copy(w.buf, w.buf[over:])]
		w.cut = true
	}
	return n, nil
}

// String returns what was kept, starting at a whole line when the front
// was cut, as valid UTF-8.
func (w *tailWriter) String() string {
	b := w.buf
	if w.cut {
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// sourceErrors are stderr lines that blame the source, not the machine,
// and the sentence shown to the uploader for each. Retrying will not help.
// Read-only, like machineErrors.
var sourceErrors = []struct{ marker, msg string }{
	{"moov atom not found", msgIncomplete},
	{"partial file", msgIncomplete},
	{"Decoder (codec", msgUndecoded}, // "Decoder (codec x) not found for input stream"
	{"Invalid data found when processing input", msgNotVideo},
	{"could not find codec parameters", msgNotVideo},
	{"Could not find codec parameters", msgNotVideo},
	{"Error while decoding stream", msgNotVideo},
	{"EBML header parsing failed", msgNotVideo},
}

// machineErrors are stderr lines that blame the machine even when the
// source also looks damaged: those failures are worth retrying.
var machineErrors = []string{"No space left on device", "Cannot allocate memory", "Too many open files"}

// badSource reports whether a failed program's stderr blames the source,
// and the sentence for the uploader if it does.
func badSource(stderr string) (string, bool) {
	if machineError(stderr) {
		return "", false
	}
	// "Decoder (codec av1) not found for input stream #0:0": name it.
	if m := decoderNotFound.FindStringSubmatch(stderr); m != nil {
		if name := codecName(m[1], ""); name != "" && known(m[1]) {
			return fmt.Sprintf("The file uses the %s codec, which this server cannot decode.", name), true
		}
	}
	for _, e := range sourceErrors {
		if strings.Contains(stderr, e.marker) {
			return e.msg, true
		}
	}
	return "", false
}

// machineError reports whether a failed program's stderr blames the
// machine (machineErrors): such a failure is worth retrying.
func machineError(stderr string) bool {
	for _, m := range machineErrors {
		if strings.Contains(stderr, m) {
			return true
		}
	}
	return false
}

// decoderNotFound matches ffmpeg's error for a stream it cannot decode.
var decoderNotFound = regexp.MustCompile(`Decoder \(codec ([a-z0-9_]+)\) not found`)

// inputURL returns input as ffmpeg should be given it: URLs as they are,
// file paths made absolute, so that a name starting with "-" or holding a
// colon is never read as an option or a protocol.
func inputURL(input string) string {
	if strings.Contains(input, "://") {
		return input
	}
	if abs, err := filepath.Abs(input); err == nil {
		return abs
	}
	return input
}

// StderrTail returns the kept end of the program's stderr, for the
// operator's view of a failed video.
func (e *ExitError) StderrTail() string { return e.Stderr }
