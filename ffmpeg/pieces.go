package ffmpeg

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"reel"
)

var _ reel.SplitTranscoder = (*Transcoder)(nil)

// Split probes input and returns its pieces (PlanPieces) and the
// renditions it will have, or no pieces when it should be transcoded
// whole: an audio-only source has nothing worth splitting, and one in a
// container ffmpeg cannot seek exactly (seeksExactly) cannot be. Rungs of
// every codec split and stitch alike (ShiftPiece).
func (t *Transcoder) Split(ctx context.Context, input string, codecs []string, splitAbove, chunk time.Duration) ([]reel.Piece, []reel.Rendition, error) {
	plan, err := t.plan(ctx, input, codecs)
	if err != nil {
		return nil, nil, err
	}
	if plan.AudioOnly || !seeksExactly(plan.Probe.FormatName) {
		return nil, plan.Renditions(), nil
	}
	var pieces []reel.Piece
	for _, p := range PlanPieces(plan.Probe.Duration, splitAbove, chunk) {
		pieces = append(pieces, reel.Piece{Index: p.Index, Start: p.Start, End: p.End, Last: p.Last})
	}
	return pieces, plan.Renditions(), nil
}

// seeksExactly reports whether ffmpeg seeks in a container of format
// (ffprobe's format_name) to the key frame at or before a time, as a
// piece's accurate seek needs: MP4 and QuickTime (fragmented too) and
// Matroska and WebM (without cues too) do, from their indexes or by
// reading on. MPEG-TS does not: ffmpeg 5.1 searches it by timestamps and
// starts decoding at the next key frame after the time: a piece of a
// recording with a key frame every 10 s started up to 10 s late and held
// frames of the next piece's range in its place (or nothing), and its
// length passed the piece's check. Only the containers known to seek
// exactly are split; any other source is encoded whole, slower but right.
func seeksExactly(format string) bool {
	for _, name := range strings.Split(format, ",") {
		switch name {
		case "mov", "mp4", "matroska", "webm":
			return true
		}
	}
	return false
}

// plan probes input and plans its transcode with the video codecs
// given, or t.Codecs when nil.
func (t *Transcoder) plan(ctx context.Context, input string, codecs []string) (*Plan, error) {
	p, err := t.Probe(ctx, input)
	if err != nil {
		return nil, err
	}
	return NewPlan(p).WithCodecs(t.codecs(codecs)), nil
}

// TranscodePiece plans the source again, encodes req.Piece into
// req.OutputDir (EncodePiece) and shifts it onto the whole video's
// timeline (ShiftPiece): its segments are final.
func (t *Transcoder) TranscodePiece(ctx context.Context, req reel.PieceRequest) error {
	plan, err := t.plan(ctx, req.Input, req.Codecs)
	if err != nil {
		return err
	}
	piece := Piece{Index: req.Piece.Index, Start: req.Piece.Start, End: req.Piece.End, Last: req.Piece.Last}
	if err := checkDir(req.OutputDir); err != nil {
		return err
	}
	span := max(piece.End-piece.Start, 0.001)
	// ffmpeg reports the time it reached; with -copyts that may be on the
	// source's timeline or the output's: either is turned into the share
	// of the piece done.
	progress := NewProgressWriter(piece.End, func(f float64) {
		if req.Progress == nil {
			return
		}
		at := f * piece.End
		if at >= piece.Start {
			at -= piece.Start
		}
		req.Progress(min(max(at/span, 0), 1))
	})
	stderr, err := t.run(ctx, t.ffmpeg(), PieceArgs(req.Input, req.OutputDir, plan, piece, t.Threads), progress)
	if err != nil {
		return t.failed(ctx, err, req.Input, plan)
	}
	// ffmpeg exits 0 at a truncated or damaged part of the source: the
	// piece must hold its range, as a whole transcode must hold the
	// source (completeShare). The last piece ends where the container
	// says the source does, which it may overstate (a Matroska file that
	// starts at 1.4 s counts those 1.4 s in its duration), and all of the
	// overstatement falls in that piece: it need only hold something, and
	// the stitch judges the whole video as a one-piece encode's is
	// (Finish).
	held := 0.0
	if pl, _, err := readPiecePlaylist(filepath.Join(req.OutputDir, plan.Rungs[0].Name)); err == nil {
		held = pl.Duration()
	}
	if want := piece.End - piece.Start; held < completeShare*want && !(piece.Last && held > 0) {
		msg := fmt.Sprintf("The file is incomplete or damaged: only %.1f of the %.1f seconds from %.1f s on could be read.", held, want, piece.Start)
		return reel.WrapError(reel.EINVALID, msg, &ExitError{Program: filepath.Base(t.ffmpeg()), Stderr: stderr,
			Err: fmt.Errorf("piece %d holds %.1f s of %.1f s", piece.Index, held, want)})
	}
	return ShiftPiece(req.OutputDir, plan, piece)
}

// StitchPieces plans the source again, joins the shifted pieces (Join)
// and finishes the output as Transcode does (Finish), master last.
func (t *Transcoder) StitchPieces(ctx context.Context, req reel.StitchRequest) (*reel.TranscodeResult, error) {
	plan, err := t.plan(ctx, req.Input, req.Codecs)
	if err != nil {
		return nil, err
	}
	if err := checkDir(req.OutputDir); err != nil {
		return nil, err
	}
	pieces := make([]Piece, len(req.Pieces))
	for i, p := range req.Pieces {
		pieces[i] = Piece{Index: p.Index, Start: p.Start, End: p.End, Last: p.Last}
	}
	if err := Join(req.OutputDir, plan, pieces, req.Dirs); err != nil {
		return nil, err
	}
	plan.Downloads = t.Downloads || req.Downloads
	return t.Finish(ctx, req.Input, req.OutputDir, plan, "")
}
