package main

// Codecs: reel's own ladder command (ffmpeg.Args), H.264 alone against
// H.264 with HEVC and with AV1 rungs of the same sizes, on a generated
// camera-like clip and on the real camera clips of REEL_TEST_MEDIA when
// it names them: the bytes of each HEVC and AV1 rung relative to the
// H.264 rung of the same size, with the SSIM of each against the source
// scaled to that size (the quality the bytes buy), and the CPU seconds
// each codec adds to the ladder.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"reel/ffmpeg"
)

func codecsBenchmark() benchmark {
	return benchmark{
		Name: "codecs", Title: "HEVC and AV1 rungs: benchmark",
		About: "bytes of HEVC and AV1 rungs against H.264 at the same rung, with their SSIM, and the CPU each codec adds",
		Runs:  2, QuickRuns: 1,
		Run: runCodecs,
	}
}

// ssimAll matches the summary line of ffmpeg's ssim filter.
var ssimAll = regexp.MustCompile(`SSIM .* All:([0-9.]+)`)

// ssim measures the SSIM of the rendition in dir against source scaled to
// w×h at the ladder's frame rate, as the ladder scaled it.
func ssim(ctx context.Context, source, dir string, w, h int, fps ffmpeg.Rational) (float64, error) {
	out, err := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-loglevel", "info", "-nostats",
		"-i", filepath.Join(dir, "index.m3u8"), "-i", source,
		"-lavfi", fmt.Sprintf("[1:v:0]fps=%d/%d,scale=%d:%d,setsar=1,format=yuv420p[ref];[0:v][ref]ssim", fps.Num, fps.Den, w, h),
		"-f", "null", "-").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("ssim of %s: %v: %s", dir, err, tail(out))
	}
	m := ssimAll.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("ssim of %s: no summary in %s", dir, tail(out))
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func tail(b []byte) []byte { return b[max(0, len(b)-400):] }

// codecSource is one input of the codecs benchmark.
type codecSource struct {
	name  string   // a short label for the tables
	about string   // what it is, for the document
	path  string   // the file the ladder reads
	make  []string // the command that generates it; nil for a real clip
}

// codecCases are the ladders compared: H.264 alone, then with each newer
// codec.
var codecCases = []struct{ name, codecs string }{
	{"h264", "h264"}, {"hevc", "h264,hevc"}, {"av1", "h264,av1"},
}

