package ffmpeg

import (
	"context"
	"fmt"
	"time"

	"reel"
)

var _ reel.SplitTranscoder = (*Transcoder)(nil)

// Split probes input and returns its pieces (PlanPieces) and the
// renditions it will have, or no pieces when it should be transcoded
// whole: an audio-only source has nothing worth splitting.
func (t *Transcoder) Split(ctx context.Context, input string, splitAbove, chunk time.Duration) ([]reel.Piece, []reel.Rendition, error) {
	plan, err := t.plan(ctx, input)
	if err != nil {
		return nil, nil, err
	}
	if plan.AudioOnly {
		return nil, plan.Renditions(), nil
	}
	var pieces []reel.Piece
	for _, p := range PlanPieces(plan.Probe.Duration, splitAbove, chunk) {
		pieces = append(pieces, reel.Piece{Index: p.Index, Start: p.Start, End: p.End, Last: p.Last})
	}
	return pieces, plan.Renditions(), nil
}

// plan probes input and plans its transcode.
func (t *Transcoder) plan(ctx context.Context, input string) (*Plan, error) {
	p, err := t.Probe(ctx, input)
	if err != nil {
		return nil, err
	}
	return NewPlan(p), nil
}

// TranscodePiece plans the source again, encodes req.Piece into
// req.OutputDir (EncodePiece) and shifts it onto the whole video's
// timeline (ShiftPiece): its segments are final.
func (t *Transcoder) TranscodePiece(ctx context.Context, req reel.PieceRequest) error {
	plan, err := t.plan(ctx, req.Input)
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
	stderr, err := t.run(ctx, t.ffmpeg(), PieceArgs(req.Input, req.OutputDir, plan, piece, req.Threads), progress)
	if err != nil {
		return t.failed(ctx, err)
	}
	if err := ShiftPiece(req.OutputDir, plan, piece); err != nil {
		// ffmpeg exited 0 and wrote no segments: it decoded nothing of
		// the piece's range, so the source is damaged there.
		return reel.WrapError(reel.EINVALID, fmt.Sprintf("The file is incomplete or damaged: nothing could be read from %.1f s on.", piece.Start),
			&ExitError{Program: "ffmpeg", Stderr: stderr, Err: err})
	}
	return nil
}

// StitchPieces plans the source again, joins the shifted pieces (Join)
// and finishes the output as Transcode does (Finish), master last.
func (t *Transcoder) StitchPieces(ctx context.Context, req reel.StitchRequest) (*reel.TranscodeResult, error) {
	plan, err := t.plan(ctx, req.Input)
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
	return t.Finish(ctx, req.Input, req.OutputDir, plan, "")
}
