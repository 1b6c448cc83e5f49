package main

import (
	"math"
	"testing"
)

func TestBytesAt(t *testing.T) {
	c := rdCurve{"720p": {{4000, 0.98}, {1000, 0.90}, {2000, 0.95}}}
	for _, tc := range []struct {
		ssim, want float64
		bound      int
	}{
		{0.95, 2000, 0},
		{0.90, 1000, 0},
		{0.98, 4000, 0},
		{0.925, math.Sqrt(1000 * 2000), 0}, // halfway in log(bytes)
		{0.965, math.Sqrt(2000 * 4000), 0},
		{0.99, 4000, +1}, // above H.264's best: it needs more than 4000
		{0.85, 1000, -1},
	} {
		got, bound := c.bytesAt("720p", tc.ssim)
		if math.Abs(got-tc.want) > 1e-6 || bound != tc.bound {
			t.Errorf("bytesAt(%v) = %v, %d; want %v, %d", tc.ssim, got, bound, tc.want, tc.bound)
		}
	}
	if got, _ := c.bytesAt("1080p", 0.95); !math.IsNaN(got) {
		t.Errorf("bytesAt of a rung with no points = %v, want NaN", got)
	}
	if b, r := matchedFigs(2000, 1000, +1); b != "> 2000" || r != "< 0.500" {
		t.Errorf("matchedFigs above the curve = %q, %q", b, r)
	}
}
