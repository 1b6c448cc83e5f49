// Package hls reads the media playlists ffmpeg writes and writes the master
// playlist that ties them together, from what is measured on disk rather
// than what the encoder was asked for, as Apple's HLS authoring
// specification asks: BANDWIDTH is the measured peak segment bit rate,
// AVERAGE-BANDWIDTH the measured mean, CODECS read from each rendition's
// initialization segment.
//
// For each video rendition it also writes an I-frame playlist (IFrames,
// WriteIFramePlaylist): byte ranges of the segments, found by reading the
// moof boxes of the fMP4 segments (ReadFragments), for scrubbing.
//
// The layout it expects, relative to the master playlist:
//
//	master.m3u8
//	360p/index.m3u8    media playlist: EXT-X-MAP and relative segment URIs
//	360p/iframes.m3u8  I-frame playlist: byte ranges of the same segments
//	360p/init.mp4      fMP4 initialization segment (moov)
//	360p/seg_00000.m4s ...
//
// It only parses and formats; it never runs a program or touches the
// network.
package hls

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MediaPlaylist is the part of a media playlist reel reads.
type MediaPlaylist struct {
	Version        int    // EXT-X-VERSION; 0 if absent
	TargetDuration int    // EXT-X-TARGETDURATION, seconds
	PlaylistType   string // EXT-X-PLAYLIST-TYPE: "VOD", "EVENT" or ""
	MediaSequence  int64  // EXT-X-MEDIA-SEQUENCE: the first segment's number; 0 if absent
	Map            string // EXT-X-MAP URI: the initialization segment; "" if none
	Segments       []Segment
	EndList        bool // EXT-X-ENDLIST: no segment will be added
}

// Segment is one media segment of a media playlist.
type Segment struct {
	URI      string  // as written, relative to the playlist
	Duration float64 // EXTINF, seconds
	Length   int64   // EXT-X-BYTERANGE length in bytes; 0 for the whole resource
	Offset   int64   // EXT-X-BYTERANGE offset; meaningful only when Length > 0
}

// Duration returns the sum of the segments' durations.
func (p *MediaPlaylist) Duration() float64 {
	var d float64
	for _, s := range p.Segments {
		d += s.Duration
	}
	return d
}

// ErrNotPlaylist is returned for input that does not start with #EXTM3U.
var ErrNotPlaylist = errors.New("hls: not a playlist: missing #EXTM3U")

// ParseMedia parses a media playlist. It accepts LF or CRLF line endings,
// skips comments and tags it does not know, and refuses what it cannot
// measure correctly: a URI line without EXTINF, more than one EXT-X-MAP, a
// negative or non-finite duration.
func ParseMedia(data []byte) (*MediaPlaylist, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM some editors add
	lines := strings.Split(string(data), "\n")
	p := &MediaPlaylist{}
	seenHeader := false
	var pending *Segment // EXTINF read, URI not yet
	for n, line := range lines {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" {
			continue
		}
		if !seenHeader {
			if line != "#EXTM3U" {
				return nil, ErrNotPlaylist
			}
			seenHeader = true
			continue
		}
		if err := p.parseLine(line, &pending); err != nil {
			return nil, fmt.Errorf("hls: line %d: %w", n+1, err)
		}
	}
	if !seenHeader {
		return nil, ErrNotPlaylist
	}
	if pending != nil {
		return nil, errors.New("hls: EXTINF without a segment URI at the end")
	}
	return p, nil
}

// parseLine handles one non-empty line after #EXTM3U. pending holds the
// segment whose tags were read and whose URI line has not come yet.
func (p *MediaPlaylist) parseLine(line string, pending **Segment) error {
	if !strings.HasPrefix(line, "#") {
		// A URI line ends the segment its tags described.
		if *pending == nil {
			return fmt.Errorf("segment URI %q without EXTINF", line)
		}
		(*pending).URI = line
		p.Segments = append(p.Segments, **pending)
		*pending = nil
		return nil
	}
	tag, value, _ := strings.Cut(line, ":")
	switch tag {
	case "#EXT-X-VERSION":
		v, err := strconv.Atoi(value)
		if err != nil || v < 1 {
			return fmt.Errorf("bad EXT-X-VERSION %q", value)
		}
		p.Version = v
	case "#EXT-X-TARGETDURATION":
		v, err := strconv.Atoi(value)
		if err != nil || v < 0 {
			return fmt.Errorf("bad EXT-X-TARGETDURATION %q", value)
		}
		p.TargetDuration = v
	case "#EXT-X-PLAYLIST-TYPE":
		p.PlaylistType = value
	case "#EXT-X-MEDIA-SEQUENCE":
		v, err := strconv.ParseInt(value, 10, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("bad EXT-X-MEDIA-SEQUENCE %q", value)
		}
		p.MediaSequence = v
	case "#EXT-X-ENDLIST":
		p.EndList = true
	case "#EXT-X-MAP":
		attrs, err := ParseAttributes(value)
		if err != nil {
			return fmt.Errorf("EXT-X-MAP: %w", err)
		}
		uri := attrs["URI"]
		if uri == "" {
			return errors.New("EXT-X-MAP without URI")
		} else if p.Map != "" && p.Map != uri {
			return errors.New("more than one EXT-X-MAP")
		}
		p.Map = uri
	case "#EXTINF":
		if *pending == nil {
			*pending = &Segment{}
		}
		ds, _, _ := strings.Cut(value, ",")
		d, err := strconv.ParseFloat(strings.TrimSpace(ds), 64)
		if err != nil || d < 0 || math.IsInf(d, 0) || math.IsNaN(d) {
			return fmt.Errorf("bad EXTINF duration %q", ds)
		}
		(*pending).Duration = d
	case "#EXT-X-BYTERANGE":
		if *pending == nil {
			*pending = &Segment{}
		}
		length, offset, err := parseByteRange(value)
		if err != nil {
			return err
		}
		(*pending).Length, (*pending).Offset = length, offset
	}
	return nil
}

// parseByteRange parses "length[@offset]".
func parseByteRange(s string) (length, offset int64, err error) {
	ls, offs, hasOffset := strings.Cut(s, "@")
	length, err = strconv.ParseInt(ls, 10, 64)
	if err == nil && hasOffset {
		offset, err = strconv.ParseInt(offs, 10, 64)
	}
	if err != nil || length <= 0 || offset < 0 {
		return 0, 0, fmt.Errorf("bad EXT-X-BYTERANGE %q", s)
	}
	return length, offset, nil
}

// ParseAttributes parses an attribute list: KEY=VALUE pairs separated by
// commas, where a VALUE is a "quoted string" (commas allowed inside) or
// runs to the next comma.
func ParseAttributes(s string) (map[string]string, error) {
	attrs := map[string]string{}
	for s != "" {
		key, rest, ok := strings.Cut(s, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("attribute without '=' in %q", s)
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted string in %q", s)
			}
			value, rest = rest[1:end+1], rest[end+2:]
			if rest != "" && !strings.HasPrefix(rest, ",") {
				return nil, fmt.Errorf("junk after quoted string in %q", s)
			}
			rest = strings.TrimPrefix(rest, ",")
		} else {
			value, rest, _ = strings.Cut(rest, ",")
		}
		attrs[strings.TrimSpace(key)] = value
		s = rest
	}
	return attrs, nil
}
