package ffmpeg_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reel/ffmpeg"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares args, one per line, with testdata/<name>.golden.
func golden(t *testing.T, name string, args []string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := strings.Join(args, "\n") + "\n"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ffmpeg -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./ffmpeg -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestArgs(t *testing.T) {
	for _, tt := range []struct {
		golden string
		probe  *ffmpeg.Probe
	}{
		// One rung, anamorphic source, audio.
		{"args_bbb", loadProbe(t, "bbb")},
		// Audio before video in the source.
		{"args_prog8s", loadProbe(t, "prog8s")},
		// The full ladder at 50 fps, no audio.
		{"args_hevc1080p50", loadProbe(t, "hevc")},
		// Portrait, 29.97 fps, audio.
		{"args_portrait", source(1080, 1920, "30000/1001")},
		// HDR10 (PQ) and HLG: tone-mapped once, before the split, and
		// tagged BT.709.
		{"args_hdr10", loadProbe(t, "hdr10")},
		{"args_hlg", loadProbe(t, "hlg")},
		// Interlaced: bwdif before fps.
		{"args_interlaced", loadProbe(t, "interlaced")},
		// Variable frame rate: fps at the nominal 30.
		{"args_vfr", loadProbe(t, "vfr")},
		// 120 fps: fps=60, GOP of 120.
		{"args_hfr", loadProbe(t, "hfr")},
		// Odd size: even rungs, the top one 1080x606.
		{"args_odd", loadProbe(t, "odd")},
		// Two audio tracks: the default one, stream 2, is mapped.
		{"args_multiaudio", loadProbe(t, "multiaudio")},
		// Audio only: one AAC rendition named audio, no graph.
		{"args_audioonly", loadProbe(t, "audioonly")},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			golden(t, tt.golden, ffmpeg.Args("/in/source.mp4", "/out", ffmpeg.NewPlan(tt.probe)))
		})
	}
	// Every codec: the H.264 rungs, then the same sizes in HEVC (hvc1,
	// x265's own GOP settings) and AV1, from the one decode and split.
	t.Run("args_codecs", func(t *testing.T) {
		codecs, err := ffmpeg.ParseCodecs("h264,hevc,av1")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "args_codecs", ffmpeg.Args("/in/source.mp4", "/out", ffmpeg.NewPlan(loadProbe(t, "prog8s")).WithCodecs(codecs)))
	})
}

func TestArgsStructure(t *testing.T) {
	p := source(1920, 1080, "30/1")
	args := ffmpeg.Args("/in/a.mp4", "/out", ffmpeg.NewPlan(p))
	joined := strings.Join(args, " ")
	for _, want := range []string{
		"-filter_complex [0:0]fps=30/1,split=5[s0][s1][s2][s3][s4];[s0]scale=640:360,setsar=1,format=yuv420p[v0];",
		";[s4]fps=1/1,scale=160:90,setsar=1,format=rgb24[sb] ",
		// The audio once, after the video rungs, in its own rendition.
		"-map [v0] -map [v1] -map [v2] -map [v3] -map 0:1 -map_metadata",
		"-c:a aac -ac 2 -ar 48000 -b:a 128k -max_muxing",
		"-g 60 -sc_threshold 0",
		"-hls_fmp4_init_filename init_%v.mp4",
		"-var_stream_map v:0,name:360p v:1,name:480p v:2,name:720p v:3,name:1080p a:0,name:audio /out/%v/index.m3u8",
		// The storyboard: a second output of the same command.
		"/out/%v/index.m3u8 -map [sb] -f rawvideo /out/.storyboard.rgb",
		// EVENT while encoding, for publishing as segments come.
		"-hls_playlist_type event",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("args lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "master_pl_name") {
		t.Error("args ask ffmpeg for a master playlist; reel writes it")
	}
	if args[len(args)-1] != "/out/.storyboard.rgb" {
		t.Errorf("last argument %q, want the storyboard's output", args[len(args)-1])
	}

	// A relative input is made absolute, so "-x.mp4" is not an option.
	args = ffmpeg.Args("-x.mp4", "/out", ffmpeg.NewPlan(p))
	for i, a := range args {
		if a == "-i" && !filepath.IsAbs(args[i+1]) {
			t.Errorf("input %q is not absolute", args[i+1])
		}
	}
}

func TestPosterArgs(t *testing.T) {
	// A frame, as the renditions show it.
	for _, name := range []string{"bbb", "hdr10", "interlaced"} {
		plan := ffmpeg.NewPlan(loadProbe(t, name))
		w, h := ffmpeg.PosterSize(plan.Rungs)
		golden(t, "poster_"+name, ffmpeg.PosterArgs("/in/source.mp4", "/out/poster.jpg", plan, 0.99, w, h))
	}
	// The waveform of an audio-only source.
	golden(t, "poster_audioonly", ffmpeg.WaveformArgs("/in/source.mp4", "/out/poster.jpg", ffmpeg.NewPlan(loadProbe(t, "audioonly"))))
}
