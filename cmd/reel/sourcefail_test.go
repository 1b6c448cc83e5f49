package main

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel/mediatest"
)

// TestSourceFailures checks, end to end, sources that fail the same way
// on every try: a stream that the container lists but no frame of
// decodes fails on the first attempt with a sentence naming the stream,
// and its job is cancelled, not retried. A source whose header claims
// more than its frames hold is published as long as it is, with a
// warning saying how much was missing.
func TestSourceFailures(t *testing.T) {
	s := startServer(t)
	for _, tt := range []struct{ kind, want string }{
		{mediatest.DamagedVideo, "The file's video stream (H.264) cannot be decoded"},
		{mediatest.NoVideoFrames, "The file lists a video stream (H.264) but holds none of its frames"},
		{mediatest.DamagedAudio, "The file's audio stream (AAC) cannot be decoded"},
	} {
		status, up, e := s.upload(mediatest.Path(t, tt.kind), tt.kind)
		if status != http.StatusCreated {
			t.Fatalf("%s: status %d %s", tt.kind, status, e.Error.Message)
		}
		v := s.waitFinal(up.ID, 2*time.Minute)
		if v.Status != "failed" || !strings.HasPrefix(v.Error, tt.want) {
			t.Errorf("%s: %s with error %q, want failed with %q", tt.kind, v.Status, v.Error, tt.want)
		}
		if state, attempt := transcodeJob(t, s, up.ID); state != "cancelled" || attempt != 1 {
			t.Errorf("%s: transcode job %s after attempt %d, want cancelled after the first", tt.kind, state, attempt)
		}
	}

	status, up, e := s.upload(mediatest.Overclaim(t, mediatest.Path(t, mediatest.Matroska), 3), "overclaimed")
	if status != http.StatusCreated {
		t.Fatalf("overclaimed: status %d %s", status, e.Error.Message)
	}
	v := s.waitFinal(up.ID, 2*time.Minute)
	if v.Status != "ready" {
		t.Fatalf("overclaimed: %s %q, want ready", v.Status, v.Error)
	}
	if v.Duration < 3.5 || v.Duration > 4.5 {
		t.Errorf("overclaimed: duration %.2f s, want the 4 s its frames hold", v.Duration)
	}
	found := false
	for _, w := range v.Warnings {
		found = found || w.Code == "shorter_than_claimed" && strings.Contains(w.Message, "hold only 4.0 s") && strings.Contains(w.Message, "8.0 s (")
	}
	if !found {
		t.Errorf("overclaimed: media report %+v, want shorter_than_claimed saying 8.0 s were missing", v.Warnings)
	}
	if state, attempt := transcodeJob(t, s, up.ID); state != "completed" || attempt != 1 {
		t.Errorf("overclaimed: transcode job %s after attempt %d, want completed after the first", state, attempt)
	}
}

// transcodeJob returns the state and attempt of the video's transcode
// job, from the server's SQLite database, once River has recorded how
// the attempt ended (the video's row is written first).
func transcodeJob(t *testing.T, s *server, id string) (state string, attempt int) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(s.data, "reel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		err = db.QueryRow(`SELECT state, attempt FROM river_job WHERE kind = 'transcode' AND json_extract(args, '$.video_id') = ?`, id).Scan(&state, &attempt)
		if err != nil {
			t.Fatal(err)
		}
		if state != "running" || time.Now().After(deadline) {
			return state, attempt
		}
	}
}
