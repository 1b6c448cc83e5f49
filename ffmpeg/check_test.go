package ffmpeg_test

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
	"reel/hls"
)

// outcome is what one Transcode did, with every callback it made.
type outcome struct {
	res      *reel.TranscodeResult
	err      error
	out      string // the output folder
	progress []float64
	reports  [][]reel.MediaWarning
	planned  [][]reel.Rendition
	started  []float64
	calls    []string // callback names in order, progress once
}

// transcode runs Transcode on input into a fresh folder, recording what
// it reports.
func transcode(t *testing.T, input string) *outcome {
	t.Helper()
	o := &outcome{out: t.TempDir()}
	call := func(name string) {
		if len(o.calls) == 0 || o.calls[len(o.calls)-1] != name {
			o.calls = append(o.calls, name)
		}
	}
	tr := &ffmpeg.Transcoder{}
	o.res, o.err = tr.Transcode(context.Background(), reel.TranscodeRequest{
		Input: input, OutputDir: o.out,
		Progress: func(f float64) { call("progress"); o.progress = append(o.progress, f) },
		Report:   func(ws []reel.MediaWarning) { call("report"); o.reports = append(o.reports, ws) },
		Planned:  func(rs []reel.Rendition) { call("planned"); o.planned = append(o.planned, rs) },
		Started:  func(d float64) { call("started"); o.started = append(o.started, d) },
	})
	return o
}

// checkCodes checks the media report's codes, as passed to Report and as
// returned.
func checkCodes(t *testing.T, o *outcome, want ...string) {
	t.Helper()
	if got := codes(o.res.Warnings); !slices.Equal(got, want) {
		t.Errorf("media report %v, want %v:\n%+v", got, want, o.res.Warnings)
	}
}

