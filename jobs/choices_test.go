package jobs

import (
	"context"
	"slices"
	"strings"
	"testing"

	"reel"
)

// TestWorkChoices: a transcode encodes the video's own codecs and
// downloads, or the worker's defaults when it did not choose, and records what it settled on the
// video when it starts (so that a retry, or the pieces and stitch of a
// split video, encode the same on any worker).
func TestWorkChoices(t *testing.T) {
	yes, no := true, false
	hevc := []string{reel.CodecH264, reel.CodecHEVC}
	cases := []struct {
		name          string
		codecs        []string // the video's
		downloads     *bool
		defCodecs     []string // the worker's
		defDownloads  bool
		wantCodecs    string
		wantDownloads bool
	}{
		{"defaults", nil, nil, nil, false, "h264", false},
		{"worker defaults", nil, nil, hevc, true, "h264,hevc", true},
		{"own choice", hevc, &yes, nil, false, "h264,hevc", true},
		{"own choice over the worker's", []string{reel.CodecH264}, &no, hevc, true, "h264", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got reel.TranscodeRequest
			var recorded *reel.Video
			var f *fixture
			f = newFixture(t, func(ctx context.Context, req reel.TranscodeRequest) (*reel.TranscodeResult, error) {
				got = req
				recorded = f.get(t) // as stored while encoding
				writeLadder(req.OutputDir)
				return &reel.TranscodeResult{Duration: 1, Width: 640, Height: 360,
					Renditions: []reel.Rendition{{Name: "360p", Width: 640, Height: 360, Bandwidth: 1000}}}, nil
			})
			f.w.Codecs, f.w.Downloads = c.defCodecs, c.defDownloads
			if _, err := f.videos.UpdateVideo(context.Background(), f.video.ID, reel.VideoUpdate{
				Codecs: c.codecs, Downloads: c.downloads}); err != nil {
				t.Fatal(err)
			}
			if err := f.work(1); err != nil {
				t.Fatal(err)
			}
			if s := strings.Join(got.Codecs, ","); s != c.wantCodecs || got.Downloads != c.wantDownloads {
				t.Errorf("transcoder asked for codecs %q, downloads %v; want %q, %v", s, got.Downloads, c.wantCodecs, c.wantDownloads)
			}
			for name, v := range map[string]*reel.Video{"while encoding": recorded, "ready": f.get(t)} {
				if s := strings.Join(v.Codecs, ","); s != c.wantCodecs || v.Downloads == nil || *v.Downloads != c.wantDownloads {
					t.Errorf("%s: video records codecs %q, downloads %v; want %q, %v", name, s, ptrString(v.Downloads), c.wantCodecs, c.wantDownloads)
				}
			}
			// The worker's defaults do not leak into its list.
			if c.defCodecs != nil && !slices.Equal(f.w.Codecs, c.defCodecs) {
				t.Errorf("worker's codecs changed to %v", f.w.Codecs)
			}
		})
	}
}

// TestChooseEncrypted: an encrypted video gets no downloads, whether it
// asked for them or the worker makes them for every video: they would be
// a clear copy of it.
func TestChooseEncrypted(t *testing.T) {
	yes := true
	w := &TranscodeWorker{Downloads: true}
	for _, asked := range []*bool{nil, &yes} {
		v := &reel.Video{Downloads: asked}
		w.choose(v, true)
		if v.Downloads == nil || *v.Downloads || strings.Join(v.Codecs, ",") != "h264" {
			t.Errorf("asked %s: codecs %v, downloads %s; want h264, false", ptrString(asked), v.Codecs, ptrString(v.Downloads))
		}
	}
	for _, asked := range []*bool{nil, &yes} {
		if w.downloadsOf(&reel.Video{Downloads: asked, Encrypted: true}) {
			t.Errorf("downloadsOf an encrypted video that asked %s: true, want false", ptrString(asked))
		}
	}
	// A video split before its choice was recorded: the worker's default.
	if !w.downloadsOf(&reel.Video{}) || !(&TranscodeWorker{}).downloadsOf(&reel.Video{Downloads: &yes}) {
		t.Error("downloadsOf: the video's choice, else the worker's default")
	}
}

func ptrString(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}
