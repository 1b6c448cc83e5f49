package main

// Audio once: the 4-rung ladder of a 1080p30 source with stereo sound,
// its audio encoded once as its own rendition (what reel does) against
// audio encoded into every rendition (what reel did). CPU seconds and
// bytes stored, for the whole ladder and for the audio encodes alone.

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func audioBenchmark() benchmark {
	return benchmark{
		Name: "audio", Title: "Audio once: benchmark",
		About: "a 1080p ladder with audio encoded once against audio in every rendition (CPU, bytes)",
		Runs:  3, QuickRuns: 2,
		Run: runAudio,
	}
}

// audioOnlyArgs encodes only the audio of in, count times in one process
// (the audio work of a ladder whose count rungs each carry their own).
func audioOnlyArgs(in, out string, count int) []string {
	args := []string{"ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-nostats", "-i", in, "-vn", "-map_metadata", "-1"}
	var streams []string
	for k := range count {
		args = append(args, "-map", "0:a")
		streams = append(streams, fmt.Sprintf("a:%d,name:a%d", k, k))
	}
	args = append(args, "-c:a", "aac", "-ac", "2", "-ar", "48000")
	for k := range count {
		args = append(args, fmt.Sprintf("-b:a:%d", k), ladderRungs[k+len(ladderRungs)-count].abr)
	}
	return append(args, "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
		"-hls_fmp4_init_filename", "init.mp4", "-var_stream_map", strings.Join(streams, " "),
		"-hls_segment_filename", out+"/%v/seg_%05d.m4s", out+"/%v/index.m3u8")
}

func runAudio(ctx context.Context, b *B, d *Doc) error {
	seconds := 30
	if b.Quick {
		seconds = 10
	}
	clip := filepath.Join(b.Work, "clip.mp4")
	clipCmd := []string{"ffmpeg", "-nostdin", "-y", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:beep_factor=4",
		"-t", strconv.Itoa(seconds), "-map", "0:v", "-map", "1:a", "-ac", "2",
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", clip}
	if err := makeClip(ctx, b, clipCmd); err != nil {
		return err
	}
	steps := []struct {
		name string
		args func(out string) []string
	}{
		{"every", func(out string) []string { return refLadderArgs(clip, out, false, "") }},
		{"once", func(out string) []string { return refLadderArgs(clip, out, true, "") }},
		{"audio4", func(out string) []string { return audioOnlyArgs(clip, out, 4) }},
		{"audio1", func(out string) []string { return audioOnlyArgs(clip, out, 1) }},
	}
	cpu, bytes := map[string]Sample{}, map[string]Sample{}
	for run := range b.RunCount {
		// The order rotates each run, so no step always follows another.
		for j := range steps {
			s := steps[(run+j)%len(steps)]
			out := filepath.Join(b.Work, s.name)
			os.RemoveAll(out)
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			m := b.Measure(false)
			wall, c, err := runTimed(ctx, out, s.args(out)...)
			if err != nil {
				return err
			}
			r := b.Record(m.Stop(c))
			n, err := mediaBytes(out)
			if err != nil {
				return err
			}
			cpu[s.name] = append(cpu[s.name], c)
			bytes[s.name] = append(bytes[s.name], float64(n))
			logf("   %s run %d: %.1f s CPU, %.1f s wall, %d bytes, other processes %.0f %% of the CPUs",
				s.name, run+1, c, wall.Seconds(), n, 100*r.OtherShare())
		}
	}
	t := &Table{Header: []string{"what", "audio in every rendition", "audio once", "once / every, per run"}, Align: "lrrr"}
	t.Add("4-rung ladder, CPU (user+sys), s", cpu["every"].Fig(1), cpu["once"].Fig(1), Ratios(cpu["once"], cpu["every"]).Fig(3))
	t.Add("4-rung ladder, bytes stored (segments + init)", bytes["every"].Fig(0), bytes["once"].Fig(0), Ratios(bytes["once"], bytes["every"]).Fig(3))
	t.Add("audio encodes alone, CPU, s", cpu["audio4"].Fig(2)+" (4 AAC encodes)", cpu["audio1"].Fig(2)+" (1)", Ratios(cpu["audio1"], cpu["audio4"]).Fig(3))
	t.Add("audio encodes alone, bytes", bytes["audio4"].Fig(0), bytes["audio1"].Fig(0), Ratios(bytes["audio1"], bytes["audio4"]).Fig(3))
	d.Table(t)
	d.P(fmt.Sprintf("A %d s 1920x1080 30 fps clip (testsrc2, a beeping 440 Hz stereo tone). \"Audio in every", seconds),
		"rendition\" is the reference ladder of the transcoding benchmarks as it was before reel encoded audio once",
		"(one decode, four x264 veryfast rungs from 360p to 1080p, each muxed with its own AAC encode, 96k for 360p",
		"and 128k above); \"audio once\" is the same command with the audio mapped once, at 128k, into its own",
		"`audio` rendition, as `ffmpeg.Args` does and as the reference ladder of the other benchmarks now does.",
		"\"Audio encodes alone\" runs only the audio part (`-vn`): four AAC encodes in one process against one.",
		"Bytes are the media and init segments written. CPU is each ffmpeg's user+sys (rusage), so it holds on a",
		"busy machine; wall times are not compared.")
	d.H("Commands")
	d.Code("sh", strings.Join([]string{
		"# input (untimed)", showCmd(b.Work, clipCmd), "",
		"# audio in every rendition", showCmd(b.Work, refLadderArgs(clip, b.Work+"/every", false, "")), "",
		"# audio once", showCmd(b.Work, refLadderArgs(clip, b.Work+"/once", true, "")), "",
		"# audio alone, 4 encodes and 1", showCmd(b.Work, audioOnlyArgs(clip, b.Work+"/audio4", 4)),
		showCmd(b.Work, audioOnlyArgs(clip, b.Work+"/audio1", 1)),
	}, "\n"))
	return nil
}

// mediaBytes adds up the sizes of the media and init segments under dir.
func mediaBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".m4s") || strings.HasSuffix(p, ".mp4") {
			info, err := e.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}