// checkOutput checks everything a player and reel rely on in o's folder:
// the renditions (want, "name WxH, ..."), the callbacks, the master and
// media playlists, what ffprobe reads back, key frames, I-frame
// playlists, storyboard and poster, and HLS conformance.
func checkOutput(t *testing.T, input string, o *outcome, want string, audio bool) {
	t.Helper()
	res, out := o.res, o.out
	audioOnly := res.Width == 0
	// want names the video rungs; the audio rendition comes last, once.
	var names []string
	for _, r := range res.Renditions {
		if !r.IsAudio() || audioOnly {
			names = append(names, fmt.Sprintf("%s %dx%d", r.Name, r.Width, r.Height))
		}
	}
	if got := strings.Join(names, ", "); got != want {
		t.Fatalf("renditions %s, want %s", got, want)
	}
	last := res.Renditions[len(res.Renditions)-1]
	if withAudio := !audioOnly && last.IsAudio(); withAudio != (audio && !audioOnly) {
		t.Fatalf("audio rendition %v, want %v: %+v", withAudio, audio && !audioOnly, res.Renditions)
	}
	srcDuration := probe(t, input).duration()
	// A source whose header claims more than its frames hold is
	// published as long as what it holds: its warning, found after
	// encoding, comes last in the result's report.
	if _, short := reportedBefore(res); short {
		srcDuration = res.Duration
	}
	if math.Abs(res.Duration-srcDuration) > 0.01 {
		t.Errorf("Duration %v, want the source's %v", res.Duration, srcDuration)
	}
	checkCalls(t, o)

	// The master lists every rendition by bandwidth, with what was measured.
	master, err := os.ReadFile(filepath.Join(out, reel.MasterPlaylist))
	if err != nil {
		t.Fatal(err)
	}
	lastBandwidth := 0
	for _, r := range res.Renditions {
		group := ""
		if audio {
			group = `,AUDIO="audio"`
		}
		if strings.Contains(string(master), "TYPE=SUBTITLES") {
			group += `,SUBTITLES="subs"`
		}
		inf := fmt.Sprintf("#EXT-X-STREAM-INF:BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d,CODECS=\"%s\",RESOLUTION=%dx%d,FRAME-RATE=%.3f%s\n%s/index.m3u8\n",
			r.Bandwidth, r.AverageBandwidth, r.Codecs, r.Width, r.Height, r.FrameRate, group, r.Name)
		wantCodecs := r.Codecs != "" && strings.HasPrefix(r.Codecs, "avc1.64") && strings.HasSuffix(r.Codecs, ",mp4a.40.2") == audio
		switch {
		case r.IsAudio() && !audioOnly:
			// The audio group, which every variant above names; its
			// bandwidth is counted in theirs.
			inf = `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="`
			if !strings.Contains(string(master), inf) || !strings.Contains(string(master), `CHANNELS="2",URI="`+r.Name+`/index.m3u8"`+"\n") {
				t.Errorf("master lacks the audio group:\n%s", master)
			}
			if r.Codecs != "mp4a.40.2" || r.Channels != 2 || r.AverageBandwidth > r.Bandwidth || r.AverageBandwidth <= 0 {
				t.Errorf("audio rendition %+v", r)
			}
			continue
		case audioOnly && len(res.Renditions) > 1:
			// No video, several languages: each track in the audio group,
			// the default's playlist the one variant, at the heaviest
			// track's bandwidths (the default's media being the
			// variant's, it has no URI in the group).
			member := `CHANNELS="2",URI="` + r.Name + `/index.m3u8"` + "\n"
			if r.Default {
				member = `DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2"` + "\n"
			}
			if !strings.Contains(string(master), member) {
				t.Errorf("master lacks %s in the audio group:\n%s", r.Name, master)
			}
			if r.Codecs != "mp4a.40.2" || r.FrameRate != 0 || r.AverageBandwidth > r.Bandwidth || r.AverageBandwidth <= 0 {
				t.Errorf("audio rendition %+v", r)
			}
			if !r.Default {
				continue
			}
			bw, avg := 0, 0
			for _, a := range res.Renditions {
				bw, avg = max(bw, a.Bandwidth), max(avg, a.AverageBandwidth)
			}
			inf = fmt.Sprintf("#EXT-X-STREAM-INF:BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d,CODECS=\"mp4a.40.2\",AUDIO=\"audio\"\n%s/index.m3u8\n",
				bw, avg, r.Name)
			wantCodecs = true
		case audioOnly:
			// No video: no RESOLUTION, no FRAME-RATE.
			inf = fmt.Sprintf("#EXT-X-STREAM-INF:BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d,CODECS=\"mp4a.40.2\"\n%s/index.m3u8\n",
				r.Bandwidth, r.AverageBandwidth, r.Name)
			wantCodecs = r.Codecs == "mp4a.40.2" && r.FrameRate == 0
		}
		if !strings.Contains(string(master), inf) {
			t.Errorf("master lacks\n%s\nin\n%s", inf, master)
		}
		if r.Bandwidth < lastBandwidth || r.AverageBandwidth > r.Bandwidth || r.AverageBandwidth <= 0 {
			t.Errorf("%s: bandwidth %d, average %d after %d", r.Name, r.Bandwidth, r.AverageBandwidth, lastBandwidth)
		}
		lastBandwidth = r.Bandwidth
		if !wantCodecs {
			t.Errorf("%s: codecs %q", r.Name, r.Codecs)
		}
	}

	var grid []float64
	for _, r := range res.Renditions {
		dir := filepath.Join(out, r.Name)
		playlist := filepath.Join(dir, reel.MediaPlaylist)
		data, err := os.ReadFile(playlist)
		if err != nil {
			t.Fatal(err)
		}
		// A finished playlist with relative URIs next to it, init.mp4 first.
		pl, err := hls.ParseMedia(data)
		if err != nil {
			t.Fatal(err)
		}
		if pl.PlaylistType != "VOD" || !pl.EndList || pl.Map != "init.mp4" || len(pl.Segments) == 0 {
			t.Errorf("%s: playlist %+v", r.Name, pl)
		}
		for i, s := range pl.Segments {
			if s.URI != fmt.Sprintf("seg_%05d.m4s", i) {
				t.Errorf("%s: segment %d is %q", r.Name, i, s.URI)
			}
			if s.Duration > 6.5 || (i < len(pl.Segments)-1 && math.Abs(s.Duration-6) > 0.1) {
				t.Errorf("%s: segment %d lasts %v s, want 6", r.Name, i, s.Duration)
			}
		}

		// ffmpeg reads the rendition back: size, codecs, audio, duration.
		p := probe(t, playlist)
		var gotAudio, gotVideo bool
		for _, s := range p.Streams {
			switch s.CodecType {
			case "video":
				gotVideo = true
				if s.CodecName != "h264" || s.Width != r.Width || s.Height != r.Height || (s.SAR != "1:1" && s.SAR != "") || s.PixFmt != "yuv420p" {
					t.Errorf("%s: video %s %dx%d SAR %s %s", r.Name, s.CodecName, s.Width, s.Height, s.SAR, s.PixFmt)
				}
				for _, sd := range s.SideData {
					if sd.Type == "Display Matrix" && sd.Rotation != 0 {
						t.Errorf("%s: rotated again by the player: %v°", r.Name, sd.Rotation)
					}
				}
			case "audio":
				gotAudio = s.CodecName == "aac" && s.Channels == 2
			}
		}
		// Video rungs carry no audio: it is the audio rendition's alone.
		if gotAudio != r.IsAudio() || gotVideo == r.IsAudio() {
			t.Errorf("%s: stereo AAC %v, video %v; want %v, %v", r.Name, gotAudio, gotVideo, r.IsAudio(), !r.IsAudio())
		}
		if d := p.duration(); math.Abs(d-srcDuration) > 0.5 {
			t.Errorf("%s: lasts %.3f s, source %.3f s", r.Name, d, srcDuration)
		}

		// Every segment decodes without a single error.
		cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", playlist, "-f", "null", "-")
		if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
			t.Errorf("%s: decoding: %v\n%s", r.Name, err, msg)
		}
		if r.IsAudio() {
			continue
		}

		// Key frames every 2 s (to within a frame), the same in every rendition.
		kf := keyframes(t, playlist)
		frame := 1/r.FrameRate + 0.01
		for i := 1; i < len(kf); i++ {
			if d := kf[i] - kf[i-1]; math.Abs(d-2) > frame {
				t.Errorf("%s: key frames %v and %v are %v s apart", r.Name, kf[i-1], kf[i], d)
			}
		}
		if grid == nil {
			grid = kf
		} else if fmt.Sprint(kf) != fmt.Sprint(grid) {
			t.Errorf("%s: key frames %v, first rendition's %v", r.Name, kf, grid)
		}
	}

	checkConformance(t, out, res)
	checkIFrames(t, out, res, string(master))
	checkStoryboard(t, out, res)
	checkPoster(t, out, res)
}

