package reel

import "context"

// TranscodeRequest asks for one source to become an HLS ladder in a local
// folder.
type TranscodeRequest struct {
	// Input is what ffmpeg reads: a file path or a URL.
	Input string
	// OutputDir is an empty local folder that receives the master playlist,
	// one folder of playlist, init and segments per rendition, and the poster.
	OutputDir string
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
