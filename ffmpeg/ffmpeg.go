// Package ffmpeg adapts the ffmpeg and ffprobe programs to reel.Transcoder.
//
// A transcode probes the source (ffprobe JSON, ParseProbe), plans what to
// do with it in one pure step (NewPlan: the ladder, which never upscales,
// the frame rate, deinterlacing, HDR tone mapping, the audio track, the
// storyboard, and the media report that explains each decision to the
// uploader), runs one ffmpeg process that decodes once and encodes every
// rendition plus the storyboard's thumbnails (Args), then writes what reel
// adds: I-frame playlists, storyboard sheets and cues, a poster from a
// second, short ffmpeg run (PosterArgs, WaveformArgs), and finally the
// master playlist, from the sizes of the segments ffmpeg wrote (package
// hls). The output folder ends up as:
//
//	master.m3u8          written last: its presence means the rest is complete
//	poster.jpg           the most detailed of frames from 10 % to 55 % in, at most 1280 pixels on its long side
//	storyboard_0.jpg     sprite sheets of thumbnails (160 px), up to 10x10 each
//	storyboard.vtt       WebVTT cues: time → sheet#xywh=x,y,w,h
//	360p/index.m3u8      media playlist (VOD, relative URIs)
//	360p/iframes.m3u8    I-frame playlist: byte ranges of the segments
//	360p/init.mp4        fMP4 initialization segment
//	360p/seg_00000.m4s   6-second fMP4 segments, each starting with an IDR frame
//	480p/...             one folder per rung, up to 1080p, video only
//	audio/...            the audio, encoded once: the rendition group every rung plays
//
// While ffmpeg runs, the media playlists are EVENT playlists listing only
// complete segments, so a caller can publish them as they come
// (reel.TranscodeRequest.Planned); they become VOD playlists at the end.
//
// Renditions have square pixels at the source's display aspect ratio and
// orientation: an anamorphic 320x240 source shown at 16:9 becomes 426x240,
// a phone video stored 1920x1080 with a 90° rotation becomes 1080x1920
// (ffmpeg's autorotate turns the frames before the filter graph). They are
// progressive, constant frame rate (at most 60 fps), 8-bit SDR BT.709
// H.264; the default audio track becomes one stereo AAC rendition that
// the master names as the audio group of every video rung.
//
// An audio-only source becomes one AAC rendition named "audio" (no
// resolution), with a picture of its waveform as the poster and no
// storyboard.
//
// What blames the source, and so is an *reel.Error with EINVALID that
// retrying will not fix, with a sentence for the uploader: ffprobe cannot
// read the file, or finds neither video nor audio, or a codec this ffmpeg
// cannot decode (named: "The file's video stream uses the VVC (H.266)
// codec, ..."), or encrypted (DRM) packets, or the file is a playlist,
// list or still image; a stream the plan reads that the container lists
// but no frame of decodes (named, found by decoding the start again when
// ffmpeg fails or writes nothing); ffmpeg fails with a decoding error; or
// ffmpeg exits 0 but the renditions hold less than 90 % of the source's
// duration and the file ends in the middle of its data, as with an upload
// cut short whose index came first (one whose index was at the end fails
// at the probe). A file that ends cleanly but holds less than its header
// claims is published as long as it is, with a shorter_than_claimed
// warning in the media report. Everything else (a missing original, a full
// disk, a missing program) is an *reel.Error with EINTERNAL or a plain
// error, and may be transient. When ffmpeg or ffprobe failed, errors.As
// finds an *ExitError holding the tail of its stderr, for the operator.
package ffmpeg

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"reel"
)

// Transcoder is a reel.Transcoder running ffmpeg and ffprobe. The zero
// value finds both on PATH and does not log.
type Transcoder struct {
	FFmpeg  string // path of ffmpeg; "ffmpeg" if empty
	FFprobe string // path of ffprobe; "ffprobe" if empty
	// Threads, if positive, bounds the threads of each encode's decoder,
	// filter graph and encoders, whole or piece: 1 makes one encode take
	// one core.
	Threads int
	// Codecs are the video codecs of every ladder whose request names
	// none, as ParseCodecs returns them: H.264 alone when empty; HEVC and
	// AV1 rungs are added to the same master (Plan.WithCodecs).
	Codecs []string
	// Downloads makes, once the ladder is finished, an MP4 of the top
	// H.264 rung with the audio and an M4A of the audio, by remuxing, for
	// every video; a request may also ask for them (Downloads).
	Downloads bool
	Logger    *slog.Logger
}

