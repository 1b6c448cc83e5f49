package hls

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Track is what an fMP4 initialization segment says about one track: what
// the fragments of a media segment need to be read.
type Track struct {
	ID        uint32
	Handler   string // hdlr handler type: "vide" for video, "soun" for audio
	Timescale uint32 // mdhd: units of the track's times per second

	// Defaults from mvex/trex, used when a fragment's tfhd and trun leave
	// a field out.
	DefaultSampleDuration uint32
	DefaultSampleSize     uint32
	DefaultSampleFlags    uint32

	// The track's edit list (edts/elst) as Chromium's MSE reads it, only
	// its first entry: EmptyEdit when that is an empty edit (a pause
	// before the media, which Chromium ignores), else MediaTime, the media
	// time in Timescale units that the presentation starts at (an
	// encoder's delay cut from the front; 0 without an edit list).
	EmptyEdit bool
	MediaTime int64
}

// ParseInit returns the tracks of an fMP4 initialization segment, in the
// order of their trak boxes.
func ParseInit(init []byte) ([]Track, error) {
	moov, ok := findBox(init, "moov")
	if !ok {
		return nil, errors.New("hls: init segment has no moov box")
	}
	var tracks []Track
	for _, trak := range boxes(moov) {
		if trak.typ != "trak" {
			continue
		}
		var t Track
		tkhd, ok := findBox(trak.body, "tkhd")
		if !ok || len(tkhd) < 4 {
			return nil, errors.New("hls: track without tkhd box")
		}
		// tkhd: version, flags, then two times of 4 or 8 bytes before the ID.
		idAt := 12
		if tkhd[0] == 1 {
			idAt = 20
		}
		if len(tkhd) < idAt+4 {
			return nil, errors.New("hls: short tkhd box")
		}
		t.ID = binary.BigEndian.Uint32(tkhd[idAt:])

		mdia, ok := findBox(trak.body, "mdia")
		if !ok {
			return nil, fmt.Errorf("hls: track %d without mdia box", t.ID)
		}
		// hdlr: version, flags, pre_defined, then the handler type.
		if hdlr, ok := findBox(mdia, "hdlr"); ok && len(hdlr) >= 12 {
			t.Handler = string(hdlr[8:12])
		}
		mdhd, ok := findBox(mdia, "mdhd")
		scaleAt := 12 // version 0: creation and modification times of 4 bytes
		if ok && len(mdhd) > 0 && mdhd[0] == 1 {
			scaleAt = 20
		}
		if !ok || len(mdhd) < scaleAt+4 {
			return nil, fmt.Errorf("hls: track %d without a valid mdhd box", t.ID)
		}
		t.Timescale = binary.BigEndian.Uint32(mdhd[scaleAt:])
		if elst, ok := findPath(trak.body, "edts", "elst"); ok {
			if err := parseEditList(elst, &t); err != nil {
				return nil, fmt.Errorf("hls: track %d: %w", t.ID, err)
			}
		}
		tracks = append(tracks, t)
	}
	if len(tracks) == 0 {
		return nil, errors.New("hls: init segment has no track")
	}
	// trex: version, flags, track_ID, default_sample_description_index,
	// then the default duration, size and flags.
	if mvex, ok := findBox(moov, "mvex"); ok {
		for _, x := range boxes(mvex) {
			if x.typ != "trex" || len(x.body) < 24 {
				continue
			}
			id := binary.BigEndian.Uint32(x.body[4:])
			for i := range tracks {
				if tracks[i].ID == id {
					tracks[i].DefaultSampleDuration = binary.BigEndian.Uint32(x.body[12:])
					tracks[i].DefaultSampleSize = binary.BigEndian.Uint32(x.body[16:])
					tracks[i].DefaultSampleFlags = binary.BigEndian.Uint32(x.body[20:])
				}
			}
		}
	}
	return tracks, nil
}

// parseEditList reads the first entry of the body of an elst box into
// t's EmptyEdit or MediaTime.
func parseEditList(elst []byte, t *Track) error {
	if len(elst) < 8 {
		return errors.New("short elst box")
	}
	if binary.BigEndian.Uint32(elst[4:]) == 0 {
		return nil // no entry
	}
	// version, flags, entry_count, then per entry segment_duration and
	// media_time (4 bytes each in version 0, 8 in version 1) and the rate.
	var mediaTime int64
	switch {
	case elst[0] == 1 && len(elst) >= 28:
		mediaTime = int64(binary.BigEndian.Uint64(elst[16:]))
	case elst[0] == 0 && len(elst) >= 20:
		mediaTime = int64(int32(binary.BigEndian.Uint32(elst[12:])))
	default:
		return errors.New("short elst box")
	}
	if mediaTime == -1 {
		t.EmptyEdit = true
	} else {
		t.MediaTime = mediaTime
	}
	return nil
}