// codecSources are the generated clip (1080p30 for 12 s, or 720p30 for
// 6 s in a quick run) and the real camera clips REEL_TEST_MEDIA holds:
// real footage has the detail and motion a test pattern lacks.
func codecSources(b *B) []codecSource {
	size, seconds := "1920x1080", 12
	if b.Quick {
		size, seconds = "1280x720", 6
	}
	clip := filepath.Join(b.Work, "clip.mp4")
	// Temporal noise defeats motion prediction the way a camera's sensor
	// noise does; a clean test pattern would flatter every codec.
	sources := []codecSource{{
		name:  "generated",
		about: fmt.Sprintf("a %d s %s 30 fps clip (testsrc2 under temporal noise, like a camera's), no audio", seconds, size),
		path:  clip,
		make: []string{"ffmpeg", "-nostdin", "-y", "-loglevel", "error",
			"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30", "-t", strconv.Itoa(seconds),
			"-vf", "noise=alls=8:allf=t", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p", clip},
	}}
	media := os.Getenv("REEL_TEST_MEDIA")
	for _, c := range []struct{ file, about string }{
		{"car-detection.mp4", "car-detection.mp4 of REEL_TEST_MEDIA: 30 s of a real street camera, 768x432, 12.5 fps, with audio"},
		{"foreman-hevc-384.mp4", "foreman-hevc-384.mp4 of REEL_TEST_MEDIA: the classic 'foreman' sequence, 1280x720, 23.976 fps, 10 s"},
	} {
		path := filepath.Join(media, c.file)
		if _, err := os.Stat(path); media == "" || b.Quick || err != nil {
			continue
		}
		sources = append(sources, codecSource{name: strings.TrimSuffix(c.file, filepath.Ext(c.file)), about: c.about, path: path})
	}
	return sources
}

func runCodecs(ctx context.Context, b *B, d *Doc) error {
	sources := codecSources(b)
	var commands []string
	for _, src := range sources {
		if src.make != nil {
			if err := makeClip(ctx, b, src.make); err != nil {
				return err
			}
			commands = append(commands, "# input "+src.name+" (untimed)", showCmd(b.Work, src.make), "")
		}
		lines, err := codecsOf(ctx, b, d, src)
		if err != nil {
			return err
		}
		commands = append(commands, lines...)
	}
	d.P("Each source goes through the command reel runs (`ffmpeg.Args` of `NewPlan(probe).WithCodecs(...)`):",
		"one decode, split, the rungs the source gets in H.264 (x264 veryfast, CRF 23, capped), and the",
		"same sizes in HEVC (x265 faster, CRF 27, capped at 0.7× the H.264 peak) or AV1 (SVT-AV1 preset 10,",
		"CRF 40, capped at 0.6×). Bytes are each rung's media and init segments; SSIM (ffmpeg's ssim",
		"filter, All) compares each rung with the source scaled to its size, so a ratio counts at matched",
		"quality when the newer codec's SSIM is at least H.264's. CPU is each ffmpeg's user+sys (rusage),",
		"which holds on a busy machine; \"added\" is the ladder with the codec minus the H.264 ladder of the",
		"same run. Targets: HEVC at most 0.7×, AV1 at most 0.6× the H.264 bytes.")
	d.H("Commands")
	d.Code("sh", strings.TrimSpace(strings.Join(commands, "\n")))
	return nil
}

// codecsOf runs every ladder of codecCases on src, in an order that
// rotates each run, and writes its two tables: bytes and SSIM per rung,
// CPU per ladder. It returns the ladder commands for the document.
func codecsOf(ctx context.Context, b *B, d *Doc, src codecSource) ([]string, error) {
	probe, err := (&ffmpeg.Transcoder{}).Probe(ctx, src.path)
	if err != nil {
		return nil, err
	}
	base := ffmpeg.NewPlan(probe)
	plans := map[string]*ffmpeg.Plan{}
	for _, c := range codecCases {
		codecs, err := ffmpeg.ParseCodecs(c.codecs)
		if err != nil {
			return nil, err
		}
		plans[c.name] = ffmpeg.NewPlan(probe).WithCodecs(codecs)
	}
	cpu := map[string]Sample{}
	bytes, quality := map[string]Sample{}, map[string]Sample{} // by rung folder
	for run := range b.RunCount {
		for j := range codecCases {
			c := codecCases[(run+j)%len(codecCases)]
			out := filepath.Join(b.Work, src.name, c.name)
			os.RemoveAll(out)
			if err := os.MkdirAll(out, 0o755); err != nil {
				return nil, err
			}
			args := append([]string{"ffmpeg"}, ffmpeg.Args(src.path, out, plans[c.name])...)
			m := b.Measure(false)
			wall, cp, err := runTimed(ctx, out, args...)
			if err != nil {
				return nil, err
			}
			r := b.Record(m.Stop(cp))
			cpu[c.name] = append(cpu[c.name], cp)
			logf("   %s %s run %d: %.1f s CPU, %.1f s wall, other processes %.0f %% of the CPUs", src.name, c.name, run+1, cp, wall.Seconds(), 100*r.OtherShare())
			for _, rung := range plans[c.name].Rungs {
				if c.name != "h264" && !strings.HasSuffix(rung.Name, "-"+c.name) {
					continue // the H.264 rungs again: measured in the h264 case
				}
				dir := filepath.Join(out, rung.Name)
				n, err := mediaBytes(dir)
				if err != nil {
					return nil, err
				}
				s, err := ssim(ctx, src.path, dir, rung.Width, rung.Height, plans[c.name].FrameRate)
				if err != nil {
					return nil, err
				}
				bytes[rung.Name] = append(bytes[rung.Name], float64(n))
				quality[rung.Name] = append(quality[rung.Name], s)
			}
		}
	}

	d.H("Source: " + src.name)
	d.P(strings.ToUpper(src.about[:1]) + src.about[1:] + ".")
	t := &Table{Header: []string{"rung", "H.264 bytes (SSIM)", "HEVC bytes (SSIM)", "HEVC / H.264", "AV1 bytes (SSIM)", "AV1 / H.264"}, Align: "lrrrrr"}
	for _, r := range base.Rungs {
		if r.Width == 0 {
			continue // audio
		}
		h, hv, av := r.Name, r.Name+"-hevc", r.Name+"-av1"
		t.Add(r.Name,
			bytes[h].Fig(0)+" ("+quality[h].Fig(4)+")",
			bytes[hv].Fig(0)+" ("+quality[hv].Fig(4)+")", Ratios(bytes[hv], bytes[h]).Fig(3),
			bytes[av].Fig(0)+" ("+quality[av].Fig(4)+")", Ratios(bytes[av], bytes[h]).Fig(3))
	}
	d.Table(t)
	c := &Table{Header: []string{"ladder", "CPU (user+sys), s", "CPU added by the codec, s", "added / H.264 ladder"}, Align: "lrrr"}
	added := func(name string) Sample {
		var s Sample
		for i := range min(len(cpu[name]), len(cpu["h264"])) {
			s = append(s, cpu[name][i]-cpu["h264"][i])
		}
		return s
	}
	c.Add("H.264", cpu["h264"].Fig(1), "", "")
	c.Add("H.264 + HEVC", cpu["hevc"].Fig(1), added("hevc").Fig(1), Ratios(added("hevc"), cpu["h264"]).Fig(2))
	c.Add("H.264 + AV1", cpu["av1"].Fig(1), added("av1").Fig(1), Ratios(added("av1"), cpu["h264"]).Fig(2))
	d.Table(c)

	var lines []string
	for _, c := range codecCases {
		lines = append(lines, "# "+src.name+": "+c.codecs,
			showCmd(b.Work, append([]string{"ffmpeg"}, ffmpeg.Args(src.path, filepath.Join(b.Work, src.name, c.name), plans[c.name])...)), "")
	}
	return lines, nil
}
