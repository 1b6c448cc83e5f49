package ffmpeg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"reel"
	"reel/hls"
)

// EncodePiece encodes piece of plan from input into dir, a folder of the
// piece's own (PieceArgs). threads, if positive, bounds ffmpeg's threads.
func (t *Transcoder) EncodePiece(ctx context.Context, input, dir string, plan *Plan, piece Piece, threads int) error {
	if err := checkDir(dir); err != nil {
		return err
	}
	if _, err := t.run(ctx, t.ffmpeg(), PieceArgs(input, dir, plan, piece, threads), nil); err != nil {
		return t.failed(ctx, err, input, plan)
	}
	return nil
}

// checkDir refuses a folder ffmpeg would misread (see Transcode).
func checkDir(dir string) error {
	if !filepath.IsAbs(dir) || strings.Contains(dir, "%") {
		return fmt.Errorf("output folder %q: must be absolute and must not contain '%%'", dir)
	}
	return nil
}

// Stitch joins the pieces of a split transcode, encoded into dirs (one
// per piece, in order) by EncodePiece, into one continuous rendition per
// video rung in outDir/<rung>/, and the audio the first piece encoded into
// outDir/audio/, without re-encoding: each piece is shifted (ShiftPiece),
// then joined (Join). It fails if the pieces do not join: an init segment
// that differs between pieces (another encoder build), or segment numbers
// that do not follow on.
func Stitch(outDir string, plan *Plan, pieces []Piece, dirs []string) error {
	if len(pieces) != len(dirs) || len(pieces) == 0 {
		return fmt.Errorf("stitch: %d pieces, %d folders", len(pieces), len(dirs))
	}
	for i, p := range pieces {
		if err := ShiftPiece(dirs[i], plan, p); err != nil {
			return err
		}
	}
	return Join(outDir, plan, pieces, dirs)
}

// ShiftPiece readies the segments of piece, encoded into dir by
// EncodePiece, for the joined timeline, in place. In a one-piece encode,
// and so in the first piece, the HLS muxer shifts the whole output once so
// that no stream's first decode time is negative: every rendition, of
// every codec, and the audio, moves later by the largest encoder delay
// among them (x264's and x265's B-frame delay, the first frame's
// composition offset; SVT-AV1 has none, since AV1 does not reorder frames
// in the container, and AAC's priming is shorter than two frames at 60
// fps). A piece further in starts past 0 and is not shifted by the muxer:
// ShiftPiece measures each rendition's delay in the piece and moves every
// rendition by the largest, as the muxer moved the first piece. A rendition
// shifted by its own delay alone would, for AV1, run early after each
// join by the H.264 rung's delay. The shift is computed from the piece
// itself, so the worker that encoded a piece shifts it, and its segments
// can be published as they are. Call it once per piece: it does not know
// whether it ran before.
func ShiftPiece(dir string, plan *Plan, piece Piece) error {
	if piece.Start == 0 {
		return nil // shifted by the muxer, as a one-piece encode
	}
	renditions := make([]pieceRendition, len(plan.Rungs))
	var lead pieceRendition // the one with the largest delay, in seconds
	for i, r := range plan.Rungs {
		pr, err := readPieceRendition(filepath.Join(dir, r.Name))
		if err != nil {
			return fmt.Errorf("shift %s of piece %d: %w", r.Name, piece.Index, err)
		}
		renditions[i] = pr
		if i == 0 || pr.delay*int64(lead.timescale) > lead.delay*int64(pr.timescale) {
			lead = pr
		}
	}
	for i, pr := range renditions {
		// The lead's delay in this rendition's timescale: the renditions of
		// one ladder have one frame rate, and so one timescale, but a
		// rounding here would still be under one tick.
		delta := roundDiv(lead.delay*int64(pr.timescale), int64(lead.timescale))
		for _, s := range pr.playlist.Segments {
			if err := shiftFile(filepath.Join(pr.dir, path.Base(s.URI)), delta); err != nil {
				return fmt.Errorf("shift %s of piece %d: %w", plan.Rungs[i].Name, piece.Index, err)
			}
		}
	}
	return nil
}

