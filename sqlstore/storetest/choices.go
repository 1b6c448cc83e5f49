package storetest

import (
	"context"
	"slices"
	"testing"

	"reel"
)

// testChoices: a video's own codecs and downloads survive every way a
// video is written (created queued, created uploading with its upload,
// updated), and a video that does not say keeps them unset (nil: the
// server's default) until an update records them.
func testChoices(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), tableEnqueue)
	yes, no := true, false
	check := func(name, id string, codecs []string, downloads *bool) {
		t.Helper()
		v, err := s.Video(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(v.Codecs, codecs) || (v.Codecs == nil) != (codecs == nil) {
			t.Errorf("%s: codecs %#v, want %#v", name, v.Codecs, codecs)
		}
		if (v.Downloads == nil) != (downloads == nil) || v.Downloads != nil && *v.Downloads != *downloads {
			t.Errorf("%s: downloads %v, want %v", name, ptr(v.Downloads), ptr(downloads))
		}
	}

	asked := &reel.Video{ID: reel.NewID(), Title: "asked", Status: reel.StatusQueued,
		Codecs: []string{reel.CodecH264, reel.CodecHEVC}, Downloads: &yes}
	asked.OriginalKey = reel.OriginalKey(asked.ID)
	if err := s.CreateVideo(ctx, asked); err != nil {
		t.Fatal(err)
	}
	check("created with choices", asked.ID, []string{"h264", "hevc"}, &yes)

	plain := &reel.Video{ID: reel.NewID(), Title: "plain", Status: reel.StatusQueued}
	plain.OriginalKey = reel.OriginalKey(plain.ID)
	if err := s.CreateVideo(ctx, plain); err != nil {
		t.Fatal(err)
	}
	check("created without", plain.ID, nil, nil)

	id := reel.NewID()
	up := &reel.Video{ID: id, Title: "tus", Size: 10, OriginalKey: reel.OriginalKey(id),
		Codecs: []string{reel.CodecH264, reel.CodecAV1}, Downloads: &no}
	if err := s.CreateUpload(ctx, &reel.Upload{ID: id, Size: 10}, up); err != nil {
		t.Fatal(err)
	}
	check("created uploading", id, []string{"h264", "av1"}, &no)

	// A worker records what it makes; other updates leave it.
	if _, err := s.UpdateVideo(ctx, plain.ID, reel.VideoUpdate{Codecs: []string{reel.CodecH264}, Downloads: &no}); err != nil {
		t.Fatal(err)
	}
	title := "renamed"
	if _, err := s.UpdateVideo(ctx, plain.ID, reel.VideoUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	check("recorded", plain.ID, []string{"h264"}, &no)
}

func ptr(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}
