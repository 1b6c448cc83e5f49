package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/api"
	"reel/ffmpeg"
	"reel/hls"
	"reel/mediatest"
	"reel/pgtest"
	"reel/sqlstore"
)

// splitFlags split the 30 s Camera clip into three pieces: 0-12, 12-24
// and 24-30 s (10 s rounds to two 6 s segments).
var splitFlags = []string{"--split-above", "10s", "--chunk-duration", "10s"}

// TestSplitTranscode runs the split path through River on SQLite and on
// PostgreSQL: the video is transcoded in three piece jobs and a stitch
// job, ends ready with "chunks": 3, and its renditions hold what a whole
// transcode of the same clip holds: the same segments, every frame at the
// same time, no gap between pieces.
func TestSplitTranscode(t *testing.T) {
	src := mediatest.Path(t, mediatest.Camera)
	whole := t.TempDir()
	if _, err := (&ffmpeg.Transcoder{}).Transcode(context.Background(), reel.TranscodeRequest{Input: src, OutputDir: whole}); err != nil {
		t.Fatal(err)
	}
	t.Run("sqlite", func(t *testing.T) {
		s := startServer(t, splitFlags...)
		checkSplit(t, s, src, whole, filepath.Join(s.data, "reel.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		db := pgtest.New(t).URL
		s := startServer(t, append([]string{"--db", db}, splitFlags...)...)
		checkSplit(t, s, src, whole, db)
	})
}

// checkSplit uploads src to s, split in three pieces, holds its
// renditions to those of the whole transcode in whole, and returns the
// folder of its outputs.
func checkSplit(t *testing.T, s *server, src, whole, db string) string {
	status, v, e := s.upload(src, "split")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	if v.Chunks != 1 {
		t.Errorf("queued video: chunks %d, want 1 until it is split", v.Chunks)
	}
	for deadline := time.Now().Add(4 * time.Minute); v.Status != "ready" && v.Status != "failed"; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("video %s (%.2f) after 4 minutes; pieces (index status attempts job): %s", v.Status, v.Progress, pieceRows(t, db, v.ID))
		}
		v, _ = s.video(v.ID)
	}
	if v.Status != "ready" || v.Chunks != 3 || v.Progress != 1 || !v.Playable {
		t.Fatalf("video %s, chunks %d, progress %v, playable %v: %s", v.Status, v.Chunks, v.Progress, v.Playable, v.Error)
	}
	out := filepath.Join(s.data, "outputs", v.ID)
	if _, err := os.Stat(filepath.Join(out, ".pieces")); !os.IsNotExist(err) {
		t.Errorf("the pieces' leftovers remain: %v", err)
	}
	for _, r := range v.Renditions {
		comparePlaylists(t, r.Name, filepath.Join(whole, r.Name, reel.MediaPlaylist), filepath.Join(out, r.Name, reel.MediaPlaylist))
	}
	if !strings.Contains(readText(t, filepath.Join(out, reel.MasterPlaylist)), "#EXT-X-STREAM-INF") {
		t.Error("no master playlist")
	}

	// One start per piece in the event log, and the plan's.
	var log api.VideoEvents
	apiJSON(t, s.client(), "GET", s.url+"/api/videos/"+v.ID+"/events", nil, &log)
	pieces := map[int]int{}
	for _, e := range log.Events {
		var d struct {
			Piece *int `json:"piece"`
		}
		if e.Type == reel.LogStarted && json.Unmarshal(e.Data, &d) == nil && d.Piece != nil {
			pieces[*d.Piece]++
		}
	}
	if fmt.Sprint(pieces) != "map[0:1 1:1 2:1]" {
		t.Errorf("piece starts %v, want one each of 0, 1, 2", pieces)
	}
	return out
}

// pieceRows describes the rows of video id's pieces, for a failure.
func pieceRows(t *testing.T, dsn, id string) string {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	pieces, err := sqlstore.New(db, nil).Pieces(context.Background(), id)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, p := range pieces {
		out = append(out, fmt.Sprintf("%d %s %d %d", p.Index, p.Status, p.Attempts, p.JobID))
	}
	return strings.Join(out, ", ")
}

// comparePlaylists holds the stitched rendition to the whole one: the
// same segments of the same lengths, every frame at the same time (to
// 2 ms), no gap above one frame.
func comparePlaylists(t *testing.T, name, whole, split string) {
	t.Helper()
	wpl, spl := mediaPlaylist(t, whole), mediaPlaylist(t, split)
	if len(spl.Segments) != len(wpl.Segments) || spl.MediaSequence != 0 || !spl.EndList || spl.PlaylistType != "VOD" {
		t.Errorf("%s: %d segments from %d (end %v, %s); whole: %d", name, len(spl.Segments), spl.MediaSequence, spl.EndList, spl.PlaylistType, len(wpl.Segments))
		return
	}
	for i, s := range spl.Segments {
		if w := wpl.Segments[i]; s.URI != w.URI || math.Abs(s.Duration-w.Duration) > 0.001 {
			t.Errorf("%s: segment %s of %v s; whole %s of %v s", name, s.URI, s.Duration, w.URI, w.Duration)
		}
	}
	wts, sts := ptsOf(t, whole), ptsOf(t, split)
	if len(wts) != len(sts) || len(sts) < 2 {
		t.Fatalf("%s: %d frames, whole %d", name, len(sts), len(wts))
	}
	frame := wts[1] - wts[0]
	for i := range sts {
		if math.Abs(sts[i]-wts[i]) > 0.002 {
			t.Fatalf("%s: frame %d at %v, whole at %v", name, i, sts[i], wts[i])
		}
		if i > 0 && sts[i]-sts[i-1] > frame+0.001 {
			t.Fatalf("%s: a gap of %v s after %v", name, sts[i]-sts[i-1], sts[i-1])
		}
	}
}

