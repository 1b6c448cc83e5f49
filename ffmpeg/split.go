package ffmpeg

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Piece is one time range of a split transcode: the video renditions of
// [Start, End) seconds of the source, encoded by one ffmpeg process that
// any worker may run. Pieces start on the segment grid, so that each
// holds whole segments and their numbers follow on from the piece before.
type Piece struct {
	Index      int     // from 0, in time order
	Start, End float64 // seconds of the source; End of the last piece is the source's duration
	Last       bool    // the last piece reads to the end of the source, whatever its stated duration
}

// FirstSegment returns the number of the piece's first segment: the segments
// before it are all segmentSeconds long.
func (p Piece) FirstSegment() int { return int(math.Round(p.Start / segmentSeconds)) }

// ChunkSeconds returns chunk rounded to a whole number of segments, at
// least one: the length of every piece but the last.
func ChunkSeconds(chunk time.Duration) int {
	n := int(math.Round(chunk.Seconds() / segmentSeconds))
	return max(1, n) * segmentSeconds
}

// PlanPieces cuts a source of duration seconds into pieces of chunk
// (rounded to whole segments) when it is longer than splitAbove; nil
// otherwise, or when chunk is 0 (splitting disabled), or when it would
// make one piece. A last piece shorter than half a chunk is merged into
// the one before: a piece has a fixed cost (process start, probe, x264's
// lookahead filling), and a short one would wait for nothing.
func PlanPieces(duration float64, splitAbove, chunk time.Duration) []Piece {
	if chunk <= 0 || duration <= splitAbove.Seconds() || duration <= 0 {
		return nil
	}
	c := float64(ChunkSeconds(chunk))
	n := int(math.Floor(duration / c))
	if rest := duration - float64(n)*c; rest >= c/2 || n == 0 {
		n++ // the rest is a piece of its own
	}
	if n < 2 {
		return nil
	}
	pieces := make([]Piece, n)
	for i := range pieces {
		pieces[i] = Piece{Index: i, Start: float64(i) * c, End: float64(i+1) * c}
	}
	pieces[n-1].End, pieces[n-1].Last = duration, true
	return pieces
}

// fragDiscont makes every fMP4 fragment's tfdt the absolute decode time:
// ffmpeg's HLS muxer sets the first three flags itself, and frag_discont
// keeps mov from rebasing the first fragment to 0 with an empty edit in
// the init segment to shift it back. Pieces need it so that their
// segments join into one timeline and their init segments are byte for
// byte the same; whole encodes use it too, because players that ignore
// an empty edit (Chromium's MSE, through hls.js) played a whole encode's
// audio and AV1 video ahead of its H.264 video by x264's B-frame delay,
// and its subtitles early by as much (see docs/decisions.md). With it,
// every rendition and the audio start on one timeline where the H.264
// rung's single edit only cuts its composition offset, and the first
// video fragment's decode time is its first frame's presentation time.
const fragDiscont = "movflags=+frag_custom+dash+delay_moov+frag_discont"

// PieceArgs returns the arguments of the ffmpeg command that encodes
// piece of plan into outDir: every video rung, as Args does, but only for
// the piece's time range. The input is read from the piece's start with
// accurate seeking and timestamps kept (-copyts), so frames, keyframes
// (forced on the absolute 2 s grid), segment numbers and fragment times
// are those of a one-piece encode. The first piece also encodes the audio
// rendition, whole, from a second input: audio is cheap, a seam in it
// would click, and in the first piece's process ffmpeg aligns it with the
// video as it does in a one-piece encode. threads, if positive, bounds
// the decoder's, the filter graph's and each encoder's threads.
func PieceArgs(input, outDir string, plan *Plan, piece Piece, threads int) []string {
	return ladderArgs(input, outDir, plan, &piece, threads)
}

// keyframeExpr returns -force_key_frames' expression: an IDR frame every
// keyframeEvery seconds of the source's timeline, from start (a piece's
// timestamps are the source's, and n_forced counts from 0 in each piece).
func keyframeExpr(start float64) string {
	if start == 0 {
		return fmt.Sprintf("expr:gte(t,n_forced*%d)", keyframeEvery)
	}
	return fmt.Sprintf("expr:gte(t,%s+n_forced*%d)", strconv.FormatFloat(start, 'f', -1, 64), keyframeEvery)
}
