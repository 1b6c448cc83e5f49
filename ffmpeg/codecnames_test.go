package ffmpeg

import (
	"testing"

	"reel"
)

// TestCodecNames: every codec a video may ask for (reel.VideoCodecs) has
// its encoder here, in the same order, so a choice the API accepts is one
// ffmpeg can make.
func TestCodecNames(t *testing.T) {
	names := reel.VideoCodecs()
	codecs := videoCodecs()
	if len(names) != len(codecs) {
		t.Fatalf("reel names %v, ffmpeg encodes %d codecs", names, len(codecs))
	}
	for i, c := range codecs {
		if c.name != names[i] || c.encoder == "" {
			t.Errorf("codec %d: ffmpeg's %q (%s), reel's %q", i, c.name, c.encoder, names[i])
		}
	}
}
