package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"reel/api"
	"reel/pgtest"
	"reel/tusclient"
)

// TestPostgresLost takes PostgreSQL away from a running reel serve (its
// connections ended, new ones refused, as during a restart) while a tus
// upload is half done and a transcode runs: requests that need the
// database answer 503 with a sentence; once it is back, the upload resumes
// from its offset and completes, the transcode finishes, and the video has
// exactly one transcode job.
func TestPostgresLost(t *testing.T) {
	pg := pgtest.New(t)
	s := startServer(t, "--db", pg.URL)
	ctx := context.Background()
	src := longClip(t)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}

	// A transcode, and a tus upload a third of the way through.
	status, transcoded, e := s.upload(src, "transcoded through the outage")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	client := &tusclient.Client{Endpoint: s.url + "/api/uploads/"}
	loc, err := client.Create(ctx, int64(len(data)), map[string]string{"filename": "long.mp4"})
	if err != nil {
		t.Fatal(err)
	}
	third := int64(len(data) / 3)
	if off, err := client.Patch(ctx, loc, bytes.NewReader(data), 0, third, nil); err != nil || off != third {
		t.Fatalf("PATCH: %d, %v", off, err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for v, _ := s.video(transcoded.ID); v.Status != "processing"; v, _ = s.video(transcoded.ID) {
		if v.Status == "ready" || v.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("the transcode was over (%s) before the database could be taken away: make the clip longer", v.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The database goes away.
	if err := pg.AllowConnections(ctx, false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.AllowConnections(context.Background(), true) })
	if err := pg.TerminateConnections(ctx); err != nil {
		t.Fatal(err)
	}
	resp, body := s.get(s.url + "/api/videos/" + transcoded.ID)
	mustStatus(t, "GET of a video while the database is gone", resp, body, http.StatusServiceUnavailable)
	var apiErr api.ErrorResponse
	if json.Unmarshal(body, &apiErr); apiErr.Error.Code != "unavailable" || apiErr.Error.Message == "" {
		t.Errorf("503 body: %s", body)
	}
	resp, body = s.get(s.url + "/api/videos")
	mustStatus(t, "list while the database is gone", resp, body, http.StatusServiceUnavailable)
	_, err = client.Patch(ctx, loc, bytes.NewReader(data), third, third, nil)
	var se *tusclient.StatusError
	if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable {
		t.Errorf("PATCH while the database is gone: %v, want 503", err)
	}
	time.Sleep(2 * time.Second) // long enough for workers to notice

	// It comes back: the upload resumes where the server says it stands.
	if err := pg.AllowConnections(ctx, true); err != nil {
		t.Fatal(err)
	}
	var off int64
	for try := 0; ; try++ {
		if off, _, err = client.Offset(ctx, loc); err == nil || try == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || off != third {
		t.Fatalf("offset after the database came back: %d, %v; want %d", off, err, third)
	}
	if off, err = client.Patch(ctx, loc, bytes.NewReader(data), off, int64(len(data))-off, nil); err != nil || off != int64(len(data)) {
		t.Fatalf("resumed PATCH: %d, %v", off, err)
	}

	for _, id := range []string{transcoded.ID, videoID(loc)} {
		if v := s.waitFinal(id, 5*time.Minute); v.Status != "ready" {
			t.Errorf("video %s ended %s (%s) after the database came back", id, v.Status, v.Error)
		}
		// One transcode job per video: nothing was enqueued twice.
		conn, err := pgx.Connect(ctx, pg.URL)
		if err != nil {
			t.Fatal(err)
		}
		var jobs, attempts int
		err = conn.QueryRow(ctx, `SELECT count(*), COALESCE(max(attempt), 0) FROM river_job
			WHERE kind = 'transcode' AND args->>'video_id' = $1`, id).Scan(&jobs, &attempts)
		conn.Close(ctx)
		if err != nil || jobs != 1 {
			t.Errorf("video %s has %d transcode jobs (%v), want 1", id, jobs, err)
		}
		t.Logf("video %s: transcoded in %d attempt(s)", id, attempts)
	}
}

// longClip makes a 720p clip long enough that its transcode is still
// running when the test acts on it.
func longClip(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "long.mp4")
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=40",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=40",
		"-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make the clip: %v\n%s", err, b)
	}
	return out
}
