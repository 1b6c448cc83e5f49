package ffmpeg

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"reel"
)

// probePackets is how many packets from the start Probe looks at: enough
// to see the first of every stream of an interleaved file.
const probePackets = 32

// Probe runs ffprobe on input (a file path or URL) and parses what it
// prints. A source ffprobe cannot read as a video is an *reel.Error with
// EINVALID; a failure to run ffprobe or to reach the input is a plain
// error worth retrying. Either way errors.As finds an *ExitError holding
// ffprobe's stderr when ffprobe itself failed.
func (t *Transcoder) Probe(ctx context.Context, input string) (*Probe, error) {
	var stdout bytes.Buffer
	_, err := t.run(ctx, t.ffprobe(), []string{
		"-v", "error", "-print_format", "json", "-show_format", "-show_streams",
		// The first packets too: their side data tells an encrypted
		// (DRM) stream, which decodes to garbage without an error.
		"-show_packets", "-read_intervals", "%+#" + strconv.Itoa(probePackets),
		inputURL(input),
	}, &stdout)
	var exit *ExitError
	if errors.As(err, &exit) && ctx.Err() == nil {
		if msg, bad := badSource(exit.Stderr); bad {
			// ffmpeg tries the MP4 reader on any file named .mp4, so a text
			// file renamed .mp4 also has no moov: tell it from a cut MP4.
			if msg == msgIncomplete && !looksLikeMP4(input) {
				msg = msgNotVideo
			}
			return nil, reel.WrapError(reel.EINVALID, msg, exit)
		}
		return nil, reel.WrapError(reel.EINTERNAL, "Could not read the video.", exit)
	} else if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err // ffprobe did not start
	}
	return ParseProbe(stdout.Bytes())
}

// looksLikeMP4 reports whether input starts like an MP4 or QuickTime file,
// with one of the boxes found at the top of such files. For URLs it
// cannot tell cheaply and says yes.
func looksLikeMP4(input string) bool {
	if strings.Contains(input, "://") {
		return true
	}
	f, err := os.Open(input)
	if err != nil {
		return true
	}
	defer f.Close()
	var head [8]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return false
	}
	switch string(head[4:]) {
	case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot":
		return true
	}
	return false
}
