package ffmpeg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"reel"
	"reel/hls"
)

// finishPlaylists turns what ffmpeg wrote into the published layout. It
// works around ffmpeg 5.1 naming each variant's init segment
// init_<name>.mp4 when there are several variants (see Args): it renames
// them init.mp4 and points the playlist's EXT-X-MAP at the new name. And
// it makes the EVENT playlists ffmpeg wrote while encoding VOD playlists,
// now that they are complete.
func finishPlaylists(outDir string, rungs []Rung) error {
	for _, r := range rungs {
		dir := filepath.Join(outDir, r.Name)
		name := filepath.Join(dir, reel.MediaPlaylist)
		data, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // ffmpeg wrote nothing for this rung; measuring says so
		} else if err != nil {
			return fmt.Errorf("read media playlist: %w", err)
		}
		if len(rungs) > 1 {
			old := "init_" + r.Name + ".mp4"
			if err := os.Rename(filepath.Join(dir, old), filepath.Join(dir, reel.InitSegment)); err != nil {
				return fmt.Errorf("rename init segment: %w", err)
			}
			from, to := []byte(`#EXT-X-MAP:URI="`+old+`"`), []byte(`#EXT-X-MAP:URI="`+reel.InitSegment+`"`)
			if n := bytes.Count(data, from); n != 1 {
				return fmt.Errorf("%s: found %d EXT-X-MAP lines naming %s, want 1", name, n, old)
			}
			data = bytes.Replace(data, from, to, 1)
		}
		data = bytes.Replace(data, []byte("#EXT-X-PLAYLIST-TYPE:EVENT\n"), []byte("#EXT-X-PLAYLIST-TYPE:VOD\n"), 1)
		if err := writeFileAtomic(name, data); err != nil {
			return err
		}
	}
	return nil
}

// measure reads each rendition's playlist and segment sizes and returns
// the renditions as published, in the order of plan.Renditions, and the
// duration the renditions hold (the longest). A video rung's bandwidths
// and codecs count the audio rendition it plays.
func measure(outDir string, plan *Plan) ([]reel.Rendition, float64, error) {
	fsys := os.DirFS(outDir)
	// A rounded rate reads better in JSON; FRAME-RATE has 3 decimals anyway.
	fps := math.Round(plan.FrameRate.Float()*1000) / 1000
	var renditions []reel.Rendition
	var variants []hls.Variant
	var duration float64
	for _, r := range plan.outputs() {
		m, err := hls.Measure(fsys, r.Name+"/"+reel.MediaPlaylist)
		if err != nil {
			return nil, duration, fmt.Errorf("measure %s: %w", r.Name, err)
		}
		duration = max(duration, m.Duration)
		variants = append(variants, hls.Variant{Bandwidth: m.Bandwidth, AverageBandwidth: m.AverageBandwidth, Codecs: m.Codecs})
	}
	if plan.AudioOnly {
		for i, m := range variants {
			r := plan.audioRendition(i)
			r.Bandwidth, r.AverageBandwidth, r.Codecs = m.Bandwidth, m.AverageBandwidth, m.Codecs
			renditions = append(renditions, r)
		}
		return renditions, duration, nil
	}
	video := variants[:len(plan.Rungs)]
	audio := variants[len(plan.Rungs):]
	if len(audio) > 0 {
		// A variant plays one audio rendition at a time: its bandwidths
		// count the heaviest, as Apple's authoring spec asks.
		heaviest := audio[0]
		for _, a := range audio[1:] {
			heaviest.Bandwidth = max(heaviest.Bandwidth, a.Bandwidth)
			heaviest.AverageBandwidth = max(heaviest.AverageBandwidth, a.AverageBandwidth)
		}
		video = hls.WithAudio(video, hls.AudioGroup, heaviest)
	}
	for i, r := range plan.Rungs {
		renditions = append(renditions, reel.Rendition{
			Name: r.Name, Width: r.Width, Height: r.Height,
			Bandwidth: video[i].Bandwidth, AverageBandwidth: video[i].AverageBandwidth,
			Codecs: video[i].Codecs, FrameRate: fps,
		})
	}
	for i, m := range audio {
		a := plan.audioRendition(i)
		a.Bandwidth, a.AverageBandwidth, a.Codecs = m.Bandwidth, m.AverageBandwidth, m.Codecs
		renditions = append(renditions, a)
	}
	return renditions, duration, nil
}

