package ffmpeg_test

import (
	"math"
	"os"
	"strings"
	"testing"

	"reel/ffmpeg"
)

// collect feeds data to a ProgressWriter in chunks of size n and returns
// the fractions it reported.
func collect(data string, duration float64, n int) []float64 {
	var got []float64
	w := ffmpeg.NewProgressWriter(duration, func(f float64) { got = append(got, f) })
	for len(data) > 0 {
		k := min(n, len(data))
		w.Write([]byte(data[:k]))
		data = data[k:]
	}
	return got
}

func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-6 {
			return false
		}
	}
	return true
}

func TestProgressWriterCaptured(t *testing.T) {
	// Captured from ffmpeg 5.1 -progress pipe:1 encoding prog_8s.mp4 (8 s)
	// into two HLS variants.
	data, err := os.ReadFile("testdata/progress_prog8s.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.469333 / 8, 3.925333 / 8, 7.338667 / 8, 1}
	for _, n := range []int{1, 7, 4096} { // however the pipe splits it
		if got := collect(string(data), 8, n); !near(got, want) {
			t.Errorf("chunks of %d: got %v, want %v", n, got, want)
		}
	}
}

func TestProgressWriter(t *testing.T) {
	for _, tt := range []struct {
		name     string
		in       string
		duration float64
		want     []float64
	}{
		{"N/A before the first packet, then values",
			"out_time_us=N/A\nout_time_ms=N/A\nout_time=N/A\nprogress=continue\nout_time_us=5000000\nprogress=continue\n",
			10, []float64{0, 0.5}},
		{"out_time_ms holds microseconds too",
			"out_time_ms=2500000\nprogress=continue\n", 10, []float64{0.25}},
		{"out_time alone",
			"out_time=00:01:15.000000\nprogress=continue\n", 300, []float64{0.25}},
		{"clamped above", "out_time_us=12000000\nprogress=continue\n", 10, []float64{1}},
		{"negative start", "out_time_us=-23220\nprogress=continue\n", 10, []float64{0}},
		{"never backwards",
			"out_time_us=6000000\nprogress=continue\nout_time_us=3000000\nprogress=continue\n",
			10, []float64{0.6}},
		{"unknown duration: only the end", "out_time_us=6000000\nprogress=continue\nprogress=end\n",
			0, []float64{0, 1}},
		{"CRLF and spaces", "out_time_us = 1000000\r\nprogress=continue\r\n", 4, []float64{0.25}},
		{"no newline at the end yet", "out_time_us=1000000\nprogress=continue", 4, nil},
		{"junk", "hello\n=\nprogress\n\x00\n", 4, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := collect(tt.in, tt.duration, 3); !near(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProgressWriterLongLine(t *testing.T) {
	in := "out_time_us=" + strings.Repeat("9", 5000) + "\nout_time_us=1000000\nprogress=continue\n"
	if got := collect(in, 2, 100); !near(got, []float64{0.5}) {
		t.Errorf("got %v", got)
	}
}

func TestProgressWriterNilReport(t *testing.T) {
	w := ffmpeg.NewProgressWriter(10, nil)
	if n, err := w.Write([]byte("out_time_us=1\nprogress=end\n")); n != 27 || err != nil {
		t.Errorf("Write = %d, %v", n, err)
	}
}

func FuzzProgressWriter(f *testing.F) {
	if data, err := os.ReadFile("testdata/progress_prog8s.txt"); err == nil {
		f.Add(data, 8.0, 5)
	}
	f.Add([]byte("out_time_us=N/A\nprogress=continue\nout_time=-00:00:01.5\nprogress=end\n"), 0.0, 1)
	f.Add([]byte("out_time_us=9223372036854775807\nprogress=continue\n"), 1e-300, 2)
	f.Fuzz(func(t *testing.T, data []byte, duration float64, chunk int) {
		last := -1.0
		w := ffmpeg.NewProgressWriter(duration, func(f float64) {
			if !(f >= 0 && f <= 1) || f <= last {
				t.Fatalf("reported %v after %v", f, last)
			}
			last = f
		})
		chunk = max(1, chunk%64+1)
		for len(data) > 0 {
			k := min(chunk, len(data))
			if n, err := w.Write(data[:k]); n != k || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			data = data[k:]
		}
	})
}