// PresentationStart returns the time, in the track's timescale, at which
// a player applying the first entry of the track's edit list and no empty
// edit (as Chromium's MSE does) presents the first sample of frag, the
// first fragment of a rendition of track: its decode time (tfdt), plus
// the least composition offset of its samples, less the edit's
// MediaTime. reel's renditions of every codec and their audio start on
// one timeline, where the first video fragment's decode time, which
// hls.js takes as its initPTS, is also its first frame's presentation
// time.
func PresentationStart(track Track, frag Fragment) (int64, error) {
	for _, run := range frag.Runs {
		if run.TrackID != track.ID || len(run.Samples) == 0 {
			continue
		}
		first, at := int64(math.MaxInt64), int64(run.BaseDecodeTime)
		for _, s := range run.Samples {
			first = min(first, at+int64(s.CompositionOffset))
			at += int64(s.Duration)
		}
		return first - track.MediaTime, nil
	}
	return 0, fmt.Errorf("hls: no samples of track %d in the fragment", track.ID)
}

// MPEGTS returns when the rendition whose init segment is init and whose
// first media segment, of size bytes, is seg presents its first sample
// (PresentationStart of its first track in its first fragment), in the
// 90 kHz units of the X-TIMESTAMP-MAP of subtitles timed from it (RFC
// 8216 section 3.5). It is never negative.
func MPEGTS(init []byte, seg io.ReaderAt, size int64) (int64, error) {
	tracks, err := ParseInit(init)
	if err != nil {
		return 0, err
	}
	frags, err := ReadFragments(seg, size, tracks)
	if err != nil {
		return 0, err
	}
	if len(frags) == 0 {
		return 0, errors.New("hls: the media segment holds no fragment")
	}
	t := tracks[0]
	if t.Timescale == 0 {
		return 0, fmt.Errorf("hls: track %d has timescale 0", t.ID)
	}
	start, err := PresentationStart(t, frags[0])
	if err != nil {
		return 0, err
	}
	ts := int64(t.Timescale)
	return (max(start, 0)*90000 + ts/2) / ts, nil
}

// Fragment is one movie fragment of a media segment: a moof box and the
// samples it describes, whose data lies in the mdat that follows.
type Fragment struct {
	Offset int64 // byte offset of the moof box in the segment
	Runs   []Run // one per traf, in order
}

// Run is the samples of one track in a fragment.
type Run struct {
	TrackID        uint32
	BaseDecodeTime uint64 // tfdt: decode time of the first sample, in the track's timescale
	Samples        []Sample
}

// Sample is one sample (a video frame, a few audio frames) of a fragment.
type Sample struct {
	Offset            int64  // byte offset of the sample's data in the segment
	Size              uint32 // bytes
	Duration          uint32 // in the track's timescale
	Flags             uint32 // ISO/IEC 14496-12 sample flags
	CompositionOffset int32  // presentation time minus decode time
}

// Sync reports whether the sample can be decoded on its own: an IDR frame
// for H.264. The sample_is_non_sync_sample bit of its flags is clear.
func (s Sample) Sync() bool { return s.Flags&0x00010000 == 0 }

// maxFragmentBox bounds the moof boxes ReadFragments loads: a moof holds a
// few bytes per sample, so even an hour-long fragment stays far below.
const maxFragmentBox = 64 << 20

