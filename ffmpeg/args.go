package ffmpeg

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"reel"
)

// HLS layout written by one ffmpeg run: OUT/<rung>/index.m3u8, init.mp4
// and seg_00000.m4s... per rendition. reel writes OUT/master.m3u8 and the
// I-frame playlists OUT/<rung>/iframes.m3u8 itself.
const (
	segmentSeconds = reel.SegmentSeconds // Apple's recommended segment length
	keyframeEvery  = 2                   // seconds between IDR frames, in every rendition
)

// Args returns the arguments of the one ffmpeg command that carries out
// plan: one decode, one split, one encode per rung, all muxed by one HLS
// muxer into outDir/<rung.Name>/, plus, as a second output of the same
// command, the storyboard's thumbnails as raw RGB frames (see
// Storyboard). An audio-only source is one AAC rendition. Paths in outDir
// must not contain '%', which ffmpeg reads as a pattern.
//
// With more than one rung ffmpeg 5.1 cannot name each variant's init
// segment "init.mp4": without "%v" it appends "_<index>", so the init
// segments are named init_<name>.mp4 here and Transcode renames them.
// Playlists are EVENT playlists while ffmpeg writes them, so that
// segments can be published as they come; Transcode makes them VOD.
func Args(input, outDir string, plan *Plan) []string {
	return ladderArgs(input, outDir, plan, nil, 0)
}

// ladderArgs returns Args, or with piece PieceArgs.
func ladderArgs(input, outDir string, plan *Plan, piece *Piece, threads int) []string {
	p := plan.Probe
	// The audio rendition is encoded once, whole: by the first piece of a
	// split transcode, from a second, unseeked input, so that ffmpeg
	// shifts it with the video exactly as a one-piece encode does (both
	// start after the B-frame delay, the audio's priming before).
	audio := p.HasAudio() && (piece == nil || piece.Index == 0 && len(plan.Audio) > 0)
	audioInput := 0
	args := []string{
		// Never read the terminal; overwrite leftovers of an earlier try.
		"-nostdin", "-y",
		// Errors only on stderr: its tail becomes the failure reason.
		// Progress goes to stdout as key=value blocks instead of a status line.
		"-loglevel", "error", "-nostats", "-progress", "pipe:1",
	}
	if piece != nil {
		// Decode from the piece's start (accurate seek: frames before it
		// are decoded and dropped), keeping the source's timestamps, less
		// its start time, as a one-piece encode takes them: an MPEG-TS or
		// a Matroska file may start at 1.4 s, or at -21 ms of AAC priming,
		// and a piece timed otherwise would neither be shifted by the
		// muxer as the first piece of a one-piece encode is nor start on
		// its keyframe grid.
		args = append(args, "-ss", seconds(piece.Start))
		if !piece.Last {
			args = append(args, "-t", seconds(piece.End-piece.Start))
		}
		args = append(args, "-copyts", "-start_at_zero")
	}
	if threads > 0 {
		// Decoder threads: a worker of a split transcode takes one core.
		args = append(args, "-threads", strconv.Itoa(threads))
	}
	args = append(args, "-i", inputURL(input))
	if audio && piece != nil {
		args = append(args, "-i", inputURL(input))
		audioInput = 1
	}
	if threads > 0 {
		args = append(args, "-filter_complex_threads", strconv.Itoa(threads))
	}
	if plan.AudioOnly {
		// The default audio track, straight to the encoder, then each
		// other track as its own rendition.
		args = append(args, "-map", fmt.Sprintf("0:%d", p.Audio.Index))
		for _, a := range plan.Audio {
			args = append(args, "-map", fmt.Sprintf("0:%d", a.Source))
		}
	} else {
		// One decode of the video, split once per rung (and storyboard).
		args = append(args, "-filter_complex", videoGraph(plan, piece))
		for i := range plan.Rungs {
			args = append(args, "-map", fmt.Sprintf("[v%d]", i))
		}
		if audio {
			// Each audio track once, as its own rendition that every rung
			// plays: one encode per language instead of one per rung and
			// language, and stored once.
			for _, a := range plan.Audio {
				args = append(args, "-map", fmt.Sprintf("%d:%d", audioInput, a.Source))
			}
		}
	}
	args = append(args,
		// Drop the source's tags and chapters: phone videos carry the GPS
		// location of where they were shot.
		"-map_metadata", "-1", "-map_chapters", "-1",
	)
	if !plan.AudioOnly {
		start := 0.0
		if piece != nil {
			start = piece.Start
		}
		args = append(args, videoCodecArgs(plan, start)...)
		if threads > 0 {
			args = append(args, "-threads", strconv.Itoa(threads))
		}
	}
	if audio {
		args = append(args, audioCodecArgs(plan)...)
	}

	init := reel.InitSegment
	if len(plan.Rungs) > 1 || audio && len(plan.Audio) > 0 {
		init = "init_%v.mp4"
	}
	args = append(args,
		// Encoders start at different times (x264's lookahead); let the
		// muxer hold the audio meanwhile instead of failing.
		"-max_muxing_queue_size", "1024",
		// Six-second fMP4 segments in a playlist rewritten after each one
		// (EVENT: segments are only added), finished with EXT-X-ENDLIST;
		// every segment starts with an IDR frame, and the playlist says so.
		"-f", "hls", "-hls_time", strconv.Itoa(segmentSeconds),
		"-hls_playlist_type", "event", "-hls_flags", "independent_segments",
		"-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", init,
		// %v is the variant's name from -var_stream_map: one folder per rung.
		// No -master_pl_name: reel writes the master from measured sizes.
		"-hls_segment_filename", filepath.Join(outDir, "%v", reel.SegmentPattern),
	)
	if piece != nil {
		// Segments numbered on from the pieces before.
		args = append(args, "-start_number", strconv.Itoa(piece.FirstSegment()))
	}
	// Fragments timed on the source's timeline, one for every rendition
	// and the audio, with no empty edit in front (see fragDiscont).
	args = append(args, "-hls_segment_options", fragDiscont)
	args = append(args,
		"-var_stream_map", streamMap(plan, audio),
		filepath.Join(outDir, "%v", reel.MediaPlaylist),
	)

	if plan.Storyboard != nil {
		// The second output, fed by the storyboard's branch of the same
		// graph: packed RGB frames, one after the other, for Go to tile.
		args = append(args,
			"-map", "["+storyboardLabel+"]", "-f", "rawvideo",
			filepath.Join(outDir, storyboardRaw),
		)
	}
	return args
}

