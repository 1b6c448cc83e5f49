package main

// Codecs: reel's own ladder command (ffmpeg.Args), H.264 alone against
// H.264 with HEVC and with AV1 rungs of the same sizes, on a generated
// camera-like clip and on the real camera clips of REEL_TEST_MEDIA when
// it names them: the bytes of each HEVC and AV1 rung relative to the
// H.264 rung of the same size, with the SSIM of each against the source
// scaled to that size (the quality the bytes buy), and the CPU seconds
// each codec adds to the ladder.

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
		"filter, All) compares each rung with the source scaled to its size and brought to the ladder's",
		"frame rate. \"Same CRF ladder\" divides the bytes of the rungs reel makes, whatever SSIM each",
		"reached. \"At matched SSIM\" is the figure the targets are judged on: the H.264 rung is encoded",
		fmt.Sprintf("again at CRF %s (untimed) and its bytes at the newer codec's SSIM are", strings.Trim(strings.Join(strings.Fields(fmt.Sprint(curveCRFs(b.Quick))), ", "), "[]")),
		"interpolated linearly in log(bytes), as BD-rate does; \"> N\" means no CRF got H.264 to that",
		"SSIM (the rung's rate cap holds it back), so the ratio is an upper bound. CPU is each ffmpeg's user+sys (rusage), which holds on a busy machine;",
		"\"added\" is the ladder with the codec minus the H.264 ladder of the same run.",
		"Targets: HEVC at most 0.7×, AV1 at most 0.6× the H.264 bytes at matched quality.")
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

	curve, err := h264Curve(ctx, b, src, base)
	if err != nil {
		return nil, err
	}
	for _, r := range base.Rungs { // the ladder's own CRF, from the timed runs
		curve[r.Name] = append(curve[r.Name], rdPoint{bytes[r.Name].Median(), quality[r.Name].Median()})
	}

	d.H("Source: " + src.name)
	d.P(strings.ToUpper(src.about[:1]) + src.about[1:] + ".")
	for _, codec := range []struct{ suffix, label string }{{"-hevc", "HEVC"}, {"-av1", "AV1"}} {
		t := &Table{Header: []string{"rung", "H.264 bytes", "SSIM", codec.label + " bytes", "SSIM",
			"H.264 bytes at " + codec.label + "'s SSIM", codec.label + " / H.264, same CRF ladder", codec.label + " / H.264 at matched SSIM"}, Align: "lrrrrrrr"}
		for _, r := range base.Rungs {
			h, n := r.Name, r.Name+codec.suffix
			matched, bound := curve.bytesAt(r.Name, quality[n].Median())
			mb, mr := matchedFigs(matched, bytes[n].Median(), bound)
			t.Add(r.Name, num(bytes[h].Median(), 0), num(quality[h].Median(), 4),
				num(bytes[n].Median(), 0), num(quality[n].Median(), 4),
				mb, Ratios(bytes[n], bytes[h]).Fig(3), mr)
		}
		d.Table(t)
	}
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

// curveCRFs are the CRFs of the H.264 ladders that trace H.264's rate and
// quality, around the ladder's own 23: enough to find, by interpolation,
// the bytes H.264 needs for the SSIM another codec's rung reached.
func curveCRFs(quick bool) []int {
	if quick {
		return []int{19, 27, 31, 36}
	}
	return []int{18, 20, 26, 29, 32, 36, 40}
}

// rdPoint is one encode of a rung: its bytes and SSIM.
type rdPoint struct{ bytes, ssim float64 }

// rdCurve holds H.264's points per rung, by CRF.
type rdCurve map[string][]rdPoint

// h264Curve encodes src's H.264 ladder once at each of curveCRFs (not
// timed: bytes and SSIM do not depend on load) and returns every rung's
// points, with the ladder's own CRF measured in the timed runs left out.
func h264Curve(ctx context.Context, b *B, src codecSource, base *ffmpeg.Plan) (rdCurve, error) {
	curve := rdCurve{}
	for _, crf := range curveCRFs(b.Quick) {
		plan := *base
		plan.Rungs = slices.Clone(base.Rungs)
		for i := range plan.Rungs {
			plan.Rungs[i].CRF = crf
		}
		out := filepath.Join(b.Work, src.name, fmt.Sprintf("h264-crf%d", crf))
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, err
		}
		if _, _, err := runTimed(ctx, out, append([]string{"ffmpeg"}, ffmpeg.Args(src.path, out, &plan)...)...); err != nil {
			return nil, err
		}
		for _, r := range plan.Rungs {
			dir := filepath.Join(out, r.Name)
			n, err := mediaBytes(dir)
			if err != nil {
				return nil, err
			}
			s, err := ssim(ctx, src.path, dir, r.Width, r.Height, plan.FrameRate)
			if err != nil {
				return nil, err
			}
			curve[r.Name] = append(curve[r.Name], rdPoint{float64(n), s})
		}
		os.RemoveAll(out)
		logf("   %s H.264 at CRF %d: measured", src.name, crf)
	}
	return curve, nil
}

// bytesAt returns the bytes the H.264 rung needs for SSIM s, interpolated
// on its points linearly in log(bytes), the way rate-quality curves are
// compared (BD-rate). When s lies outside what the CRFs reached, it
// returns the nearest end's bytes as a bound: bound is +1 when H.264 needs
// more than that (s above its best SSIM, as when the rung's rate cap
// holds every CRF back), -1 when less, 0 for an interpolated figure. It
// returns NaN for a rung with no points.
func (c rdCurve) bytesAt(rung string, s float64) (bytes float64, bound int) {
	pts := slices.Clone(c[rung])
	if len(pts) == 0 {
		return math.NaN(), 0
	}
	slices.SortFunc(pts, func(a, b rdPoint) int { return cmp.Compare(a.ssim, b.ssim) })
	if hi := pts[len(pts)-1]; s > hi.ssim {
		return hi.bytes, +1
	}
	if lo := pts[0]; s < lo.ssim {
		return lo.bytes, -1
	}
	for i := 1; i < len(pts); i++ {
		lo, hi := pts[i-1], pts[i]
		if s > hi.ssim {
			continue
		}
		if hi.ssim == lo.ssim {
			return hi.bytes, 0
		}
		f := (s - lo.ssim) / (hi.ssim - lo.ssim)
		return math.Exp(math.Log(lo.bytes) + f*(math.Log(hi.bytes)-math.Log(lo.bytes))), 0
	}
	return pts[0].bytes, 0 // one point, at exactly s
}

// matchedFigs formats H.264's bytes at a newer codec's SSIM and the newer
// codec's bytes over them, marking bounds: "> 2378240" and "< 0.620" when
// H.264 never reached that SSIM.
func matchedFigs(h264, newer float64, bound int) (bytes, ratio string) {
	bytes, ratio = num(h264, 0), num(newer/h264, 3)
	switch bound {
	case +1:
		return "> " + bytes, "< " + ratio
	case -1:
		return "< " + bytes, "> " + ratio
	}
	return bytes, ratio
}
