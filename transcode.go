package reel

import (
	"context"
	"time"
)

// TranscodeRequest asks for one source to become an HLS ladder in a local
// folder.
type TranscodeRequest struct {
	// Input is what ffmpeg reads: a file path or a URL.
	Input string
	// OutputDir is an empty local folder that receives the master playlist,
	// one folder of playlist, init and segments per rendition, and the poster.
	OutputDir string
	// Codecs are the video codecs of the ladder (ParseCodecs), nil for
	// the transcoder's own default; Downloads asks for the video's
	// downloads (DownloadVideo, DownloadAudio) besides the ladder.
	Codecs    []string
	Downloads bool
	// Progress, if set, is called with the fraction done (0..1) as ffmpeg
	// reports it, from another goroutine.
	Progress func(fraction float64)
	// Report, if set, is called once, before encoding starts, with the
	// media report: what probing found and what the transcoder decided.
	Report func(warnings []MediaWarning)
	// Started, if set, is called once when encoding starts, with the
	// source's duration in seconds, so the caller can bound the job by it.
	Started func(sourceDuration float64)
	// Planned, if set, is called once before encoding with the renditions
	// to come: names, sizes and frame rates as they will be, Bandwidth the
	// rate cap. With it, the caller may publish segments while encoding
	// goes on: the transcoder then writes each rendition's media playlist
	// as an EVENT playlist, listing only complete segments, and finishes
	// it as a VOD playlist.
	Planned func(renditions []Rendition)
}

// MediaWarning is one finding of the media report, such as "no_audio" or
// "rotated", with a sentence for the uploader.
type MediaWarning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// TranscodeResult describes what a transcode produced.
type TranscodeResult struct {
	Duration   float64 // seconds, of the source
	Width      int     // of the source, after rotation
	Height     int
	Renditions []Rendition
	Warnings   []MediaWarning // the media report, as also passed to Report
}

// Transcoder turns a source into an HLS ladder. It returns an *Error with
// EINVALID when the source itself cannot be used (not a video, undecodable):
// retrying will not help. Any other error may be transient.
type Transcoder interface {
	Transcode(ctx context.Context, req TranscodeRequest) (*TranscodeResult, error)
}

// Piece is one time range of a split transcode, encoded by one job that
// any worker may take: [Start, End) seconds of the source, on the
// segment grid.
type Piece struct {
	Index int     `json:"index"` // from 0, in time order
	Start float64 `json:"start"`
	End   float64 `json:"end"`  // the source's duration for the last
	Last  bool    `json:"last"` // reads to the end of the source
}

// PieceRequest asks for one piece of a split transcode in a local folder.
type PieceRequest struct {
	Input     string // as TranscodeRequest.Input
	OutputDir string // an empty local folder of the piece's own
	Piece     Piece
	// Codecs are the video's codecs, as TranscodeRequest.Codecs: every
	// piece and the stitch of a video must be given the same.
	Codecs []string
	// Progress, if set, is called with the fraction of the piece done.
	Progress func(fraction float64)
}

// StitchRequest asks for the pieces of a split transcode, each encoded
// into its own folder by TranscodePiece, to be joined into one output.
type StitchRequest struct {
	Input     string   // the source, for the poster
	OutputDir string   // an empty local folder: receives what Transcode writes
	Pieces    []Piece  // every piece, in order
	Dirs      []string // the folder of each piece, in the same order
	Codecs    []string // as PieceRequest.Codecs
	Downloads bool     // as TranscodeRequest.Downloads
}

// SplitTranscoder is the optional capability of transcoders that can cut
// a long source into pieces encoded apart, on any number of machines, and
// join them without re-encoding into what Transcode would have written.
// Every method plans from the source again: the plan is a pure function
// of the source, so workers that never met agree on it.
type SplitTranscoder interface {
	Transcoder
	// Split returns the pieces of the source, or nil when it should be
	// transcoded whole (not longer than splitAbove, chunk 0, too short
	// for two pieces, audio only), and the renditions it will have with
	// the video codecs given (nil: the transcoder's default).
	Split(ctx context.Context, input string, codecs []string, splitAbove, chunk time.Duration) ([]Piece, []Rendition, error)
	// TranscodePiece encodes one piece, its segments ready to publish as
	// they are (numbered and timed on the whole video's timeline).
	TranscodePiece(ctx context.Context, req PieceRequest) error
	// StitchPieces joins the pieces into req.OutputDir and finishes it as
	// Transcode does: I-frame playlists, storyboard, poster, master last.
	StitchPieces(ctx context.Context, req StitchRequest) (*TranscodeResult, error)
}

// PieceState is one piece of a split transcode as the database keeps it:
// the pieces 0..N-1, and the stitch that joins them as piece N.
type PieceState struct {
	Piece
	VideoID  string
	Gen      int64  // the transcode job that split the video
	Status   string // PieceQueued, PieceRunning or PieceDone
	JobID    int64  // the job that runs it now
	Attempts int    // how many times a worker started it
}

// The states of a piece.
const (
	PieceQueued  = "queued"
	PieceRunning = "running"
	PieceDone    = "done"
)
