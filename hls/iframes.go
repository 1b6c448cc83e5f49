package hls

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"
)

// IFrame is one entry of an I-frame playlist: the byte range of a media
// segment that holds a fragment's moof and its first video sample, an
// I-frame a player can decode alone, say to show while scrubbing.
type IFrame struct {
	URI      string  // the media segment, as the media playlist names it
	Offset   int64   // of the range in the segment: the moof box
	Length   int64   // of the range: through the end of the I-frame's data
	Time     float64 // presentation time, seconds
	Duration float64 // until the next I-frame (or the end), seconds
}

// IFrameIndex is what IFrames found: the I-frames of a rendition, the
// initialization segment they need, and their bit rates.
type IFrameIndex struct {
	Map              string // the media playlist's EXT-X-MAP URI
	IFrames          []IFrame
	Bandwidth        int // peak bit rate of the I-frame ranges, bits/s
	AverageBandwidth int // mean bit rate of the I-frame ranges, bits/s
}

// IFrames reads the media playlist name in fsys, its initialization
// segment and the moof boxes of its media segments (not their media
// data), and returns the I-frame at the start of every fragment. Each
// range starts at the fragment's moof, which a player needs to find the
// frame, and ends with the frame: ffmpeg writes one fragment per media
// segment, each starting with an IDR frame, so this is one I-frame per
// segment. A fragment whose first video sample is not a sync sample is
// skipped.
func IFrames(fsys fs.FS, name string) (*IFrameIndex, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("hls: read %s: %w", name, err)
	}
	pl, err := ParseMedia(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	dir := path.Dir(name)
	initPath, init, err := readInit(fsys, name, pl)
	if err != nil {
		return nil, err
	}
	tracks, err := ParseInit(init)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", initPath, err)
	}
	var video Track
	for _, t := range tracks {
		if t.Handler == "vide" {
			video = t
			break
		}
	}
	if video.ID == 0 || video.Timescale == 0 {
		return nil, fmt.Errorf("hls: %s has no video track", initPath)
	}

	idx := &IFrameIndex{Map: pl.Map}
	var end float64 // presentation end of the last video sample seen
	for _, seg := range pl.Segments {
		if seg.Length > 0 {
			return nil, fmt.Errorf("hls: %s uses byte ranges, which IFrames does not read", name)
		}
		frags, err := readSegment(fsys, dir, seg.URI, tracks)
		if err != nil {
			return nil, err
		}
		for _, f := range frags {
			for _, run := range f.Runs {
				if run.TrackID != video.ID || len(run.Samples) == 0 {
					continue
				}
				first := run.Samples[0]
				if first.Sync() {
					idx.IFrames = append(idx.IFrames, IFrame{
						URI:    seg.URI,
						Offset: f.Offset,
						Length: first.Offset + int64(first.Size) - f.Offset,
						Time:   ticks(int64(run.BaseDecodeTime)+int64(first.CompositionOffset), video.Timescale),
					})
				}
				decode := int64(run.BaseDecodeTime)
				for _, s := range run.Samples {
					end = max(end, ticks(decode+int64(s.CompositionOffset)+int64(s.Duration), video.Timescale))
					decode += int64(s.Duration)
				}
			}
		}
	}
	if len(idx.IFrames) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoSegments)
	}
	// Each I-frame lasts until the next one; the last until the end.
	durations := make([]float64, len(idx.IFrames))
	lengths := make([]int64, len(idx.IFrames))
	var bytes int64
	var total float64
	for i := range idx.IFrames {
		next := end
		if i+1 < len(idx.IFrames) {
			next = idx.IFrames[i+1].Time
		}
		// Microseconds are plenty, and keep 6.2-0.2 from becoming 6.000000001.
		d := math.Round(max(0, next-idx.IFrames[i].Time)*1e6) / 1e6
		idx.IFrames[i].Duration = d
		durations[i], lengths[i] = d, idx.IFrames[i].Length
		bytes += idx.IFrames[i].Length
		total += d
	}
	idx.Bandwidth = PeakBitRate(durations, lengths, float64(targetDuration(durations)))
	if total > 0 {
		idx.AverageBandwidth = int(math.Ceil(float64(bytes) * 8 / total))
	}
	return idx, nil
}

// readSegment returns the fragments of the segment uri, relative to dir.
func readSegment(fsys fs.FS, dir, uri string, tracks []Track) ([]Fragment, error) {
	p, err := resolve(dir, uri)
	if err != nil {
		return nil, err
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("hls: segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("hls: segment: %w", err)
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		// Not seekable: read it whole. Segments are seconds of media.
		data, err := io.ReadAll(f)
		if err != nil {
			return nil, fmt.Errorf("hls: read %s: %w", p, err)
		}
		ra = strings.NewReader(string(data))
	}
	frags, err := ReadFragments(ra, fi.Size(), tracks)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return frags, nil
}

// ticks converts t units of a timescale to seconds.
func ticks(t int64, timescale uint32) float64 { return float64(t) / float64(timescale) }

// targetDuration returns the EXT-X-TARGETDURATION for segments of the
// given durations: the longest, rounded to the nearest integer as RFC 8216
// compares them, at least 1.
func targetDuration(durations []float64) int {
	t := 1
	for _, d := range durations {
		t = max(t, int(math.Round(d)))
	}
	return t
}

// WriteIFramePlaylist writes the I-frame playlist of idx: a VOD playlist
// with EXT-X-I-FRAMES-ONLY whose segments are byte ranges of the media
// segments, relative to the same folder as the media playlist.
func WriteIFramePlaylist(w io.Writer, idx *IFrameIndex) error {
	if idx == nil || len(idx.IFrames) == 0 {
		return errors.New("hls: I-frame playlist without I-frames")
	}
	if badURI(idx.Map) {
		return fmt.Errorf("hls: bad map URI %q", idx.Map)
	}
	durations := make([]float64, len(idx.IFrames))
	for i, f := range idx.IFrames {
		if badURI(f.URI) || f.Length <= 0 || f.Offset < 0 || !(f.Duration >= 0) || math.IsInf(f.Duration, 0) {
			return fmt.Errorf("hls: bad I-frame %+v", f)
		}
		durations[i] = f.Duration
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n", targetDuration(durations))
	fmt.Fprintf(bw, "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-I-FRAMES-ONLY\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"%s\"\n", idx.Map)
	for _, f := range idx.IFrames {
		fmt.Fprintf(bw, "#EXTINF:%s,\n#EXT-X-BYTERANGE:%d@%d\n%s\n",
			strconv.FormatFloat(f.Duration, 'f', 6, 64), f.Length, f.Offset, f.URI)
	}
	bw.WriteString("#EXT-X-ENDLIST\n")
	return bw.Flush()
}

// badURI reports whether uri would break a playlist line.
func badURI(uri string) bool {
	return uri == "" || strings.ContainsAny(uri, "\"\r\n") || strings.HasPrefix(uri, "#")
}