// writeIFramePlaylists writes OUT/<rung>/iframes.m3u8 for every video
// rendition, from the moof boxes of the segments ffmpeg wrote, and returns
// the master's entries for them. renditions are the measured renditions,
// video rungs first in the order of plan.Rungs.
func writeIFramePlaylists(outDir string, plan *Plan, renditions []reel.Rendition) ([]hls.IFrameVariant, error) {
	if plan.AudioOnly {
		return nil, nil
	}
	fsys := os.DirFS(outDir)
	var out []hls.IFrameVariant
	for i, r := range plan.Rungs {
		idx, err := hls.IFrames(fsys, r.Name+"/"+reel.MediaPlaylist)
		if err != nil {
			return nil, fmt.Errorf("I-frames of %s: %w", r.Name, err)
		}
		var b bytes.Buffer
		if err := hls.WriteIFramePlaylist(&b, idx); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(filepath.Join(outDir, r.Name, reel.IFramePlaylist), b.Bytes()); err != nil {
			return nil, err
		}
		// The video's codec alone: I-frame playlists carry no audio.
		codecs, _, _ := strings.Cut(renditions[i].Codecs, ",")
		out = append(out, hls.IFrameVariant{
			URI: r.Name + "/" + reel.IFramePlaylist, Bandwidth: idx.Bandwidth, AverageBandwidth: idx.AverageBandwidth,
			Codecs: codecs, Width: r.Width, Height: r.Height,
		})
	}
	return out, nil
}

// writeStoryboard tiles the thumbnails ffmpeg wrote into sprite sheets
// and writes their cues, for a video of duration seconds, if the plan
// has a storyboard.
func writeStoryboard(outDir string, plan *Plan, duration float64) error {
	if plan.Storyboard == nil {
		return nil
	}
	rawName := filepath.Join(outDir, storyboardRaw)
	defer os.Remove(rawName)
	raw, err := os.Open(rawName)
	if err != nil {
		return fmt.Errorf("storyboard: %w", err)
	}
	defer raw.Close()
	fi, err := raw.Stat()
	if err != nil {
		return fmt.Errorf("storyboard: %w", err)
	}
	n, err := plan.Storyboard.WriteSheets(bufio.NewReader(raw), fi.Size(), outDir)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := plan.Storyboard.WriteVTT(&b, n, duration); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(outDir, reel.StoryboardVTT), b.Bytes())
}

// checkPoster checks that ffmpeg wrote a poster.
func checkPoster(name string) error {
	fi, err := os.Stat(name)
	if err == nil && fi.Size() == 0 {
		err = errors.New("empty file")
	}
	if err != nil {
		return fmt.Errorf("poster: %w", err)
	}
	return nil
}

// posterCandidates are where in the source the poster's candidates are
// taken, as fractions of its duration: from past the opening's fades and
// title cards to the middle, so that one of them shows the video itself.
var posterCandidates = []float64{0.10, 0.25, 0.40, 0.55}