var _ reel.Transcoder = (*Transcoder)(nil)

func (t *Transcoder) ffmpeg() string  { return cmp.Or(t.FFmpeg, "ffmpeg") }
func (t *Transcoder) ffprobe() string { return cmp.Or(t.FFprobe, "ffprobe") }

// codecs returns the video codecs a request asks for, or t.Codecs.
func (t *Transcoder) codecs(asked []string) []string {
	if asked != nil {
		return asked
	}
	return t.Codecs
}

func (t *Transcoder) logger() *slog.Logger {
	if t.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return t.Logger
}

const (
	// completeShare is how much of the source's duration the renditions
	// must hold. Less means ffmpeg stopped at a truncated or damaged part
	// (it exits 0 when a faststart MP4 is cut short); the margin allows for
	// containers that overstate their duration a little.
	completeShare = 0.9
)

// Transcode turns req.Input into an HLS ladder in req.OutputDir, which
// should be empty; on error it may hold partial output. req.Report,
// req.Planned and req.Started are called once each, in that order, before
// encoding starts; req.Progress is called from another goroutine while
// ffmpeg runs, never concurrently with itself. Cancelling ctx stops ffmpeg
// (SIGINT, then SIGKILL after 10 s) and returns ctx.Err().
func (t *Transcoder) Transcode(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
	start := time.Now()
	// An absolute folder keeps ffmpeg from reading the path as an option or
	// a protocol; '%' would be read as a pattern by the HLS muxer.
	outDir, err := filepath.Abs(req.OutputDir)
	if err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	} else if strings.Contains(outDir, "%") {
		return nil, fmt.Errorf("output folder %q: must not contain '%%'", outDir)
	}

	p, err := t.Probe(ctx, req.Input)
	if err != nil {
		return nil, err
	}
	plan := NewPlan(p).WithCodecs(t.codecs(req.Codecs))
	plan.Downloads = t.Downloads || req.Downloads
	log := t.logger().With("input", req.Input)
	log.Info("transcode", "format", p.FormatName, "codec", p.Video.Codec, "duration", p.Duration,
		"audio", p.HasAudio(), "rungs", rungNames(plan.Rungs), "warnings", warningCodes(plan.Warnings))
	if req.Report != nil {
		req.Report(plan.Warnings)
	}
	if req.Planned != nil {
		req.Planned(plan.Renditions())
	}
	if req.Started != nil {
		req.Started(p.Duration)
	}

	// The ladder: one ffmpeg process, progress on its stdout.
	progress := NewProgressWriter(p.Duration, req.Progress)
	stderr, err := t.run(ctx, t.ffmpeg(), ladderArgs(req.Input, outDir, plan, nil, t.Threads), progress)
	if err != nil {
		return nil, t.failed(ctx, err, req.Input, plan)
	}
	if err := finishPlaylists(outDir, plan.outputs()); err != nil {
		return nil, err
	}
	log.Info("transcoded ladder", "elapsed", time.Since(start).Round(time.Millisecond))
	res, err := t.Finish(ctx, req.Input, outDir, plan, stderr)
	if err != nil {
		return nil, err
	}
	log.Info("transcoded", "elapsed", time.Since(start).Round(time.Millisecond))
	return res, nil
}

// failed turns a failed ffmpeg run into the error Transcode returns. A
// stream of the source that no frame of decodes is named (undecodable),
// as are the failures badSource knows; both blame the source, so
// retrying will not help.
func (t *Transcoder) failed(ctx context.Context, err error, input string, plan *Plan) error {
	if ctx.Err() != nil {
		return ctx.Err() // ffmpeg failed because it was interrupted
	}
	var exit *ExitError
	if !errors.As(err, &exit) {
		return fmt.Errorf("ffmpeg: %w", err) // did not start: not installed?
	}
	t.logger().Warn("ffmpeg failed", "code", exit.Code, "stderr", exit.Stderr)
	if machineError(exit.Stderr) {
		return reel.WrapError(reel.EINTERNAL, "Transcoding failed.", exit)
	}
	if msg, bad := t.undecodable(ctx, input, plan); bad {
		return reel.WrapError(reel.EINVALID, msg, exit)
	}
	if msg, bad := badSource(exit.Stderr); bad {
		return reel.WrapError(reel.EINVALID, msg, exit)
	}
	return reel.WrapError(reel.EINTERNAL, "Transcoding failed.", exit)
}
