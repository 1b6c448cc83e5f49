package ffmpeg_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"reel"
	"reel/ffmpeg"
	"reel/hls"
)

// TestSplitStitchCodecs splits an 18 s clip into three 6 s pieces with
// HEVC and/or AV1 rungs beside the H.264 one, through TranscodePiece and
// StitchPieces as the piece and stitch jobs run them, and holds every
// stitched rendition to a whole encode of the same ladder: each variant
// decodes as its codec; its frames are where the whole encode has them,
// one frame apart across each join (SVT-AV1 starts a piece without the
// B-frame delay the H.264 rung has, and ran 0.2 s early after each join
// when each rendition was shifted by its own delay); its decode times
// only rise; its key frames are the H.264 rung's; the audio starts where
// it does in the whole encode, so it plays in sync; and the playlists
// last as long as the whole encode's.
func TestSplitStitchCodecs(t *testing.T) {
	needFFmpeg(t)
	input := generate(t, "split.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-f", "lavfi", "-i", sine,
		"-t", "18", "-c:v", x264, "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
	const frame = 0.1 // 10 fps
	for _, set := range []string{"h264,hevc", "h264,av1", "h264,hevc,av1"} {
		t.Run(set, func(t *testing.T) {
			ctx := context.Background()
			codecs, err := ffmpeg.ParseCodecs(set)
			if err != nil {
				t.Fatal(err)
			}
			tr := &ffmpeg.Transcoder{Codecs: codecs}
			whole := t.TempDir()
			if _, err := tr.Transcode(ctx, reel.TranscodeRequest{Input: input, OutputDir: whole}); err != nil {
				t.Fatal(err)
			}
			out, res, pieces := splitStitch(t, tr, input, 3)
			if math.Abs(res.Duration-18) > 0.05 {
				t.Errorf("duration %v s, want 18", res.Duration)
			}
			// The I-frame playlists, as a whole encode's. (Not
			// checkConformance: it compares the variants' segment starts
			// before the edit lists, which differ by the codecs' delays in
			// a whole encode too; the key frames compared below are after
			// them.)
			checkIFrames(t, out, res, readFile(t, out, reel.MasterPlaylist))

			wantKeys, _ := keyPackets(t, filepath.Join(out, "180p", reel.MediaPlaylist))
			var names []string
			var videoStart float64
			for _, r := range res.Renditions {
				pl := filepath.Join(out, r.Name, reel.MediaPlaylist)
				wts, sts := packetTimes(t, filepath.Join(whole, r.Name, reel.MediaPlaylist)), packetTimes(t, pl)
				if len(sts) != len(wts) || len(sts) < 2 {
					t.Errorf("%s: %d frames, whole %d", r.Name, len(sts), len(wts))
					continue
				}
				for i := range sts {
					if math.Abs(sts[i]-wts[i]) > 0.002 {
						t.Errorf("%s: frame %d at %v s, whole at %v s", r.Name, i, sts[i], wts[i])
						break
					}
				}
				if d, w := playlist(t, out, r.Name).Duration(), playlist(t, whole, r.Name).Duration(); math.Abs(d-w) > 0.001 {
					t.Errorf("%s: playlist of %v s, whole %v s", r.Name, d, w)
				}
				if r.IsAudio() {
					// From the first piece, whole: in sync if it starts
					// as far from the video as in the whole encode.
					if lead, wlead := sts[0]-videoStart, wts[0]-packetTimes(t, filepath.Join(whole, "180p", reel.MediaPlaylist))[0]; math.Abs(lead-wlead) > 0.002 {
						t.Errorf("audio starts %v s from the video, whole %v s", lead, wlead)
					}
					continue
				}
				if videoStart == 0 {
					videoStart = sts[0]
				}
				names = append(names, r.Name)
				// The step across each join: from the last frame of the
				// segments the piece before made to the first of the
				// piece's own.
				for k, p := range pieces[1:] {
					first := func(p reel.Piece) int { return ffmpeg.Piece{Start: p.Start}.FirstSegment() }
					before := segmentTimes(t, filepath.Join(out, r.Name), first(pieces[k]), first(p))
					after := segmentTimes(t, filepath.Join(out, r.Name), first(p), first(p)+1)
					if step := after[0] - before[len(before)-1]; math.Abs(step-frame) > 0.001 {
						t.Errorf("%s: across the join at %v s, frames at %v s and %v s", r.Name, p.Start, before[len(before)-1], after[0])
					}
				}
				for i := 1; i < len(sts); i++ {
					if math.Abs(sts[i]-sts[i-1]-frame) > 0.001 {
						t.Errorf("%s: frames at %v s and %v s", r.Name, sts[i-1], sts[i])
						break
					}
				}
				if dts := decodeTimes(t, pl); len(dts) == 0 {
					t.Errorf("%s: no decode times", r.Name)
				} else if i := fall(dts); i > 0 {
					t.Errorf("%s: packet %d decoded at %v s, after one at %v s", r.Name, i, dts[i], dts[i-1])
				}
				video, _, _ := strings.Cut(r.Codecs, ",")
				if s := probeStream(t, pl); s.CodecName != codecFromString(t, video) {
					t.Errorf("%s: CODECS %q but ffprobe decodes %s", r.Name, video, s.CodecName)
				}
				// From the packets' key flags: dav1d ignores -skip_frame.
				if keys, _ := keyPackets(t, pl); fmt.Sprint(keys) != fmt.Sprint(wantKeys) {
					t.Errorf("%s: key frames %v, the H.264 rung's %v", r.Name, keys, wantKeys)
				}
			}
			want := "180p"
			for _, c := range codecs[1:] {
				want += " 180p-" + c
			}
			if got := strings.Join(names, " "); got != want {
				t.Errorf("video renditions %s, want %s", got, want)
			}
		})
	}
}

// segmentTimes returns the presentation times, sorted, of the packets of
// segments from to to (excluded) of the media playlist in dir, read
// through a playlist of those segments alone.
func segmentTimes(t *testing.T, dir string, from, to int) []float64 {
	t.Helper()
	pl, err := hls.ParseMedia([]byte(readFile(t, dir, reel.MediaPlaylist)))
	if err != nil || to > len(pl.Segments) || from >= to {
		t.Fatalf("%s: segments %d to %d of %d: %v", dir, from, to, len(pl.Segments), err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MAP:URI=%q\n", pl.TargetDuration, pl.Map)
	for _, s := range pl.Segments[from:to] {
		fmt.Fprintf(&b, "#EXTINF:%f,\n%s\n", s.Duration, s.URI)
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	name := filepath.Join(dir, fmt.Sprintf("part-%d-%d.m3u8", from, to))
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := packetTimes(t, name)
	if len(ts) == 0 {
		t.Fatalf("%s: no packets in segments %d to %d", dir, from, to)
	}
	return ts
}

// decodeTimes returns the decode times of the packets of the first video
// stream of playlist, in the order they are stored.
func decodeTimes(t *testing.T, playlist string) []float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=dts_time", "-of", "csv=p=0", playlist).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", playlist, err)
	}
	var ts []float64
	for _, f := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(f, ","), 64)
		if err != nil {
			t.Fatalf("decode time %q: %v", f, err)
		}
		ts = append(ts, v)
	}
	return ts
}

// fall returns the index of the first time in ts not later than the one
// before, or -1.
func fall(ts []float64) int {
	for i := 1; i < len(ts); i++ {
		if ts[i] <= ts[i-1] {
			return i
		}
	}
	return -1
}