// poster writes the poster: for a video, the most detailed of a few
// candidate frames (bestFrame), or its first frame if no candidate could
// be taken (a source whose index overstates its length); for audio only,
// the waveform.
func (t *Transcoder) poster(ctx context.Context, input, out string, plan *Plan) error {
	if plan.AudioOnly {
		os.Remove(out) // so a stale file never passes for a new one
		_, err := t.run(ctx, t.ffmpeg(), WaveformArgs(input, out, plan), nil)
		if err == nil {
			err = checkPoster(out)
		}
		return posterError(err)
	}
	w, h := PosterSize(plan.Rungs)
	var frames [][]byte
	var err error
	for _, share := range posterCandidates {
		if plan.Probe.Duration <= 0 {
			break // no length to take shares of: the first frame below
		}
		var jpeg []byte
		if jpeg, err = t.frame(ctx, input, plan, share*plan.Probe.Duration, w, h); err == nil {
			frames = append(frames, jpeg)
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if len(frames) == 0 {
		var jpeg []byte
		if jpeg, err = t.frame(ctx, input, plan, 0, w, h); err != nil {
			return posterError(err)
		}
		frames = append(frames, jpeg)
	}
	return writeFileAtomic(out, bestFrame(frames))
}

// bestFrame returns the most detailed of the JPEG frames: the largest.
// At one size and quality, a JPEG's size follows its detail: a black or
// faded frame, a flat title card or a blurred transition compresses to a
// fraction of a frame of the scene, so this measure avoids them without
// decoding a pixel.
func bestFrame(frames [][]byte) []byte {
	var best []byte
	for _, f := range frames {
		if len(f) > len(best) {
			best = f
		}
	}
	return best
}

// frame returns the JPEG of the source's frame at second at, w×h, made as
// the renditions are; an empty picture (a seek past the end) is an error.
func (t *Transcoder) frame(ctx context.Context, input string, plan *Plan, at float64, w, h int) ([]byte, error) {
	var b bytes.Buffer
	if _, err := t.run(ctx, t.ffmpeg(), PosterArgs(input, "pipe:1", plan, at, w, h), &b); err != nil {
		return nil, err
	}
	if b.Len() == 0 {
		return nil, errors.New("poster: no frame at " + seconds(at) + " s")
	}
	return b.Bytes(), nil
}

// posterError is what a failure to make the poster becomes: ffmpeg's
// failure keeps its stderr for the operator.
func posterError(err error) error {
	if err == nil {
		return nil
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return reel.WrapError(reel.EINTERNAL, "Could not make the poster.", exit)
	}
	return fmt.Errorf("poster: %w", err)
}

// Still returns the JPEG of input's frame at second at, made as a
// poster is (the top rendition's size, at most 1280 pixels on the long
// side, deinterlaced and tone-mapped as the renditions are): the poster
// an owner picks by its time. A source without video, or a time past its
// end, is an *reel.Error with EINVALID.
func (t *Transcoder) Still(ctx context.Context, input string, at float64) ([]byte, error) {
	if !(at >= 0) || math.IsInf(at, 0) {
		return nil, reel.Errorf(reel.EINVALID, "The time must be a number of seconds, 0 or more.")
	}
	probe, err := t.Probe(ctx, input)
	if err != nil {
		return nil, err
	}
	plan := NewPlan(probe)
	if plan.AudioOnly {
		return nil, reel.Errorf(reel.EINVALID, "The video has no picture to take a poster from.")
	}
	if d := plan.Probe.Duration; d > 0 && at >= d {
		return nil, reel.Errorf(reel.EINVALID, "The time %s s is past the video's end (%s s).", seconds(at), seconds(d))
	}
	w, h := PosterSize(plan.Rungs)
	jpeg, err := t.frame(ctx, input, plan, at, w, h)
	if err != nil && ctx.Err() == nil {
		var exit *ExitError
		if errors.As(err, &exit) {
			return nil, reel.WrapError(reel.EINTERNAL, "Could not take the frame.", exit)
		}
		return nil, reel.Errorf(reel.EINVALID, "The video has no frame at %s s.", seconds(at))
	}
	return jpeg, err
}

// writeMaster writes the master playlist of the renditions, with the
// subtitle renditions subs.
func writeMaster(name string, renditions []reel.Rendition, iframes []hls.IFrameVariant, subs []hls.Subtitle) error {
	var b bytes.Buffer
	m := hls.MasterOf(renditions, iframes)
	m.Subtitles = subs
	if err := m.Encode(&b); err != nil {
		return err
	}
	return writeFileAtomic(name, b.Bytes())
}

// writeFileAtomic writes data to a temporary file next to name and renames
// it into place, so nobody ever reads half a playlist.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func rungNames(rungs []Rung) []string {
	names := make([]string, len(rungs))
	for i, r := range rungs {
		names[i] = fmt.Sprintf("%s %dx%d", r.Name, r.Width, r.Height)
	}
	return names
}

func warningCodes(ws []reel.MediaWarning) []string {
	codes := make([]string, len(ws))
	for i, w := range ws {
		codes[i] = w.Code
	}
	return codes
}
