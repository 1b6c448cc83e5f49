package hls

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"strings"
)

// Measurement is what Measure found out about one rendition.
type Measurement struct {
	Duration         float64 // seconds: the sum of the segments' EXTINF
	Segments         int     // number of media segments
	Bytes            int64   // size of the media segments, init segment excluded
	Bandwidth        int     // peak segment bit rate, bits/s
	AverageBandwidth int     // mean segment bit rate, bits/s
	Codecs           string  // from the init segment, e.g. "avc1.64001f,mp4a.40.2"
}

// ErrNoSegments is returned by Measure for a playlist without segments.
var ErrNoSegments = errors.New("hls: playlist has no segments")

// maxInitSize bounds the init segment read into memory: a moov of a
// fragmented file is a few KiB.
const maxInitSize = 16 << 20

// Measure reads the media playlist name in fsys, the sizes of its media
// segments and its initialization segment (EXT-X-MAP), all of which must
// be files in fsys named by relative URIs. Bit rates follow RFC 8216: the
// segment bit rate is a media segment's size over its EXTINF duration; the
// init segment is not a media segment (a player fetches it once per
// switch), so it counts in neither BANDWIDTH nor AVERAGE-BANDWIDTH.
func Measure(fsys fs.FS, name string) (*Measurement, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("hls: read %s: %w", name, err)
	}
	pl, err := ParseMedia(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(pl.Segments) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoSegments)
	}
	dir := path.Dir(name)

	m := &Measurement{Segments: len(pl.Segments)}
	durations := make([]float64, len(pl.Segments))
	sizes := make([]int64, len(pl.Segments))
	for i, s := range pl.Segments {
		size := s.Length
		if size == 0 {
			p, err := resolve(dir, s.URI)
			if err != nil {
				return nil, err
			}
			fi, err := fs.Stat(fsys, p)
			if err != nil {
				return nil, fmt.Errorf("hls: segment of %s: %w", name, err)
			}
			size = fi.Size()
		}
		durations[i], sizes[i] = s.Duration, size
		m.Duration += s.Duration
		m.Bytes += size
	}
	m.Bandwidth = PeakBitRate(durations, sizes, float64(pl.TargetDuration))
	if m.Duration > 0 {
		m.AverageBandwidth = int(math.Ceil(float64(m.Bytes) * 8 / m.Duration))
	}

	p, init, err := readInit(fsys, name, pl)
	if err != nil {
		return nil, err
	}
	if m.Codecs, err = Codecs(init); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}

// resolve returns the path in the file system of uri, relative to dir.
// Only plain relative paths below dir are accepted: the playlists reel
// publishes must work under any prefix, so no scheme, no absolute path,
// no "..".
func resolve(dir, uri string) (string, error) {
	if !fs.ValidPath(uri) || strings.ContainsAny(uri, ":?#\\") {
		return "", fmt.Errorf("hls: URI %q is not a relative path", uri)
	}
	return path.Join(dir, uri), nil
}

// PeakBitRate returns the peak segment bit rate in bits/s as RFC 8216
// defines it: the largest bit rate of any contiguous set of segments whose
// total duration is between 0.5 and 1.5 times the target duration. A lone
// segment longer than that window counts too (it is a set on its own), and
// if no set fits the window at all (a clip shorter than half a target
// duration) the rate of the whole is returned. Only the first
// min(len(durations), len(sizes)) segments count.
func PeakBitRate(durations []float64, sizes []int64, targetDuration float64) int {
	n := min(len(durations), len(sizes))
	lo, hi := 0.5*targetDuration, 1.5*targetDuration
	var peak, allBits, allDur float64
	for i := range n {
		allBits += float64(sizes[i]) * 8
		allDur += durations[i]
		var bits, dur float64
		for j := i; j < n; j++ {
			bits += float64(sizes[j]) * 8
			dur += durations[j]
			if dur > hi {
				if j == i {
					peak = max(peak, bits/dur) // a lone long segment
				}
				break
			}
			if dur >= lo && dur > 0 {
				peak = max(peak, bits/dur)
			}
		}
	}
	if peak == 0 && allDur > 0 {
		peak = allBits / allDur
	}
	if math.IsInf(peak, 0) || math.IsNaN(peak) || peak >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int(math.Ceil(peak))
}

// readInit reads the init segment of the fMP4 media playlist pl, found at
// name in fsys, and returns its path and bytes.
func readInit(fsys fs.FS, name string, pl *MediaPlaylist) (string, []byte, error) {
	if pl.Map == "" {
		return "", nil, fmt.Errorf("hls: %s has no EXT-X-MAP: not fMP4", name)
	}
	p, err := resolve(path.Dir(name), pl.Map)
	if err != nil {
		return "", nil, err
	}
	if fi, err := fs.Stat(fsys, p); err != nil {
		return "", nil, fmt.Errorf("hls: init segment of %s: %w", name, err)
	} else if fi.Size() > maxInitSize {
		return "", nil, fmt.Errorf("hls: init segment %s is %d bytes, too large", p, fi.Size())
	}
	init, err := fs.ReadFile(fsys, p)
	if err != nil {
		return "", nil, fmt.Errorf("hls: init segment of %s: %w", name, err)
	}
	return p, init, nil
}