// audioCodecArgs returns the audio encoding options of the audio rendition.
func audioCodecArgs(plan *Plan) []string {
	rate := plan.Rungs[0].AudioRate
	if len(plan.Audio) > 0 {
		rate = plan.Audio[0].AudioRate
	}
	return []string{
		// Gaps in the source's audio timestamps filled with silence, from
		// 0: the audio rendition is a timeline of its own, which players
		// and the HLS muxer (which times segments by it) take as
		// continuous. A 3GP phone clip's AMR, one packet a second, would
		// otherwise end its last segment's EXTINF 3 s short.
		"-af", "aresample=async=1:first_pts=0",
		// AAC-LC stereo at 48 kHz plays everywhere HLS does; resampling
		// also turns odd sources (8 kHz AMR, 5.1) into that one shape.
		"-c:a", "aac", "-ac", "2", "-ar", "48000", "-b:a", kbps(rate),
	}
}

// videoCodecArgs returns the video encoding options of the HLS output,
// for a piece starting at start seconds (0 for a whole encode).
func videoCodecArgs(plan *Plan, start float64) []string {
	// An IDR frame every 2 s on the same time grid in every rendition, of
	// every codec, so that 6 s segments line up and players switch
	// cleanly: forced by time (exact for 29.97 fps too), a fixed GOP of
	// the same length, no extra keyframes on scene cuts, and forced
	// frames made IDR, not just I.
	gop := GOPSize(plan.FrameRate)
	args := []string{
		"-force_key_frames", keyframeExpr(start),
		"-g", strconv.Itoa(gop), "-sc_threshold", "0", "-forced-idr", "1",
	}
	if plan.ToneMap {
		// Say what the tone mapping made: SDR BT.709, not the source's HDR.
		args = append(args, "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709")
	}
	for i, r := range plan.Rungs {
		args = append(args, encoderArgs(i, r, gop)...)
	}
	return args
}

// streamMap returns the -var_stream_map: one variant per video rung and
// one per audio track, "v:0,name:360p v:1,name:720p a:0,name:audio
// a:1,name:audio2", or "a:0,name:audio" for audio only ("a:0,name:audio
// a:1,name:audio2" with two tracks).
func streamMap(plan *Plan, audio bool) string {
	if plan.AudioOnly {
		vs := []string{"a:0,name:" + plan.Rungs[0].Name}
		for i, a := range plan.Audio {
			vs = append(vs, fmt.Sprintf("a:%d,name:%s", i+1, a.Name))
		}
		return strings.Join(vs, " ")
	}
	var vs []string
	for i, r := range plan.Rungs {
		vs = append(vs, fmt.Sprintf("v:%d,name:%s", i, r.Name))
	}
	if audio {
		for i, a := range plan.Audio {
			vs = append(vs, fmt.Sprintf("a:%d,name:%s", i, a.Name))
		}
	}
	return strings.Join(vs, " ")
}

