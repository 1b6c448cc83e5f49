package ffmpeg

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"reel"
	"reel/hls"
)

// diagnosePackets is how many packets from the start diagnose decodes:
// enough to meet every stream of an interleaved file more than once, few
// enough that the check costs seconds even for a 4K source.
const diagnosePackets = 600

// undecodable is called when the ladder failed, wrote nothing, or wrote
// an audio rendition that holds next to nothing (emptyAudio). It
// decodes the start of each stream the plan reads and, if one of them
// yields no frame at all, returns a sentence naming that stream and why:
// the container lists it but holds none of its packets, or holds packets
// none of which decodes. Those sources fail the same way on every try.
// It returns false when every stream decodes, or when it cannot tell.
func (t *Transcoder) undecodable(ctx context.Context, input string, plan *Plan) (string, bool) {
	type used struct {
		kind, codec string
		index       int
	}
	var streams []used
	p := plan.Probe
	if p.HasVideo() {
		streams = append(streams, used{"video", p.Video.Codec, p.Video.Index})
	}
	// Every audio track published: one that no frame of decodes would
	// leave its rendition empty, and a player choosing it silent. Audio
	// only publishes the default track as its rung, the others in Audio.
	if p.Audio != nil && (plan.AudioOnly || len(plan.Audio) == 0) {
		streams = append(streams, used{"audio", p.Audio.Codec, p.Audio.Index})
	}
	for _, r := range plan.Audio {
		codec := ""
		for _, a := range p.AudioTracks {
			if a.Index == r.Source {
				codec = a.Codec
			}
		}
		streams = append(streams, used{"audio", codec, r.Source})
	}
	if len(streams) == 0 {
		return "", false
	}
	var stdout bytes.Buffer
	_, err := t.run(ctx, t.ffprobe(), []string{
		// Errors only: every damaged frame logs a line, and the counts
		// say what matters.
		"-v", "error", "-print_format", "json",
		// Decode, not just demux: a stream may have packets that hold
		// nothing decodable.
		"-count_frames", "-count_packets", "-show_entries", "stream=index,nb_read_frames,nb_read_packets",
		"-read_intervals", "%+#" + strconv.Itoa(diagnosePackets),
		inputURL(input),
	}, &stdout)
	if err != nil {
		return "", false
	}
	counts, err := parseFrameCounts(stdout.Bytes())
	if err != nil {
		return "", false
	}
	for _, s := range streams {
		c, ok := counts[s.index]
		if !ok || c.frames > 0 {
			continue
		}
		name := cmp.Or(codecName(s.codec, ""), s.codec, "unknown codec")
		if c.packets == 0 {
			article := map[string]string{"audio": "an"}[s.kind]
			return fmt.Sprintf("The file lists %s %s stream (%s) but holds none of its frames, so there is nothing to play; the file was probably made by a broken recorder or editor.", cmp.Or(article, "a"), s.kind, name), true
		}
		return fmt.Sprintf("The file's %s stream (%s) cannot be decoded: none of the %d frames read from its start decodes, so its data is damaged.", s.kind, name, c.packets), true
	}
	return "", false
}

// frameCount is how many packets ffprobe read of a stream, and how many
// frames it decoded from them.
type frameCount struct{ packets, frames int }

// parseFrameCounts parses ffprobe's JSON of -count_frames -count_packets,
// by stream index. ffprobe prints "N/A" for a count of nothing.
func parseFrameCounts(data []byte) (map[int]frameCount, error) {
	var j struct {
		Streams []struct {
			Index   int    `json:"index"`
			Frames  string `json:"nb_read_frames"`
			Packets string `json:"nb_read_packets"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("ffprobe frame counts: %w", err)
	}
	count := func(s string) int {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return 0 // "N/A"
		}
		return n
	}
	out := make(map[int]frameCount, len(j.Streams))
	for _, s := range j.Streams {
		out[s.Index] = frameCount{packets: count(s.Packets), frames: count(s.Frames)}
	}
	return out, nil
}

// truncationMarkers are what ffmpeg's demuxers log when a file ends in
// the middle of its data, as an upload cut short does.
var truncationMarkers = []string{"partial file", "ended prematurely", "Truncat", "truncat", "Read error", "Packet corrupt"}

// truncated reports whether input ends in the middle of its data, read
// to the end without decoding. It tells an upload cut short (refused)
// from a file whose header merely claims more than it holds (published).
// When it cannot tell, it says truncated, which refuses as before.
func (t *Transcoder) truncated(ctx context.Context, input string) (bool, string) {
	stderr, err := t.run(ctx, t.ffmpeg(), []string{
		"-nostdin", "-v", "warning", "-i", inputURL(input),
		// Demux only: every packet read, none decoded.
		"-map", "0", "-c", "copy", "-f", "null", "-",
	}, nil)
	if err != nil {
		return true, stderr
	}
	for _, m := range truncationMarkers {
		if strings.Contains(stderr, m) {
			return true, stderr
		}
	}
	return false, stderr
}

// emptyAudio reports whether an audio rendition holds less than
// completeShare of duration, the longest rendition's (for audio only,
// when it has several): what ffmpeg writes, exiting 0, for an audio
// track none of whose packets decodes. It measures the audio renditions' playlists again (small files); an
// error is the caller's to report as measure's would be.
func emptyAudio(outDir string, plan *Plan, duration float64) (bool, error) {
	fsys := os.DirFS(outDir)
	audio := plan.Audio
	if plan.AudioOnly && len(audio) > 0 {
		audio = append([]Rung{plan.Rungs[0]}, audio...) // the default track's rung too
	}
	for _, r := range audio {
		m, err := hls.Measure(fsys, r.Name+"/"+reel.MediaPlaylist)
		if errors.Is(err, hls.ErrNoSegments) {
			return true, nil
		} else if err != nil {
			return false, fmt.Errorf("measure %s: %w", r.Name, err)
		}
		if m.Duration < completeShare*duration {
			return true, nil
		}
	}
	return false, nil
}