// reportedBefore returns the media report as Report passed it, before
// encoding: the result's, without the finding that the source holds less
// than its header claims, which only encoding finds, and whether it had it.
func reportedBefore(res *reel.TranscodeResult) ([]reel.MediaWarning, bool) {
	if n := len(res.Warnings); n > 0 && res.Warnings[n-1].Code == ffmpeg.WarnShorterThanClaimed {
		return res.Warnings[:n-1], true
	}
	return res.Warnings, false
}

// checkCalls checks that Report, Planned and Started were called once
// each, in that order, before any progress, and agree with the result.
func checkCalls(t *testing.T, o *outcome) {
	t.Helper()
	if want := []string{"report", "planned", "started", "progress"}; !slices.Equal(o.calls, want) {
		t.Errorf("callbacks %v, want %v", o.calls, want)
	}
	reported, short := reportedBefore(o.res)
	if len(o.reports) != 1 || fmt.Sprint(o.reports[0]) != fmt.Sprint(reported) {
		t.Errorf("reports %+v, result's %+v", o.reports, o.res.Warnings)
	}
	// Started names the duration the header claims, more than the frames
	// hold when the report says so.
	if len(o.started) != 1 || (o.started[0] != o.res.Duration) != short {
		t.Errorf("started with %v, duration %v", o.started, o.res.Duration)
	}
	if len(o.planned) == 1 {
		for i, r := range o.planned[0] {
			got := o.res.Renditions[i]
			if r.Name != got.Name || r.Width != got.Width || r.Height != got.Height || r.FrameRate != got.FrameRate || r.Bandwidth <= 0 {
				t.Errorf("planned %+v, got %+v", r, got)
			}
		}
	}
	if len(o.progress) == 0 || o.progress[len(o.progress)-1] != 1 {
		t.Errorf("progress %v, want it to end at 1", o.progress)
	}
	for i := 1; i < len(o.progress); i++ {
		if o.progress[i] <= o.progress[i-1] {
			t.Errorf("progress went from %v to %v", o.progress[i-1], o.progress[i])
		}
	}
}