// ReadFragments returns the fragments of the fMP4 media segment r of size
// bytes, described with the tracks of its initialization segment. It
// reads box headers and the moof boxes only, never the media data, and
// checks that every sample lies within the segment.
func ReadFragments(r io.ReaderAt, size int64, tracks []Track) ([]Fragment, error) {
	var frags []Fragment
	var head [16]byte
	for off := int64(0); off < size; {
		if size-off < 8 {
			return nil, fmt.Errorf("hls: %d stray bytes at the end of the segment", size-off)
		}
		if _, err := r.ReadAt(head[:8], off); err != nil {
			return nil, fmt.Errorf("hls: read box header: %w", err)
		}
		boxSize, header := int64(binary.BigEndian.Uint32(head[:])), int64(8)
		typ := string(head[4:8])
		switch boxSize {
		case 0: // runs to the end
			boxSize = size - off
		case 1: // 64-bit size after the type
			if size-off < 16 {
				return nil, errors.New("hls: truncated box header")
			}
			if _, err := r.ReadAt(head[8:16], off+8); err != nil {
				return nil, fmt.Errorf("hls: read box header: %w", err)
			}
			large := binary.BigEndian.Uint64(head[8:16])
			if large > uint64(size) {
				return nil, fmt.Errorf("hls: %s box of %d bytes in a segment of %d", typ, large, size)
			}
			boxSize, header = int64(large), 16
		}
		if boxSize < header || boxSize > size-off {
			return nil, fmt.Errorf("hls: %s box at %d has a bad size %d", typ, off, boxSize)
		}
		if typ == "moof" {
			if boxSize > maxFragmentBox {
				return nil, fmt.Errorf("hls: moof box of %d bytes", boxSize)
			}
			moof := make([]byte, boxSize-header)
			if _, err := r.ReadAt(moof, off+header); err != nil {
				return nil, fmt.Errorf("hls: read moof: %w", err)
			}
			f, err := parseMoof(moof, off, tracks)
			if err != nil {
				return nil, err
			}
			for _, run := range f.Runs {
				for _, s := range run.Samples {
					if s.Offset < 0 || s.Offset+int64(s.Size) > size {
						return nil, fmt.Errorf("hls: track %d sample at %d+%d lies outside the segment", run.TrackID, s.Offset, s.Size)
					}
				}
			}
			frags = append(frags, f)
		}
		off += boxSize
	}
	return frags, nil
}

// tfhd flags (ISO/IEC 14496-12, 8.8.7).
const (
	tfhdBaseDataOffset       = 0x000001
	tfhdSampleDescription    = 0x000002
	tfhdDefaultDuration      = 0x000008
	tfhdDefaultSize          = 0x000010
	tfhdDefaultFlags         = 0x000020
	tfhdDefaultBaseIsMoof    = 0x020000
	trunDataOffset           = 0x000001
	trunFirstSampleFlags     = 0x000004
	trunSampleDuration       = 0x000100
	trunSampleSize           = 0x000200
	trunSampleFlags          = 0x000400
	trunSampleCompositionOff = 0x000800
)

// parseMoof parses the body of a moof box found at offset moofAt.
func parseMoof(moof []byte, moofAt int64, tracks []Track) (Fragment, error) {
	f := Fragment{Offset: moofAt}
	// Without a base offset or default-base-is-moof, a traf's data follows
	// the previous traf's data; the first starts at the moof.
	prevEnd := moofAt
	for _, traf := range boxes(moof) {
		if traf.typ != "traf" {
			continue
		}
		tfhd, ok := findBox(traf.body, "tfhd")
		if !ok || len(tfhd) < 8 {
			return f, errors.New("hls: traf without a valid tfhd box")
		}
		flags := binary.BigEndian.Uint32(tfhd) & 0xffffff
		run := Run{TrackID: binary.BigEndian.Uint32(tfhd[4:])}
		var track Track
		for _, t := range tracks {
			if t.ID == run.TrackID {
				track = t
			}
		}
		if track.ID == 0 {
			return f, fmt.Errorf("hls: fragment of track %d, which the init segment lacks", run.TrackID)
		}
		// The optional fields, in order.
		rest := tfhd[8:]
		field := func(present bool, n int) (uint64, error) {
			if !present {
				return 0, nil
			}
			if len(rest) < n {
				return 0, errors.New("hls: short tfhd box")
			}
			var v uint64
			if n == 8 {
				v = binary.BigEndian.Uint64(rest)
			} else {
				v = uint64(binary.BigEndian.Uint32(rest))
			}
			rest = rest[n:]
			return v, nil
		}
		base, err1 := field(flags&tfhdBaseDataOffset != 0, 8)
		_, err2 := field(flags&tfhdSampleDescription != 0, 4)
		duration, err3 := field(flags&tfhdDefaultDuration != 0, 4)
		size, err4 := field(flags&tfhdDefaultSize != 0, 4)
		sampleFlags, err5 := field(flags&tfhdDefaultFlags != 0, 4)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			return f, err
		}
		if flags&tfhdDefaultDuration == 0 {
			duration = uint64(track.DefaultSampleDuration)
		}
		if flags&tfhdDefaultSize == 0 {
			size = uint64(track.DefaultSampleSize)
		}
		if flags&tfhdDefaultFlags == 0 {
			sampleFlags = uint64(track.DefaultSampleFlags)
		}
		defaults := Sample{Size: uint32(size), Duration: uint32(duration), Flags: uint32(sampleFlags)}

		baseOffset := prevEnd
		switch {
		case flags&tfhdBaseDataOffset != 0:
			if base > 1<<62 {
				return f, fmt.Errorf("hls: base data offset %d", base)
			}
			baseOffset = int64(base)
		case flags&tfhdDefaultBaseIsMoof != 0:
			baseOffset = moofAt
		}

		if tfdt, ok := findBox(traf.body, "tfdt"); ok {
			switch {
			case len(tfdt) >= 12 && tfdt[0] == 1:
				run.BaseDecodeTime = binary.BigEndian.Uint64(tfdt[4:])
			case len(tfdt) >= 8 && tfdt[0] == 0:
				run.BaseDecodeTime = uint64(binary.BigEndian.Uint32(tfdt[4:]))
			default:
				return f, errors.New("hls: bad tfdt box")
			}
		}

		// Each trun continues where the previous one's data ended, unless
		// it gives its own data offset.
		next := baseOffset
		for _, x := range boxes(traf.body) {
			if x.typ != "trun" {
				continue
			}
			var err error
			if next, err = parseTrun(x.body, baseOffset, next, defaults, &run); err != nil {
				return f, fmt.Errorf("hls: track %d: %w", run.TrackID, err)
			}
		}
		prevEnd = next
		f.Runs = append(f.Runs, run)
	}
	return f, nil
}