// seconds formats a time in seconds for ffmpeg, to the millisecond.
func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// kbps formats bits/s as ffmpeg's "800k".
func kbps(bits int) string {
	return strconv.Itoa(int(math.Round(float64(bits)/1000))) + "k"
}

// PosterArgs returns the arguments of the ffmpeg command that writes one
// JPEG frame, taken at second at, of size w×h to out (a file, or "pipe:1"
// for stdout), made as the renditions are (deinterlaced, tone-mapped). A
// separate command rather than a branch of the ladder's graph: seeking
// straight to one frame costs a fraction of a second, and a poster branch
// would have to pass every frame through a select filter and an extra
// output.
func PosterArgs(input, out string, plan *Plan, at float64, w, h int) []string {
	var chain []string
	if plan.Deinterlace {
		chain = append(chain, deinterlace)
	}
	if plan.ToneMap {
		chain = append(chain, toneMap(&plan.Probe.Video, plan.Rungs[len(plan.Rungs)-1]))
	}
	// Square pixels at the display aspect, as the renditions have.
	chain = append(chain, fmt.Sprintf("scale=%d:%d,setsar=1", w, h))
	return append([]string{
		"-nostdin", "-y", "-loglevel", "error",
		// Seek on the input: jump to the keyframe before at, decode to at.
		"-ss", strconv.FormatFloat(at, 'f', 3, 64),
		"-i", inputURL(input),
		"-map", fmt.Sprintf("0:%d", plan.Probe.Video.Index), "-map_metadata", "-1",
		"-vf", strings.Join(chain, ","),
		// One frame, good JPEG quality (2 is best, 31 worst).
		"-frames:v", "1", "-c:v", "mjpeg", "-q:v", "3",
	}, imageOutput(out)...)
}

// imageOutput names where ffmpeg writes one picture: a file (the image2
// muxer, told it is one file and no numbered pattern) or, for "pipe:1",
// stdout (image2pipe, as image2 cannot write to a pipe).
func imageOutput(out string) []string {
	if out == "pipe:1" {
		return []string{"-f", "image2pipe", out}
	}
	return []string{"-update", "1", out}
}

// PosterSize returns the poster's size: the top rung's, scaled down to fit
// 1280 pixels on its long side, which is plenty for a page's player.
func PosterSize(rungs []Rung) (w, h int) {
	if len(rungs) == 0 {
		return 0, 0
	}
	top := rungs[len(rungs)-1]
	w, h = top.Width, top.Height
	if long := max(w, h); long > 1280 {
		scale := 1280 / float64(long)
		w, h = even(float64(w)*scale), even(float64(h)*scale)
	}
	return w, h
}

// waveformSize is the audio-only poster: a 16:9 picture like a video's.
const waveformSize = "1280x720"

// WaveformArgs returns the arguments of the ffmpeg command that draws the
// waveform of an audio-only source's audio track into out, its poster.
// A second decode, but of audio only, which takes seconds for an hour;
// as a second output of the ladder's command it would hold back ffmpeg's
// progress reports until the end, when showwavespic emits its picture.
func WaveformArgs(input, out string, plan *Plan) []string {
	return []string{
		"-nostdin", "-y", "-loglevel", "error",
		"-i", inputURL(input),
		// showwavespic keeps every sample until the end: at 8 kHz mono
		// 16-bit that is 58 MB an hour, and the picture looks the same.
		// The square-root scale shows quiet passages too.
		"-filter_complex", fmt.Sprintf("[0:%d]aresample=8000,aformat=sample_fmts=s16:channel_layouts=mono,"+
			"showwavespic=s=%s:split_channels=0:scale=sqrt:draw=full:filter=peak:colors=0x4f9cf0[w]",
			plan.Probe.Audio.Index, waveformSize),
		"-map", "[w]", "-map_metadata", "-1",
		// One picture, good JPEG quality (2 is best, 31 worst), to one file.
		"-frames:v", "1", "-q:v", "3", "-update", "1",
		out,
	}
}