// checkConformance checks what Apple's HLS authoring spec asks of the
// variants, measured here independently of package hls's own sums: the
// target duration holds every segment; BANDWIDTH and AVERAGE-BANDWIDTH
// are within 10 % of the peak (RFC 8216's window of 0.5 to 1.5 target
// durations) and mean segment bit rates; and every variant's segments
// start with an IDR frame at the same times.
func checkConformance(t *testing.T, out string, res *reel.TranscodeResult) {
	t.Helper()
	var starts [][]float64 // per video rendition, each segment's first frame
	var audio reel.Rendition
	for _, r := range res.Renditions {
		// The heaviest audio is counted in every video rung's bandwidths.
		if r.IsAudio() && res.Width > 0 && r.Bandwidth > audio.Bandwidth {
			audio = r
		}
	}
	for _, r := range res.Renditions {
		if !r.IsAudio() {
			r.Bandwidth -= audio.Bandwidth
			r.AverageBandwidth -= audio.AverageBandwidth
		}
		data, err := os.ReadFile(filepath.Join(out, r.Name, reel.MediaPlaylist))
		if err != nil {
			t.Fatal(err)
		}
		pl, err := hls.ParseMedia(data)
		if err != nil {
			t.Fatal(err)
		}
		var bits, seconds []float64
		for _, s := range pl.Segments {
			if int(math.Round(s.Duration)) > pl.TargetDuration {
				t.Errorf("%s: %s lasts %v s, above the target duration %d", r.Name, s.URI, s.Duration, pl.TargetDuration)
			}
			fi, err := os.Stat(filepath.Join(out, r.Name, s.URI))
			if err != nil {
				t.Fatal(err)
			}
			bits, seconds = append(bits, float64(fi.Size())*8), append(seconds, s.Duration)
		}
		var peak, allBits, allSeconds float64
		target := float64(pl.TargetDuration)
		for i := range bits {
			allBits, allSeconds = allBits+bits[i], allSeconds+seconds[i]
			var b, d float64
			for j := i; j < len(bits); j++ {
				b, d = b+bits[j], d+seconds[j]
				if d >= target/2 && (d <= 1.5*target || j == i) {
					peak = max(peak, b/d)
				}
			}
		}
		if peak == 0 { // shorter than half a target duration
			peak = allBits / allSeconds
		}
		if e := math.Abs(float64(r.Bandwidth)-peak) / peak; e > 0.1 {
			t.Errorf("%s: BANDWIDTH %d, measured peak %.0f", r.Name, r.Bandwidth, peak)
		}
		if avg := allBits / allSeconds; math.Abs(float64(r.AverageBandwidth)-avg)/avg > 0.1 {
			t.Errorf("%s: AVERAGE-BANDWIDTH %d, measured %.0f", r.Name, r.AverageBandwidth, avg)
		}

		if r.Width == 0 {
			continue // audio only
		}
		init, err := os.ReadFile(filepath.Join(out, r.Name, pl.Map))
		if err != nil {
			t.Fatal(err)
		}
		tracks, err := hls.ParseInit(init)
		if err != nil {
			t.Fatal(err)
		}
		var video hls.Track
		for _, tr := range tracks {
			if tr.Handler == "vide" {
				video = tr
			}
		}
		var times []float64
		for _, s := range pl.Segments {
			seg, err := os.ReadFile(filepath.Join(out, r.Name, s.URI))
			if err != nil {
				t.Fatal(err)
			}
			frags, err := hls.ReadFragments(bytes.NewReader(seg), int64(len(seg)), tracks)
			if err != nil {
				t.Fatalf("%s/%s: %v", r.Name, s.URI, err)
			}
			first := true
			for _, f := range frags {
				for _, run := range f.Runs {
					if run.TrackID != video.ID || !first || len(run.Samples) == 0 {
						continue
					}
					first = false
					if !run.Samples[0].Sync() {
						t.Errorf("%s/%s starts with a frame that is not an IDR frame", r.Name, s.URI)
					}
					times = append(times, float64(int64(run.BaseDecodeTime)+int64(run.Samples[0].CompositionOffset))/float64(video.Timescale))
				}
			}
		}
		starts = append(starts, times)
	}
	for i := 1; i < len(starts); i++ {
		if len(starts[i]) != len(starts[0]) {
			t.Errorf("segments start at %v in one variant and %v in another", starts[0], starts[i])
			continue
		}
		for j := range starts[i] {
			if math.Abs(starts[i][j]-starts[0][j]) > 0.001 {
				t.Errorf("segment %d starts at %v in one variant and %v in another", j, starts[0][j], starts[i][j])
			}
		}
	}
}