// parseTrun appends the samples of one trun box to run. base is the
// traf's base data offset, next where the previous run's data ended;
// it returns where this run's data ends.
func parseTrun(b []byte, base, next int64, defaults Sample, run *Run) (int64, error) {
	if len(b) < 8 {
		return 0, errors.New("short trun box")
	}
	version, flags := b[0], binary.BigEndian.Uint32(b)&0xffffff
	count := binary.BigEndian.Uint32(b[4:])
	b = b[8:]
	offset := next
	if flags&trunDataOffset != 0 {
		if len(b) < 4 {
			return 0, errors.New("short trun box")
		}
		offset = base + int64(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
	}
	firstFlags, hasFirst := uint32(0), flags&trunFirstSampleFlags != 0
	if hasFirst {
		if len(b) < 4 {
			return 0, errors.New("short trun box")
		}
		firstFlags = binary.BigEndian.Uint32(b)
		b = b[4:]
	}
	per := 0 // bytes per sample entry
	for _, bit := range []uint32{trunSampleDuration, trunSampleSize, trunSampleFlags, trunSampleCompositionOff} {
		if flags&bit != 0 {
			per += 4
		}
	}
	// The count must fit the box: a corrupt count never allocates much.
	if per > 0 && uint64(count)*uint64(per) > uint64(len(b)) {
		return 0, fmt.Errorf("trun of %d samples in %d bytes", count, len(b))
	} else if per == 0 && count > 1<<20 {
		return 0, fmt.Errorf("trun of %d samples", count)
	}
	for i := range count {
		s := defaults
		s.Offset = offset
		if flags&trunSampleDuration != 0 {
			s.Duration, b = binary.BigEndian.Uint32(b), b[4:]
		}
		if flags&trunSampleSize != 0 {
			s.Size, b = binary.BigEndian.Uint32(b), b[4:]
		}
		if flags&trunSampleFlags != 0 {
			s.Flags, b = binary.BigEndian.Uint32(b), b[4:]
		} else if i == 0 && hasFirst {
			s.Flags = firstFlags
		}
		if flags&trunSampleCompositionOff != 0 {
			v := binary.BigEndian.Uint32(b)
			b = b[4:]
			// Version 0 stores it unsigned; only version 1 may be negative.
			if version == 0 && v > 1<<31-1 {
				v = 1<<31 - 1
			}
			s.CompositionOffset = int32(v)
		}
		offset += int64(s.Size)
		run.Samples = append(run.Samples, s)
	}
	return offset, nil
}
