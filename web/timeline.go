package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"reel"
	"reel/hls"
)

// Limits of what captionMPEGTS reads of a video's outputs: a media
// playlist, an init segment, and the first media segment of the master's
// first variant (6 s of the lowest rung, well under this).
const (
	maxPlaylistRead = 4 << 20
	maxSegmentRead  = 256 << 20
)

// captionMPEGTS returns the X-TIMESTAMP-MAP MPEGTS of a caption of the
// video id, as the source's subtitles have it: when the master's first
// variant presents its first frame (hls.MPEGTS), the video's time 0 a few
// frames in (x264's B-frame delay), read from its outputs. A caption
// mapped to 0 instead showed each cue that much before its frame.
func (s *Server) captionMPEGTS(ctx context.Context, id string) (int64, error) {
	prefix := reel.OutputPrefix(id)
	master, err := s.readMaster(ctx, id)
	if err != nil {
		return 0, err
	}
	uri := firstVariant(master)
	if uri == "" || !validFile(uri) || strings.Contains(uri, "..") {
		return 0, fmt.Errorf("master playlist of %s: no variant of its own (%q)", id, uri)
	}
	data, err := s.readOutput(ctx, prefix+uri, maxPlaylistRead)
	if err != nil {
		return 0, err
	}
	pl, err := hls.ParseMedia(data)
	if err != nil {
		return 0, err
	}
	if len(pl.Segments) == 0 || pl.Map == "" {
		return 0, fmt.Errorf("%s: %w", uri, hls.ErrNoSegments)
	}
	dir := path.Dir(uri)
	init, err := s.readOutput(ctx, prefix+path.Join(dir, pl.Map), maxPlaylistRead)
	if err != nil {
		return 0, err
	}
	seg, err := s.readOutput(ctx, prefix+path.Join(dir, pl.Segments[0].URI), maxSegmentRead)
	if err != nil {
		return 0, err
	}
	if bytes.Contains(data, []byte("#EXT-X-KEY:")) {
		// Encrypted whole (AES-128, the sequence number as IV); the init
		// segment is in the clear.
		key, err := s.readOutput(ctx, prefix+reel.ContentKey, hls.KeySize)
		if err != nil {
			return 0, err
		}
		if seg, err = hls.DecryptSegment(key, pl.MediaSequence, seg); err != nil {
			return 0, err
		}
	}
	return hls.MPEGTS(init, bytes.NewReader(seg), int64(len(seg)))
}

// firstVariant returns the URI of the first variant of a master playlist,
// or "".
func firstVariant(master []byte) string {
	variant := false
	for _, line := range strings.Split(string(master), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "#EXT-X-STREAM-INF:"):
			variant = true
		case variant && line != "" && !strings.HasPrefix(line, "#"):
			return line
		}
	}
	return ""
}

// readOutput reads the outputs' object key, of at most limit bytes.
func (s *Server) readOutput(ctx context.Context, key string, limit int64) ([]byte, error) {
	b, err := s.Outputs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if b.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d read", key, b.Size(), limit)
	}
	return io.ReadAll(io.LimitReader(b, limit))
}