var byteRange = regexp.MustCompile(`#EXTINF:([0-9.]+),\n#EXT-X-BYTERANGE:(\d+)@(\d+)\n(\S+)\n`)

// checkIFrames checks the I-frame playlists: listed in the master, and
// each byte range (after the init segment) decodes to exactly one key
// frame, for the first rendition and its first few I-frames.
func checkIFrames(t *testing.T, out string, res *reel.TranscodeResult, master string) {
	t.Helper()
	for i, r := range res.Renditions {
		if r.IsAudio() {
			if res.Width == 0 && strings.Contains(master, "I-FRAME") {
				t.Error("I-frame playlist for audio only")
			}
			continue
		}
		codec, _, _ := strings.Cut(r.Codecs, ",")
		if !regexp.MustCompile(fmt.Sprintf(`(?m)^#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="%s",RESOLUTION=%dx%d,URI="%s/iframes.m3u8"$`,
			regexp.QuoteMeta(codec), r.Width, r.Height, r.Name)).MatchString(master) {
			t.Errorf("master lists no I-frame playlist for %s:\n%s", r.Name, master)
		}
		data, err := os.ReadFile(filepath.Join(out, r.Name, reel.IFramePlaylist))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "\n#EXT-X-I-FRAMES-ONLY\n") || !strings.HasSuffix(string(data), "#EXT-X-ENDLIST\n") {
			t.Errorf("%s: I-frame playlist\n%s", r.Name, data)
		}
		entries := byteRange.FindAllStringSubmatch(string(data), -1)
		segments, _ := filepath.Glob(filepath.Join(out, r.Name, "seg_*.m4s"))
		if len(entries) != len(segments) {
			t.Errorf("%s: %d I-frames for %d segments", r.Name, len(entries), len(segments))
		}
		if i > 0 {
			continue
		}
		init, err := os.ReadFile(filepath.Join(out, r.Name, reel.InitSegment))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries[:min(3, len(entries))] {
			length, _ := strconv.Atoi(e[2])
			offset, _ := strconv.Atoi(e[3])
			seg, err := os.ReadFile(filepath.Join(out, r.Name, e[4]))
			if err != nil || offset+length > len(seg) {
				t.Fatalf("%s: range %d@%d of %d bytes: %v", e[4], length, offset, len(seg), err)
			}
			one := filepath.Join(t.TempDir(), "iframe.mp4")
			os.WriteFile(one, append(slices.Clip(init), seg[offset:offset+length]...), 0o644)
			frames := run(t, "ffprobe", "-v", "quiet", "-select_streams", "v", "-show_entries", "frame=key_frame,pict_type", "-of", "csv=p=0", one)
			if f := strings.Fields(frames); len(f) != 1 || !strings.HasPrefix(f[0], "1,I") {
				t.Errorf("%s %s: I-frame range decodes to %q, want one key frame", r.Name, e[4], frames)
			}
		}
	}
}