func mediaPlaylist(t *testing.T, name string) *hls.MediaPlaylist {
	t.Helper()
	pl, err := hls.ParseMedia([]byte(readText(t, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return pl
}

func readText(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ptsOf returns the presentation times of a playlist's packets, sorted.
func ptsOf(t *testing.T, playlist string) []float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=pts_time", "-of", "csv=p=0", playlist).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", playlist, err)
	}
	var ts []float64
	for _, f := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(f, ","), 64)
		if err != nil {
			t.Fatalf("packet time %q: %v", f, err)
		}
		ts = append(ts, v)
	}
	sort.Float64s(ts)
	return ts
}

// TestSplitFailure: a source damaged past its first piece fails the video
// once, with the reason, and cancels the pieces not yet run; deleting a
// split video cancels its pieces.
func TestSplitFailure(t *testing.T) {
	// One worker: the pieces run in order, so the damaged one fails while
	// the last is still queued.
	s := startServer(t, append([]string{"--workers", "1"}, splitFlags...)...)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.data, "reel.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// A 36 s clip whose index is first (faststart), cut after 45 % of its
	// bytes: the probe sees 36 s, the data ends near 16 s.
	dir := t.TempDir()
	full, cut := filepath.Join(dir, "full.mp4"), filepath.Join(dir, "cut.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440", "-t", "36", "-c:v", "libx264", "-preset", "ultrafast",
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", full).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(full)
	os.WriteFile(cut, data[:len(data)*45/100], 0o644)

	status, v, e := s.upload(cut, "damaged")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	v = s.waitFinal(v.ID, 3*time.Minute)
	if v.Status != "failed" || v.Chunks != 3 || !strings.Contains(v.Error, "incomplete or damaged") {
		t.Fatalf("video %s, chunks %d: %q", v.Status, v.Chunks, v.Error)
	}
	var log api.VideoEvents
	apiJSON(t, s.client(), "GET", s.url+"/api/videos/"+v.ID+"/events", nil, &log)
	failed := 0
	for _, e := range log.Events {
		if e.Type == reel.LogFailed {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d failures in the event log, want 1", failed)
	}
	// Piece 1 failed on its content (cancelled by itself), piece 2 never ran.
	if got := settledPieceJobs(t, db, v.ID); got != "0:completed/1 1:cancelled/1 2:cancelled/0" {
		t.Errorf("piece jobs (index:state/attempts) %s", got)
	}
	if left := files(t, filepath.Join(s.data, "outputs", v.ID)); len(left) != 0 {
		t.Errorf("outputs of a failed video: %v", left)
	}

	// Retried, it fails the same way, from a clean start.
	resp, err := s.client().Post(s.url+"/api/videos/"+v.ID+"/retry", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("retry: %s", resp.Status)
	}
	if v = s.waitFinal(v.ID, 3*time.Minute); v.Status != "failed" {
		t.Errorf("retried: %s", v.Status)
	}

	// Deleted while its pieces are queued or running: none runs on.
	status, v, e = s.upload(mediatest.Path(t, mediatest.Camera), "deleted")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if got, _ := s.video(v.ID); got.Chunks == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the video was not split")
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, s.url+"/api/videos/"+v.ID, nil)
	resp, err = s.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %s", resp.Status)
	}
	if got := settledPieceJobs(t, db, v.ID); !strings.Contains(got, "cancelled") {
		t.Errorf("no piece was cancelled: %s", got)
	}
	if left := files(t, filepath.Join(s.data, "outputs", v.ID)); len(left) != 0 {
		t.Errorf("outputs of a deleted video: %v", left)
	}
}

// settledPieceJobs waits until none of video id's piece jobs is queued or
// running any more, and returns pieceJobs.
func settledPieceJobs(t *testing.T, db *sql.DB, id string) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		got := pieceJobs(t, db, id)
		if !strings.Contains(got, "available") && !strings.Contains(got, "running") && !strings.Contains(got, "retryable") {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("pieces of video %s still queued or running a minute on: %s", id, got)
		}
	}
}

// pieceJobs lists the River jobs of video id's pieces as
// "index:state/attempts", by index.
func pieceJobs(t *testing.T, db *sql.DB, id string) string {
	t.Helper()
	rows, err := db.Query(`SELECT json(args), state, attempt FROM river_job WHERE kind = 'transcode_piece' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var args, state string
		var attempt int
		if err := rows.Scan(&args, &state, &attempt); err != nil {
			t.Fatal(err)
		}
		var a struct {
			VideoID string     `json:"video_id"`
			Piece   reel.Piece `json:"piece"`
		}
		if json.Unmarshal([]byte(args), &a) == nil && a.VideoID == id {
			out = append(out, fmt.Sprintf("%d:%s/%d", a.Piece.Index, state, attempt))
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
