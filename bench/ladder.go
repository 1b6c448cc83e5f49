package main

// The inputs and hand-written references of the transcoding benchmarks:
// generated clips (ffmpeg's lavfi sources, no file from outside), and the
// reference ladder, one ffmpeg command written by hand for the 1080p
// ladder reel plans (360p to 1080p), with reel's encoder settings.

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// clipArgs returns the ffmpeg command that makes the benchmarks' source
// clip: seconds of testsrc2 at size and 30 fps with a 440 Hz tone, encoded
// quickly at high quality (not measured).
func clipArgs(out string, seconds int, size string) []string {
	return []string{"ffmpeg", "-nostdin", "-y", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.Itoa(seconds), "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", out}
}

// ladderRungs is the ladder reel plans for a 1080p30 source: name, size,
// peak rate and VBV buffer (ffmpeg.PlanLadder), and the audio rate each
// rung had when every rung carried its own audio.
var ladderRungs = []struct {
	name, size, maxrate, bufsize, abr string
}{
	{"360p", "640:360", "800k", "1600k", "96k"},
	{"480p", "854:480", "1400k", "2800k", "128k"},
	{"720p", "1280:720", "2800k", "5600k", "128k"},
	{"1080p", "1920:1080", "5000k", "10000k", "128k"},
}

// expectedLadder is how the API lists that ladder ("name WxH", smallest
// first); a different ladder from reel is reported as a mismatch.
const expectedLadder = "360p 640x360, 480p 854x480, 720p 1280x720, 1080p 1920x1080"

// refLadderArgs returns the hand-written reference ladder: one decode of
// in, split four ways, x264 veryfast CRF 23 capped per rung, a 2 s GOP,
// 6 s fMP4 segments into out/<rung>/. With audioOnce (what reel does) the
// audio is encoded once at 128k into its own "audio" rendition; without,
// each rung is muxed with its own AAC encode (what reel did before, and
// what the audio benchmark compares against). storyboard, when not empty,
// is a filter (reel's storyboard chain) fed by a fifth branch of the split
// and written as rawvideo to out/storyboard.rgb.
func refLadderArgs(in, out string, audioOnce bool, storyboard string) []string {
	n := len(ladderRungs)
	branches := n
	if storyboard != "" {
		branches++
	}
	var g strings.Builder
	fmt.Fprintf(&g, "[0:v]split=%d", branches)
	for i := range branches {
		fmt.Fprintf(&g, "[s%d]", i)
	}
	for i, r := range ladderRungs {
		fmt.Fprintf(&g, ";[s%d]scale=%s[v%d]", i, r.size, i)
	}
	if storyboard != "" {
		fmt.Fprintf(&g, ";[s%d]%s[sb]", n, storyboard)
	}
	args := []string{"ffmpeg", "-nostdin", "-y",
		// Errors only; no status line.
		"-loglevel", "error", "-nostats",
		"-i", in,
		// One decode, split, each branch scaled from the source. The clip is
		// constant 30 fps, square pixels and yuv420p already: no fps,
		// setsar or format filters needed.
		"-filter_complex", g.String()}
	var streamMap []string
	for i, r := range ladderRungs {
		args = append(args, "-map", fmt.Sprintf("[v%d]", i))
		if audioOnce {
			streamMap = append(streamMap, fmt.Sprintf("v:%d,name:%s", i, r.name))
		} else {
			args = append(args, "-map", "0:a")
			streamMap = append(streamMap, fmt.Sprintf("v:%d,a:%d,name:%s", i, i, r.name))
		}
	}
	if audioOnce {
		args = append(args, "-map", "0:a")
		streamMap = append(streamMap, "a:0,name:audio")
	}
	args = append(args, "-map_metadata", "-1",
		// x264 High, veryfast, CRF 23 capped by a per-rung peak rate over a
		// 2 s buffer (reel's ladder caps).
		"-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-crf", "23")
	for i, r := range ladderRungs {
		args = append(args, fmt.Sprintf("-maxrate:v:%d", i), r.maxrate, fmt.Sprintf("-bufsize:v:%d", i), r.bufsize)
	}
	args = append(args,
		// A fixed 2 s GOP (60 frames at 30 fps), no scene-cut keyframes: IDR
		// frames on the same grid in every rung.
		"-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
		// AAC-LC stereo 48 kHz.
		"-c:a", "aac", "-ac", "2", "-ar", "48000")
	if audioOnce {
		args = append(args, "-b:a", "128k")
	} else {
		for i, r := range ladderRungs {
			args = append(args, fmt.Sprintf("-b:a:%d", i), r.abr)
		}
	}
	args = append(args,
		// Room for audio while x264's lookahead fills.
		"-max_muxing_queue_size", "1024",
		// 6 s fMP4 segments in VOD playlists, one folder per rendition, a master.
		"-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod", "-hls_flags", "independent_segments",
		"-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
		"-master_pl_name", "master.m3u8",
		"-var_stream_map", strings.Join(streamMap, " "),
		"-hls_segment_filename", out+"/%v/seg_%05d.m4s",
		out+"/%v/index.m3u8")
	if storyboard != "" {
		args = append(args, "-map", "[sb]", "-f", "rawvideo", out+"/storyboard.rgb")
	}
	return args
}

// showCmd renders a command as one line a shell reads back, with the work
// folder's path left out.
func showCmd(work string, args []string) string {
	var s []string
	for _, a := range args {
		a = strings.ReplaceAll(a, work+"/", "")
		if strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+%@-") != "" {
			a = "'" + a + "'" // no argument here holds a single quote
		}
		s = append(s, a)
	}
	return strings.Join(s, " ")
}

// ffmpegVersion names the ffmpeg in use.
func ffmpegVersion() string {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return "none"
	}
	return toolVersion("ffmpeg", "-version")
}

// makeClip runs a clip command (not measured).
func makeClip(ctx context.Context, b *B, args []string) error {
	logf("   generating %s (untimed)", args[len(args)-1])
	return b.Exec(ctx, args...)
}
