package storetest

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"reel"
)

func testVideoLifecycle(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), tableEnqueue)

	v := &reel.Video{ID: reel.NewID(), Title: "first", Filename: "a.mp4", OriginalKey: reel.NewID()}
	if err := s.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	got, err := s.Video(ctx, v.ID)
	if err != nil || got.Status != reel.StatusUploading || got.Title != "first" || got.CreatedAt.IsZero() {
		t.Fatalf("Video = %+v, %v", got, err)
	}

	title := "renamed"
	q, err := s.Enqueue(ctx, v.ID, 1234, &title)
	if err != nil {
		t.Fatal(err)
	}
	if q.Status != reel.StatusQueued || q.Size != 1234 || q.Title != "renamed" || q.JobID == 0 {
		t.Errorf("after Enqueue: %+v", q)
	}
	if _, err := s.Enqueue(ctx, v.ID, 1, nil); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("second Enqueue error = %v, want conflict", err)
	}

	ready, p := reel.StatusReady, 1.0
	r := []reel.Rendition{{Name: "360p", Width: 640, Height: 360, Bandwidth: 900_000}}
	u, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Status: &ready, Progress: &p, Renditions: r})
	if err != nil || u.Status != ready || len(u.Renditions) != 1 || u.Renditions[0] != r[0] {
		t.Errorf("UpdateVideo = %+v, %v", u, err)
	}

	// The poster the transcode made, until the owner chooses another.
	if u.Poster != "" || u.PosterFile() != reel.PosterImage {
		t.Errorf("new video's poster = %q (%s)", u.Poster, u.PosterFile())
	}
	poster := reel.NewPosterFile()
	if u, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Poster: &poster}); err != nil || u.Poster != poster || u.PosterFile() != poster {
		t.Errorf("UpdateVideo poster = %+v, %v", u, err)
	}
	if got, err := s.Video(ctx, v.ID); err != nil || got.Poster != poster {
		t.Errorf("Video after poster change = %+v, %v", got, err)
	}

	if err := s.DeleteVideo(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Video(ctx, v.ID); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("Video after delete: %v", err)
	}
	if err := s.DeleteVideo(ctx, v.ID); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("second delete: %v", err)
	}
	if _, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Progress: &p}); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("update after delete: %v", err)
	}
}

// A failing job insert must leave the video uploading: status and job move
// together or not at all.
func testEnqueueIsAtomic(t *testing.T, b Backend) {
	ctx := context.Background()
	boom := errors.New("queue down")
	s, _ := open(t, b.NewDSN(t), func(ctx context.Context, tx *sql.Tx, id string) (int64, error) { return 0, boom })
	v := &reel.Video{ID: reel.NewID(), OriginalKey: reel.NewID()}
	if err := s.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, v.ID, 10, nil); !errors.Is(err, boom) {
		t.Fatalf("Enqueue error = %v, want %v", err, boom)
	}
	got, err := s.Video(ctx, v.ID)
	if err != nil || got.Status != reel.StatusUploading || got.Size != 0 {
		t.Errorf("after failed Enqueue: %+v, %v", got, err)
	}
	if _, err := s.Enqueue(ctx, "aaaaaaaaaaaaaaaa", 10, nil); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("Enqueue(unknown) = %v, want not found", err)
	}
}

func testVideosPagination(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), nil)
	var ids []string
	for range 7 {
		v := &reel.Video{ID: reel.NewID(), OriginalKey: reel.NewID()}
		if err := s.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		vs, next, err := s.Videos(ctx, reel.VideoFilter{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			seen = append(seen, v.ID)
		}
		if next == "" {
			break
		}
		cursor = next
		if page > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != len(ids) {
		t.Fatalf("saw %d videos, want %d", len(seen), len(ids))
	}
	// Newest first: the reverse of creation order.
	for i, id := range seen {
		if id != ids[len(ids)-1-i] {
			t.Errorf("position %d: %s, want %s", i, id, ids[len(ids)-1-i])
		}
	}
	if _, _, err := s.Videos(ctx, reel.VideoFilter{Cursor: "!!"}); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("bad cursor: %v", err)
	}
}