var cue = regexp.MustCompile(`(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n(storyboard_\d+\.jpg)#xywh=(\d+),(\d+),(\d+),(\d+)\n`)

// checkStoryboard checks the storyboard: contiguous cues from 0 to the
// end, each pointing inside an existing sheet; none for audio only.
func checkStoryboard(t *testing.T, out string, res *reel.TranscodeResult) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, reel.StoryboardVTT))
	if res.Width == 0 {
		if err == nil {
			t.Error("storyboard for audio only")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "WEBVTT\n\n") {
		t.Errorf("storyboard.vtt starts %q", data[:min(20, len(data))])
	}
	seconds := func(m []string) float64 {
		h, _ := strconv.Atoi(m[0])
		mi, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		ms, _ := strconv.Atoi(m[3])
		return float64(h*3600+mi*60+s) + float64(ms)/1000
	}
	cues := cue.FindAllStringSubmatch(string(data), -1)
	if len(cues) == 0 || len(cues) > 110 {
		t.Fatalf("%d cues in\n%s", len(cues), data)
	}
	sheets := map[string][2]int{}
	end := 0.0
	for _, c := range cues {
		start, stop := seconds(c[1:5]), seconds(c[5:9])
		if start != end || stop <= start {
			t.Errorf("cue %v --> %v after one ending at %v", start, stop, end)
		}
		end = stop
		size, ok := sheets[c[9]]
		if !ok {
			f, err := os.Open(filepath.Join(out, c[9]))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := jpeg.DecodeConfig(f)
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", c[9], err)
			}
			size = [2]int{cfg.Width, cfg.Height}
			sheets[c[9]] = size
		}
		x, _ := strconv.Atoi(c[10])
		y, _ := strconv.Atoi(c[11])
		w, _ := strconv.Atoi(c[12])
		h, _ := strconv.Atoi(c[13])
		if x+w > size[0] || y+h > size[1] || max(w, h) != 160 {
			t.Errorf("cue %s#xywh=%d,%d,%d,%d outside the %dx%d sheet", c[9], x, y, w, h, size[0], size[1])
		}
	}
	if math.Abs(end-res.Duration) > 0.5 {
		t.Errorf("cues end at %v, video lasts %v", end, res.Duration)
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".*")); len(left) > 0 {
		t.Errorf("files left behind: %v", left)
	}
}

// checkPoster checks the poster: a JPEG of the top rung's size, at most
// 1280 on its long side; 1280x720 for audio only.
func checkPoster(t *testing.T, out string, res *reel.TranscodeResult) {
	t.Helper()
	var top reel.Rendition // the last video rung
	for _, r := range res.Renditions {
		if !r.IsAudio() {
			top = r
		}
	}
	pw, ph := top.Width, top.Height
	if long := max(pw, ph); long > 1280 {
		pw, ph = pw*1280/long, ph*1280/long
	}
	if res.Width == 0 {
		pw, ph = 1280, 720
	}
	p := probe(t, filepath.Join(out, reel.PosterImage))
	if s := p.Streams[0]; s.CodecName != "mjpeg" || s.Width != pw || s.Height != ph {
		t.Errorf("poster %s %dx%d, want mjpeg %dx%d", s.CodecName, s.Width, s.Height, pw, ph)
	}
}
