package main

import (
	"context"
	"fmt"

	"reel"
	"reel/sqlstore"
)

// seedVideos puts n ready, public videos into a reel database (a SQLite
// file or a postgres:// URL, migrated by `reel migrate`) through the same
// store reel uses, one transaction each. ids, when given, name the first
// videos (the rest get new ids). It returns the id of the video in the
// middle and the cursor of a deep page, after 90 % of the videos.
func seedVideos(ctx context.Context, dsn string, n int, ids ...string) (middle, cursor string, err error) {
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	store := sqlstore.New(db, nil) // ready videos enqueue nothing
	renditions := []reel.Rendition{
		{Name: "360p", Width: 640, Height: 360, Bandwidth: 900_000, AverageBandwidth: 700_000},
		{Name: "720p", Width: 1280, Height: 720, Bandwidth: 3_000_000, AverageBandwidth: 2_400_000},
	}
	for i := range n {
		id := reel.NewID()
		if i < len(ids) {
			id = ids[i]
		}
		v := &reel.Video{
			ID: id, Title: fmt.Sprintf("video %d", i), Filename: "clip.mp4",
			ContentType: "video/mp4", Status: reel.StatusReady, Progress: 1, Playable: true,
			Size: 50 << 20, Duration: 120, Width: 1280, Height: 720, Renditions: renditions,
			Visibility: reel.VisibilityPublic,
		}
		v.OriginalKey = reel.OriginalKey(v.ID)
		if err := store.CreateVideo(ctx, v); err != nil {
			return "", "", err
		}
		if i == n/2 {
			middle = v.ID
		}
	}
	// The cursor after 90 % of the videos, newest first: a deep page.
	seen := 0
	for seen < n*9/10 {
		page, next, err := store.Videos(ctx, reel.VideoFilter{Limit: 100, Cursor: cursor})
		if err != nil {
			return "", "", err
		}
		if next == "" {
			break
		}
		seen += len(page)
		cursor = next
	}
	return middle, cursor, nil
}