// pieceRendition is one rendition of a piece, as ShiftPiece reads it.
type pieceRendition struct {
	dir       string
	playlist  *hls.MediaPlaylist
	timescale uint32
	delay     int64 // the encoder's delay (delay), in timescale units
}

// readPieceRendition reads the rendition of a piece in dir and measures
// its encoder's delay.
func readPieceRendition(dir string) (pieceRendition, error) {
	pl, tracks, err := readPiecePlaylist(dir)
	if err != nil {
		return pieceRendition{}, err
	}
	d, err := delay(filepath.Join(dir, path.Base(pl.Segments[0].URI)), tracks)
	if err != nil {
		return pieceRendition{}, err
	}
	if tracks[0].Timescale == 0 {
		return pieceRendition{}, errors.New("init segment: timescale 0")
	}
	return pieceRendition{dir: dir, playlist: pl, timescale: tracks[0].Timescale, delay: d}, nil
}

// roundDiv returns a/b rounded to the nearest integer, for a ≥ 0, b > 0.
func roundDiv(a, b int64) int64 { return (a + b/2) / b }

// readPiecePlaylist reads the media playlist in dir and the tracks of its
// init segment (one).
func readPiecePlaylist(dir string) (*hls.MediaPlaylist, []hls.Track, error) {
	data, err := os.ReadFile(filepath.Join(dir, reel.MediaPlaylist))
	if err != nil {
		return nil, nil, err
	}
	pl, err := hls.ParseMedia(data)
	if err != nil {
		return nil, nil, err
	}
	if len(pl.Segments) == 0 || pl.Map == "" {
		return nil, nil, hls.ErrNoSegments
	}
	init, err := os.ReadFile(filepath.Join(dir, path.Base(pl.Map)))
	if err != nil {
		return nil, nil, err
	}
	tracks, err := hls.ParseInit(init)
	if err != nil {
		return nil, nil, err
	} else if len(tracks) != 1 {
		return nil, nil, fmt.Errorf("%d tracks, want 1", len(tracks))
	}
	return pl, tracks, nil
}

// Join joins pieces shifted by ShiftPiece, in dirs, into outDir: the
// segments are moved (their numbers and fragment times already follow
// on), the media playlists joined into one VOD playlist, whose target
// duration holds the longest segment, and the storyboard's thumbnails
// joined, each piece contributing those of its own time range.
func Join(outDir string, plan *Plan, pieces []Piece, dirs []string) error {
	if len(pieces) != len(dirs) || len(pieces) == 0 {
		return fmt.Errorf("stitch: %d pieces, %d folders", len(pieces), len(dirs))
	}
	for _, r := range plan.Rungs {
		if err := stitchRendition(outDir, r.Name, dirs); err != nil {
			return fmt.Errorf("stitch %s: %w", r.Name, err)
		}
	}
	for _, a := range plan.Audio {
		// The audio, whole, from the first piece's folder.
		if err := stitchRendition(outDir, a.Name, dirs[:1]); err != nil {
			return fmt.Errorf("stitch %s: %w", a.Name, err)
		}
	}
	if plan.Storyboard != nil {
		return stitchStoryboard(outDir, plan.Storyboard, pieces, dirs)
	}
	return nil
}