// A video created queued has its job in the same transaction: if the job
// cannot be inserted, the video is not created either.
func testCreateQueued(t *testing.T, b Backend) {
	ctx := context.Background()
	dsn := b.NewDSN(t)
	s, _ := open(t, dsn, tableEnqueue)
	v := &reel.Video{ID: reel.NewID(), Status: reel.StatusQueued, OriginalKey: reel.NewID(), Size: 5}
	if err := s.CreateVideo(ctx, v); err != nil {
		t.Fatal(err)
	}
	got, err := s.Video(ctx, v.ID)
	if err != nil || got.Status != reel.StatusQueued || got.JobID == 0 || got.JobID != v.JobID {
		t.Errorf("created queued: %+v, %v", got, err)
	}

	boom := errors.New("queue down")
	failing, _ := open(t, dsn, func(context.Context, *sql.Tx, string) (int64, error) { return 0, boom })
	w := &reel.Video{ID: reel.NewID(), Status: reel.StatusQueued, OriginalKey: reel.NewID()}
	if err := failing.CreateVideo(ctx, w); !errors.Is(err, boom) {
		t.Fatalf("CreateVideo error = %v, want %v", err, boom)
	}
	if _, err := failing.Video(ctx, w.ID); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("video exists although its job was not inserted: %v", err)
	}
}

// A processing video whose worker stopped updating it is requeued with a
// new job; one still being updated is left alone.
func testRequeueStalled(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), tableEnqueue)
	processing := reel.StatusProcessing
	stalled := &reel.Video{ID: reel.NewID(), Status: reel.StatusQueued, OriginalKey: reel.NewID()}
	s.CreateVideo(ctx, stalled)
	s.UpdateVideo(ctx, stalled.ID, reel.VideoUpdate{Status: &processing})
	cutoff := time.Now()
	alive := &reel.Video{ID: reel.NewID(), Status: reel.StatusQueued, OriginalKey: reel.NewID()}
	s.CreateVideo(ctx, alive)
	s.UpdateVideo(ctx, alive.ID, reel.VideoUpdate{Status: &processing})

	got, err := s.RequeueStalled(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != stalled.ID || got[0].Status != reel.StatusQueued || got[0].JobID == stalled.JobID {
		t.Fatalf("requeued %+v, want only the stalled video with a new job", got)
	}
	if v, _ := s.Video(ctx, alive.ID); v.Status != reel.StatusProcessing {
		t.Errorf("live video is %s", v.Status)
	}
	if again, _ := s.RequeueStalled(ctx, cutoff); len(again) != 0 {
		t.Errorf("requeued twice: %+v", again)
	}
}

// Two videos cannot share an original.
func testOriginalKeyUnique(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), nil)
	if err := s.CreateVideo(ctx, &reel.Video{ID: reel.NewID(), OriginalKey: "inbox/a.mp4", UploadID: "u1"}); err != nil {
		t.Fatal(err)
	}
	err := s.CreateVideo(ctx, &reel.Video{ID: reel.NewID(), OriginalKey: "inbox/a.mp4"})
	if reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("second video for one original: %v, want conflict", err)
	}
}

