package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reel"
	"reel/api"
	"reel/mediatest"
	"reel/pgtest"
)

// TestPerVideoChoices runs a server whose defaults are H.264 alone and no
// downloads: an upload that asks for codecs=h264,hevc and downloads=true
// gets HEVC variants in its master (each decoding as HEVC for the whole
// video) and downloads that work; an upload that does not ask gets
// neither. A split video encodes what it asked for in every piece and at
// its stitch, and so do workers whose own defaults differ from it and
// from each other.
func TestPerVideoChoices(t *testing.T) {
	src := mediatest.Path(t, mediatest.Odd)
	s := startServer(t)
	asked := uploadChoosing(t, s, src, "h264,hevc", "true")
	if asked.Codecs != "h264,hevc" || asked.Downloads == nil || !*asked.Downloads {
		t.Errorf("queued video: codecs %q, downloads %v; want what it asked for", asked.Codecs, asked.Downloads)
	}
	asked = s.waitFinal(asked.ID, 4*time.Minute)
	checkCodecs(t, s.data, asked, true)
	checkDownloads(t, s, asked)

	plain := uploadReady(t, s, src, "plain")
	// The worker records the defaults it applied.
	if plain.Codecs != "h264" || plain.Downloads == nil || *plain.Downloads {
		t.Errorf("video without choices: codecs %q, downloads %v; want h264, false", plain.Codecs, plain.Downloads)
	}
	checkCodecs(t, s.data, plain, false)
	noDownloads(t, s, plain)

	t.Run("split", func(t *testing.T) {
		s := startServer(t, splitFlags...)
		v := uploadChoosing(t, s, mediatest.Path(t, mediatest.Camera), "h264,hevc", "")
		v = s.waitFinal(v.ID, 6*time.Minute)
		if v.Chunks != 3 {
			t.Fatalf("video %s: chunks %d, want 3 (%s)", v.Status, v.Chunks, v.Error)
		}
		checkCodecs(t, s.data, v, true)
		noDownloads(t, s, v)
	})

	// Two processes on one database and one pair of stores, one making
	// H.264 alone and no downloads by default, the other HEVC and
	// downloads too. A split video that asked for nothing gets one choice
	// (whoever splits it records it); one that asked for H.264 alone and
	// no downloads gets that, whichever takes its pieces and stitch.
	t.Run("mixed workers", func(t *testing.T) {
		db, shared := pgtest.New(t).URL, t.TempDir()
		stores := []string{"--db", db, "--originals", "file://" + filepath.Join(shared, "originals"),
			"--outputs", "file://" + filepath.Join(shared, "outputs")}
		s := startServer(t, append(stores, splitFlags...)...)
		startWorker(t, append(stores, append(splitFlags, "--codecs", "h264,hevc", "--downloads")...)...)
		src := mediatest.Path(t, mediatest.Camera)
		open, h264 := uploadChoosing(t, s, src, "", ""), uploadChoosing(t, s, src, "h264", "false")
		for _, v := range []api.Video{open, h264} {
			v = s.waitFinal(v.ID, 8*time.Minute)
			if v.Status != reel.StatusReady || v.Chunks != 3 {
				t.Fatalf("video %s: chunks %d (%s)", v.Status, v.Chunks, v.Error)
			}
			hevc := v.Codecs == "h264,hevc"
			switch {
			case v.ID == h264.ID && (v.Codecs != "h264" || v.Downloads == nil || *v.Downloads):
				t.Errorf("video that asked for h264 and no downloads: codecs %q, downloads %v", v.Codecs, v.Downloads)
			case !hevc && v.Codecs != "h264" || v.Downloads == nil || *v.Downloads != hevc:
				t.Errorf("codecs %q, downloads %v: neither worker's defaults", v.Codecs, v.Downloads)
			}
			t.Logf("video %s settled on codecs %q", v.ID, v.Codecs)
			checkCodecs(t, shared, v, hevc)
			if hevc {
				checkDownloads(t, s, v)
			} else {
				noDownloads(t, s, v)
			}
		}
	})
}

// uploadChoosing uploads src with the codecs and downloads fields, each
// left out when "".
func uploadChoosing(t *testing.T, s *server, src, codecs, downloads string) api.Video {
	t.Helper()
	clip, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	fields := [][2]string{{"title", title}}
	if codecs != "" {
		fields = append(fields, [2]string{"codecs", codecs})
	}
	if downloads != "" {
		fields = append(fields, [2]string{"downloads", downloads})
	}
	body, ctype := multipartBody(t, filepath.Base(src), append(fields, [2]string{"file", string(clip)})...)
	status, v, e := s.post(body, ctype)
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %+v", status, e)
	}
	return v
}

// checkCodecs checks that ready video v, whose outputs are under data,
// has HEVC variants in its master exactly when hevc is set, as many as
// its H.264 ones, and that every video rendition decodes, init and
// segments together, as the codec its CODECS names, for the video's
// whole duration.
func checkCodecs(t *testing.T, data string, v api.Video, hevc bool) {
	t.Helper()
	if v.Status != reel.StatusReady {
		t.Fatalf("video %s: %s", v.Status, v.Error)
	}
	out := filepath.Join(data, "outputs", v.ID)
	master := readText(t, filepath.Join(out, reel.MasterPlaylist))
	if strings.Contains(master, "hvc1") != hevc {
		t.Errorf("master names hvc1: %v, want %v:\n%s", !hevc, hevc, master)
	}
	count := map[string]int{}
	for _, r := range v.Renditions {
		if r.IsAudio() {
			continue
		}
		want := map[string]string{"avc1": "h264", "hvc1": "hevc"}[r.Codecs[:4]]
		count[want]++
		pl := filepath.Join(out, r.Name, reel.MediaPlaylist)
		segs, init := uris(readText(t, pl))
		joined := filepath.Join(t.TempDir(), r.Name+".mp4")
		var all []byte
		for _, name := range append([]string{init}, segs...) {
			b, err := os.ReadFile(filepath.Join(out, r.Name, name))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if err := os.WriteFile(joined, all, 0o644); err != nil {
			t.Fatal(err)
		}
		p := ffprobe(t, joined)
		if codec, _, _, _ := p.stream("video"); codec != want {
			t.Errorf("%s (%s): decodes as %q, want %q", r.Name, r.Codecs, codec, want)
		}
		if d := p.duration(); d < v.Duration-0.5 {
			t.Errorf("%s: %.2f s of the video's %.2f s", r.Name, d, v.Duration)
		}
	}
	if count["h264"] == 0 || hevc && count["hevc"] != count["h264"] || !hevc && count["hevc"] != 0 {
		t.Errorf("video renditions by codec %v, want HEVC %v", count, hevc)
	}
}

// startWorker runs `reel worker` in-process with a temp data dir and the
// extra flags, until the test ends.
func startWorker(t *testing.T, flags ...string) {
	t.Helper()
	c := &WorkerCommand{Lookup: func(string) (string, bool) { return "", false }}
	if err := c.ParseFlags(append([]string{"--data", t.TempDir(), "--concurrency", "2", "--log-level", "warn"}, flags...)); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	c.Ready = func() { close(ready) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("reel worker: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("reel worker exited: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("reel worker did not start")
	}
}
