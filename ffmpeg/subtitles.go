package ffmpeg

// Subtitles from the source: each text subtitle track is converted by
// ffmpeg to WebVTT (one extra run, which demuxes but decodes no picture),
// then checked and cleaned like an uploaded caption (package webvtt) and
// cut into segments on the video's 6 s grid:
//
//	OUT/subs1/index.m3u8      media playlist of the WebVTT segments
//	OUT/subs1/seg_00000.vtt   each with X-TIMESTAMP-MAP=MPEGTS:<start>,LOCAL:0
//
// where start is when the video renditions present their first frame, in
// 90 kHz units (MPEGTS): the source's time 0, to which cue times refer.
//
// A track that ffmpeg cannot convert, or whose text is refused, is left
// out and said so in the media report; it never fails the video.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"reel"
	"reel/bcp47"
	"reel/hls"
	"reel/webvtt"
)

// MaxSubtitleTracks is the most text subtitle tracks of one source
// published.
const MaxSubtitleTracks = 16

// subtitleName returns the folder of the i-th subtitle rendition.
func subtitleName(i int) string { return fmt.Sprintf("subs%d", i+1) }

// SubtitleLabel names a subtitle track for a player's menu: its
// language's name ("English", "English (forced)"), or "Subtitles 2"
// without one; n counts from 1.
func SubtitleLabel(s SubtitleStream, n int) string {
	label := fmt.Sprintf("Subtitles %d", n)
	if lang := bcp47.FromISO6392(s.Language); lang != "" {
		label = bcp47.Name(lang)
	}
	if s.Forced {
		label += " (forced)"
	}
	return label
}

// SubtitleArgs returns the arguments of the ffmpeg command that converts
// each of the plan's subtitle tracks to a WebVTT file in outDir, named
// by rawSubtitle.
func SubtitleArgs(input, outDir string, plan *Plan) []string {
	args := []string{
		"-nostdin", "-y", "-loglevel", "error",
		"-i", inputURL(input),
	}
	for i, s := range plan.Subtitles {
		args = append(args,
			// One output per track: ffmpeg's WebVTT encoder turns ASS
			// styling into WebVTT tags; no tags or chapters carried over.
			"-map", fmt.Sprintf("0:%d", s.Index), "-map_metadata", "-1", "-map_chapters", "-1",
			"-c:s", "webvtt", "-f", "webvtt", filepath.Join(outDir, rawSubtitle(i)),
		)
	}
	return args
}

// rawSubtitle is the file ffmpeg writes the i-th track to, removed once
// segmented.
func rawSubtitle(i int) string { return fmt.Sprintf(".subtitle-%d.vtt", i) }

// writeSubtitles converts, checks and segments the plan's subtitle tracks
// into outDir for a video of duration seconds, and returns the master's
// entries for those published and the report's warnings for those left
// out.
func (t *Transcoder) writeSubtitles(ctx context.Context, input, outDir string, plan *Plan, duration float64) ([]hls.Subtitle, []reel.MediaWarning, error) {
	if len(plan.Subtitles) == 0 {
		return nil, nil, nil
	}
	for i := range plan.Subtitles {
		defer os.Remove(filepath.Join(outDir, rawSubtitle(i)))
	}
	var warns []reel.MediaWarning
	if _, err := t.run(ctx, t.ffmpeg(), SubtitleArgs(input, outDir, plan), nil); err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		// The files of the tracks converted before the failure are kept.
		t.logger().Warn("subtitles", "err", err)
	}
	start, err := mpegTS(outDir, plan)
	if err != nil {
		return nil, nil, fmt.Errorf("subtitles: %w", err)
	}
	var subs []hls.Subtitle
	for i, s := range plan.Subtitles {
		label := SubtitleLabel(s, i+1)
		data, err := os.ReadFile(filepath.Join(outDir, rawSubtitle(i)))
		var f *webvtt.File
		if err == nil {
			f, err = webvtt.Parse(data)
		}
		if err != nil {
			warns = append(warns, reel.MediaWarning{Code: WarnSubtitles, Message: fmt.Sprintf(
				"Subtitle track %d (%s, %s) could not be converted and was left out: %s", i+1, label, s.Codec, reasonOf(err))})
			continue
		}
		f.MPEGTS = start
		name := subtitleName(i)
		if err := writeSegmented(filepath.Join(outDir, name), f, duration); err != nil {
			return nil, nil, err
		}
		subs = append(subs, hls.Subtitle{
			Name: label, Language: bcp47.FromISO6392(s.Language), URI: name + "/" + reel.MediaPlaylist,
			Default: s.Default && s.Forced, AutoSelect: s.Language != "" || s.Forced, Forced: s.Forced,
		})
	}
	return subs, warns, nil
}

// reasonOf returns the sentence of err for the report.
func reasonOf(err error) string {
	if msg := reel.ErrorMessage(err); reel.ErrorCode(err) == reel.EINVALID {
		return strings.ToLower(msg[:1]) + msg[1:]
	}
	return "ffmpeg could not read it."
}

// writeSegmented writes f as a subtitle rendition into dir: WebVTT
// segments of segmentSeconds and their media playlist, last.
func writeSegmented(dir string, f *webvtt.File, duration float64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, file := range f.Rendition(duration, segmentSeconds) {
		if err := writeFileAtomic(filepath.Join(dir, file.Name), file.Data); err != nil {
			return err
		}
	}
	return nil
}

// convertedSubtitles corrects the plan's report once some subtitle tracks
// could not be converted: its sentence said each became subtitles, so it
// now names those that did (subs), or goes when none did; the warnings
// of writeSubtitles say why the others were left out.
func convertedSubtitles(warnings []reel.MediaWarning, subs []hls.Subtitle) []reel.MediaWarning {
	out := make([]reel.MediaWarning, 0, len(warnings))
	for _, w := range warnings {
		if w.Code != WarnSubtitles || !strings.HasPrefix(w.Message, "The file has") {
			out = append(out, w)
			continue
		}
		if len(subs) == 0 {
			continue
		}
		var names []string
		for _, s := range subs {
			names = append(names, s.Name)
		}
		w.Message = fmt.Sprintf("Of the file's text subtitle tracks, %d became WebVTT subtitles the player offers: %s.", len(subs), strings.Join(names, "; "))
		out = append(out, w)
	}
	return out
}

// mpegTS returns the X-TIMESTAMP-MAP MPEGTS of the subtitles of the
// renditions of plan in outDir: when the first video rendition presents
// its first frame (hls.MPEGTS), the source's time 0. Every rendition of a
// whole or a split encode, of every codec, starts there (a few frames in:
// the muxer shifts the output by x264's B-frame delay).
func mpegTS(outDir string, plan *Plan) (int64, error) {
	dir := filepath.Join(outDir, plan.Rungs[0].Name)
	pl, _, err := readPiecePlaylist(dir)
	if err != nil {
		return 0, err
	}
	init, err := os.ReadFile(filepath.Join(dir, path.Base(pl.Map)))
	if err != nil {
		return 0, err
	}
	seg, err := os.ReadFile(filepath.Join(dir, path.Base(pl.Segments[0].URI)))
	if err != nil {
		return 0, err
	}
	return hls.MPEGTS(init, bytes.NewReader(seg), int64(len(seg)))
}
