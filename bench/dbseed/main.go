// Command dbseed fills a reel database with ready, public videos for
// bench/db.sh, through the same store reel uses, and prints the id of one
// video in the middle and the cursor of a deep page, on two lines.
//
//	go run ./bench/dbseed --db DB --videos 10000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"

	"reel"
	"reel/sqlstore"
)

func main() {
	dsn := flag.String("db", "", "database: a SQLite file or a postgres:// URL, migrated by `reel migrate`")
	n := flag.Int("videos", 10000, "videos to create")
	flag.Parse()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	store := sqlstore.New(db, nil) // ready videos enqueue nothing
	renditions := []reel.Rendition{
		{Name: "360p", Width: 640, Height: 360, Bandwidth: 900_000, AverageBandwidth: 700_000},
		{Name: "720p", Width: 1280, Height: 720, Bandwidth: 3_000_000, AverageBandwidth: 2_400_000},
	}
	var middle string
	for i := range *n {
		v := &reel.Video{
			ID: reel.NewID(), Title: fmt.Sprintf("video %d", i), Filename: "clip.mp4",
			ContentType: "video/mp4", Status: reel.StatusReady, Progress: 1, Playable: true,
			Size: 50 << 20, Duration: 120, Width: 1280, Height: 720, Renditions: renditions,
			Visibility: reel.VisibilityPublic,
		}
		v.OriginalKey = reel.OriginalKey(v.ID)
		if err := store.CreateVideo(ctx, v); err != nil {
			log.Fatal(err)
		}
		if i == *n/2 {
			middle = v.ID
		}
	}
	// The cursor after 90 % of the videos, newest first: a deep page.
	cursor, seen := "", 0
	for seen < *n*9/10 {
		page, next, err := store.Videos(ctx, reel.VideoFilter{Limit: 100, Cursor: cursor})
		if err != nil {
			log.Fatal(err)
		}
		if next == "" {
			break
		}
		seen += len(page)
		cursor = next
	}
	fmt.Println(middle)
	fmt.Println(cursor)
}