// stitchRendition joins one rendition's pieces.
func stitchRendition(outDir, name string, dirs []string) error {
	dst := filepath.Join(outDir, name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	var init []byte
	var b bytes.Buffer
	target, next := 0, int64(0)
	for i, dir := range dirs {
		src := filepath.Join(dir, name)
		pl, _, err := readPiecePlaylist(src)
		if err != nil {
			return fmt.Errorf("piece %d: %w", i, err)
		}
		if pl.MediaSequence != next {
			return fmt.Errorf("piece %d starts at segment %d, want %d: the pieces do not join", i, pl.MediaSequence, next)
		}
		pinit, err := os.ReadFile(filepath.Join(src, path.Base(pl.Map)))
		if err != nil {
			return fmt.Errorf("piece %d: %w", i, err)
		}
		if init == nil {
			init = pinit
		} else if !bytes.Equal(init, pinit) {
			return fmt.Errorf("piece %d: init segment differs from piece 0's: encoded by another build or settings", i)
		}
		for _, s := range pl.Segments {
			if err := os.Rename(filepath.Join(src, path.Base(s.URI)), filepath.Join(dst, path.Base(s.URI))); err != nil {
				return fmt.Errorf("piece %d: %w", i, err)
			}
			fmt.Fprintf(&b, "#EXTINF:%.6f,\n%s\n", s.Duration, path.Base(s.URI))
			target = max(target, int(math.Round(s.Duration)))
		}
		target = max(target, pl.TargetDuration)
		next += int64(len(pl.Segments))
	}
	// The init under its published name, whatever ffmpeg called it.
	if err := writeFileAtomic(filepath.Join(dst, reel.InitSegment), init); err != nil {
		return err
	}
	head := fmt.Sprintf("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n"+
		"#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=%q\n", target, reel.InitSegment)
	return writeFileAtomic(filepath.Join(dst, reel.MediaPlaylist), []byte(head+b.String()+"#EXT-X-ENDLIST\n"))
}

// delay returns the encoder's delay in the media segment name, the first
// of a piece: how much later than its first decode time its first frame
// is presented, in its track's timescale. For x264 and x265 it is the
// B-frame delay (the IDR frame's composition offset); for SVT-AV1, 0.
func delay(name string, tracks []hls.Track) (int64, error) {
	seg, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	frags, err := hls.ReadFragments(bytes.NewReader(seg), int64(len(seg)), tracks)
	if err != nil {
		return 0, err
	}
	if len(frags) == 0 || len(frags[0].Runs) == 0 || len(frags[0].Runs[0].Samples) == 0 {
		return 0, fmt.Errorf("%s: no samples", name)
	}
	// The earliest presentation among the first fragment's samples, from
	// its first decode time: the first sample's composition offset when
	// the fragment starts with the frame presented first, as an IDR frame
	// is.
	first, at := int64(math.MaxInt64), int64(0)
	for _, s := range frags[0].Runs[0].Samples {
		first = min(first, at+int64(s.CompositionOffset))
		at += int64(s.Duration)
	}
	if first < 0 {
		return 0, fmt.Errorf("%s: a frame presented before the first decode time", name)
	}
	return first, nil
}

// shiftFile shifts the media segment in name by delta on the timeline
// (hls.ShiftTimes), in place.
func shiftFile(name string, delta int64) error {
	if delta == 0 {
		return nil
	}
	seg, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := hls.ShiftTimes(seg, delta); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return writeFileAtomic(name, seg)
}

// stitchStoryboard joins the pieces' raw thumbnails into outDir's, each
// piece giving the thumbnails of its own range (ffmpeg's fps filter may
// add one at a piece's end that the next piece has), the last all it has.
func stitchStoryboard(outDir string, sb *Storyboard, pieces []Piece, dirs []string) error {
	out, err := os.Create(filepath.Join(outDir, storyboardRaw))
	if err != nil {
		return fmt.Errorf("storyboard: %w", err)
	}
	frame := int64(sb.Width * sb.Height * 3)
	for i, p := range pieces {
		f, err := os.Open(filepath.Join(dirs[i], storyboardRaw))
		if err != nil {
			out.Close()
			return fmt.Errorf("storyboard of piece %d: %w", i, err)
		}
		var r io.Reader = f
		if !p.Last {
			r = io.LimitReader(f, int64(sb.thumbs(p.Start, p.End))*frame)
		}
		_, err = io.Copy(out, r)
		f.Close()
		if err != nil {
			out.Close()
			return fmt.Errorf("storyboard: %w", err)
		}
	}
	return out.Close()
}

// Finish completes a transcode whose renditions are in outDir, as
// Transcode does after its ffmpeg run and Stitch after a split one: it
// checks that the renditions hold the source (EINVALID if not), writes the
// I-frame playlists, the storyboard, the poster, the downloads when the
// plan has them and, last, the master playlist, with bandwidths measured
// over the whole video.
func (t *Transcoder) Finish(ctx context.Context, input, outDir string, plan *Plan, stderr string) (*reel.TranscodeResult, error) {
	p := plan.Probe
	renditions, duration, err := measure(outDir, plan)
	// Missing or empty playlists after a successful exit mean ffmpeg could
	// decode nothing; other errors are the machine's.
	nothing := errors.Is(err, os.ErrNotExist) || errors.Is(err, hls.ErrNoSegments)
	if err != nil && !nothing {
		return nil, err
	}
	if nothing {
		// ffmpeg exited 0 but wrote no segment: name the stream that no
		// frame of decodes, if that is why.
		msg := "The file is incomplete or damaged: none of it could be read."
		if m, bad := t.undecodable(ctx, input, plan); bad {
			msg = m
		}
		return nil, reel.WrapError(reel.EINVALID, msg, &ExitError{Program: filepath.Base(t.ffmpeg()), Stderr: stderr, Err: err})
	}
	// An audio track none of whose frames decodes leaves its rendition
	// empty while ffmpeg exits 0: published, a player choosing it would
	// stall. Name the track and fail, as for a video stream.
	if quiet, err := emptyAudio(outDir, plan, duration); err != nil {
		return nil, err
	} else if quiet {
		if m, bad := t.undecodable(ctx, input, plan); bad {
			return nil, reel.WrapError(reel.EINVALID, m, &ExitError{Program: filepath.Base(t.ffmpeg()), Stderr: stderr,
				Err: errors.New("an audio rendition holds next to nothing")})
		}
	}
	warnings := plan.Warnings
	if p.Duration > 0 && duration < completeShare*p.Duration {
		// ffmpeg exited 0 but the renditions hold too little. A file that
		// ends in the middle of its data was cut short: refuse it rather
		// than publish a part as if it were whole. One that ends cleanly
		// only claims more than it holds: publish what it holds, and say
		// how much was missing.
		if cut, why := t.truncated(ctx, input); cut || ctx.Err() != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			msg := fmt.Sprintf("The file is incomplete or damaged: only %.1f of %.1f seconds could be read.", duration, p.Duration)
			return nil, reel.WrapError(reel.EINVALID, msg, &ExitError{Program: filepath.Base(t.ffmpeg()), Stderr: stderr + why,
				Err: fmt.Errorf("renditions hold %.1f s of %.1f s", duration, p.Duration)})
		}
		warnings = append(slices.Clip(warnings), shortWarning(p.Duration, duration))
		t.logger().Warn("source holds less than its header claims", "input", input, "claimed", p.Duration, "held", duration)
		p.Duration = duration
	}

	// What reel adds to ffmpeg's output: I-frame playlists, the
	// storyboard's sheets and cues, the poster, and the master, last: a
	// visible master means a complete video.
	iframes, err := writeIFramePlaylists(outDir, plan, renditions)
	if err != nil {
		return nil, err
	}
	if err := writeStoryboard(outDir, plan, duration); err != nil {
		return nil, err
	}
	if err := t.poster(ctx, input, filepath.Join(outDir, reel.PosterImage), plan); err != nil {
		return nil, err
	}
	subs, subWarns, err := t.writeSubtitles(ctx, input, outDir, plan, duration)
	if err != nil {
		return nil, err
	}
	if len(subWarns) > 0 {
		warnings = convertedSubtitles(warnings, subs)
	}
	if plan.Downloads {
		if err := t.writeDownloads(ctx, outDir, renditions); err != nil {
			return nil, err
		}
	}
	if err := writeMaster(filepath.Join(outDir, reel.MasterPlaylist), renditions, iframes, subs); err != nil {
		return nil, err
	}
	w, h := p.DisplaySize()
	if p.Duration == 0 {
		p.Duration = duration // the container did not say; the renditions do
	}
	return &reel.TranscodeResult{
		Duration: p.Duration, Width: w, Height: h, Renditions: renditions, Warnings: append(warnings, subWarns...),
	}, nil
}