func testVisibilityFilter(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), nil)
	create := func(owner string, vis reel.Visibility) *reel.Video {
		v := &reel.Video{ID: reel.NewID(), OriginalKey: reel.NewID(), Owner: owner, Visibility: vis}
		if err := s.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	pub := create("", reel.VisibilityPublic)
	def := create("", "")
	mine := create("alice", reel.VisibilityPrivate)
	create("bob", reel.VisibilityPrivate)
	create("bob", reel.VisibilityUnlisted)

	if got, _ := s.Video(ctx, def.ID); got.Visibility != reel.DefaultVisibility || got.Owner != "" {
		t.Errorf("video created without a visibility = %+v", got)
	}
	ids := func(f reel.VideoFilter) map[string]bool {
		f.Limit = 1 // walk the pages: the filter must hold across cursors
		seen := map[string]bool{}
		for {
			page, next, err := s.Videos(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page {
				seen[v.ID] = true
			}
			if next == "" {
				return seen
			}
			f.Cursor = next
		}
	}
	if got := ids(reel.ListFilter(nil)); len(got) != 1 || !got[pub.ID] {
		t.Errorf("anonymous listing = %v, want only %s", got, pub.ID)
	}
	alice := &reel.Principal{KeyID: "alice", Role: reel.RoleUploader}
	if got := ids(reel.ListFilter(alice)); len(got) != 2 || !got[pub.ID] || !got[mine.ID] {
		t.Errorf("uploader listing = %v, want %s and %s", got, pub.ID, mine.ID)
	}
	if got := ids(reel.ListFilter(&reel.Principal{Role: reel.RoleViewer})); len(got) != 5 {
		t.Errorf("viewer listing has %d videos, want 5", len(got))
	}

	priv := reel.VisibilityPrivate
	if got, err := s.UpdateVideo(ctx, pub.ID, reel.VideoUpdate{Visibility: &priv}); err != nil || got.Visibility != priv {
		t.Errorf("UpdateVideo visibility = %+v, %v", got, err)
	}
	if got := ids(reel.ListFilter(nil)); len(got) != 0 {
		t.Errorf("anonymous listing after making the public video private = %v", got)
	}
}

// testVideosSearch checks the filter's search, status and order: titles
// matched in any case (Unicode too, the same on every database), LIKE's
// wildcards taken literally, across pages in both directions, and a
// cursor refused in the other direction.
func testVideosSearch(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), tableEnqueue)
	titles := []string{"Holiday in Ÿpres", "ÉTÉ à la plage", "holiday 100%", "Work_notes", "Workxnotes", "HOLIDAY again"}
	byTitle := map[string]*reel.Video{}
	for i, title := range titles {
		v := &reel.Video{ID: reel.NewID(), OriginalKey: reel.NewID(), Title: title, Description: "about " + title}
		if i%2 == 1 {
			v.Status = reel.StatusFailed
		}
		if err := s.CreateVideo(ctx, v); err != nil {
			t.Fatal(err)
		}
		byTitle[title] = v
	}
	list := func(f reel.VideoFilter) []string {
		t.Helper()
		f.Limit = 2 // walk the pages: the filter must hold across cursors
		var out []string
		for {
			page, next, err := s.Videos(ctx, f)
			if err != nil {
				t.Fatalf("Videos(%+v): %v", f, err)
			}
			for _, v := range page {
				out = append(out, v.Title)
			}
			if next == "" {
				return out
			}
			f.Cursor = next
		}
	}
	for _, c := range []struct {
		f    reel.VideoFilter
		want []string
	}{
		{reel.VideoFilter{Query: "holiday"}, []string{"HOLIDAY again", "holiday 100%", "Holiday in Ÿpres"}},
		{reel.VideoFilter{Query: "HOLIDAY", Oldest: true}, []string{"Holiday in Ÿpres", "holiday 100%", "HOLIDAY again"}},
		{reel.VideoFilter{Query: "été"}, []string{"ÉTÉ à la plage"}},
		{reel.VideoFilter{Query: "ÿpres"}, []string{"Holiday in Ÿpres"}},
		{reel.VideoFilter{Query: "100%"}, []string{"holiday 100%"}},
		{reel.VideoFilter{Query: "%"}, []string{"holiday 100%"}},
		{reel.VideoFilter{Query: "k_n"}, []string{"Work_notes"}},
		{reel.VideoFilter{Query: `\`}, nil},
		{reel.VideoFilter{Query: "about"}, nil}, // titles only, not descriptions
		{reel.VideoFilter{Status: reel.StatusFailed}, []string{"HOLIDAY again", "Work_notes", "ÉTÉ à la plage"}},
		{reel.VideoFilter{Status: reel.StatusFailed, Query: "holiday"}, []string{"HOLIDAY again"}},
		{reel.VideoFilter{Status: reel.StatusReady}, nil},
		{reel.VideoFilter{Oldest: true}, titles},
	} {
		if got := list(c.f); !slices.Equal(got, c.want) {
			t.Errorf("Videos(%+v) = %q, want %q", c.f, got, c.want)
		}
	}

	// A renamed video is found by its new title only; so is one queued
	// with a title.
	title := "Renamed Ÿ"
	v := byTitle["Workxnotes"]
	if _, err := s.UpdateVideo(ctx, v.ID, reel.VideoUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if got := list(reel.VideoFilter{Query: "renamed ÿ"}); !slices.Equal(got, []string{title}) {
		t.Errorf("after the rename: %q", got)
	}
	if got := list(reel.VideoFilter{Query: "xnotes"}); len(got) != 0 {
		t.Errorf("the old title still matches: %q", got)
	}
	queued := "Queued Title"
	if _, err := s.Enqueue(ctx, v.ID, 1, &queued); err != nil {
		t.Fatal(err)
	}
	if got := list(reel.VideoFilter{Query: "queued title", Status: reel.StatusQueued}); !slices.Equal(got, []string{queued}) {
		t.Errorf("after Enqueue with a title: %q", got)
	}
	if got, err := s.Video(ctx, byTitle["Work_notes"].ID); err != nil || got.Description != "about Work_notes" {
		t.Errorf("description = %q, %v", got.Description, err)
	}

	// A cursor holds its direction.
	_, next, err := s.Videos(ctx, reel.VideoFilter{Limit: 1})
	if err != nil || next == "" {
		t.Fatalf("first page: %q, %v", next, err)
	}
	if _, _, err := s.Videos(ctx, reel.VideoFilter{Limit: 1, Cursor: next, Oldest: true}); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("a newest-first cursor oldest first: %v, want invalid", err)
	}
}
