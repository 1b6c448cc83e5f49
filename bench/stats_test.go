package main

import (
	"math"
	"strings"
	"testing"
)

func TestSampleStatistics(t *testing.T) {
	tests := []struct {
		s                Sample
		median, min, max float64
		q1, q3           float64
		fig, runs        string
	}{
		{Sample{3}, 3, 3, 3, 3, 3, "3.0", "3.0"},
		{Sample{4, 1}, 2.5, 1, 4, 1.75, 3.25, "2.5 (1.0–4.0)", "4.0, 1.0"},
		{Sample{5, 1, 3}, 3, 1, 5, 2, 4, "3.0 (1.0–5.0)", "5.0, 1.0, 3.0"},
		{Sample{10, 2, 8, 4, 6}, 6, 2, 10, 4, 8, "6.0 (2.0–10.0)", "10.0, 2.0, 8.0, 4.0, 6.0"},
	}
	for _, tt := range tests {
		if got := tt.s.Median(); got != tt.median {
			t.Errorf("%v.Median() = %v, want %v", tt.s, got, tt.median)
		}
		if got := tt.s.Min(); got != tt.min {
			t.Errorf("%v.Min() = %v, want %v", tt.s, got, tt.min)
		}
		if got := tt.s.Max(); got != tt.max {
			t.Errorf("%v.Max() = %v, want %v", tt.s, got, tt.max)
		}
		if q1, q3 := tt.s.IQR(); q1 != tt.q1 || q3 != tt.q3 {
			t.Errorf("%v.IQR() = %v, %v, want %v, %v", tt.s, q1, q3, tt.q1, tt.q3)
		}
		if got := tt.s.Fig(1); got != tt.fig {
			t.Errorf("%v.Fig(1) = %q, want %q", tt.s, got, tt.fig)
		}
		if got := tt.s.Runs(1); got != tt.runs {
			t.Errorf("%v.Runs(1) = %q, want %q", tt.s, got, tt.runs)
		}
	}
	// The runs keep their order after any statistic.
	s := Sample{3, 1, 2}
	s.Median()
	if s[0] != 3 || s[1] != 1 || s[2] != 2 {
		t.Errorf("Median reordered the sample: %v", s)
	}
}

func TestSampleEdges(t *testing.T) {
	var empty Sample
	if !math.IsNaN(empty.Median()) {
		t.Errorf("empty median = %v, want NaN", empty.Median())
	}
	if got := empty.Fig(2); got != "–" {
		t.Errorf("empty Fig = %q, want a dash", got)
	}
	if got := (Sample{0, 0}).Spread(); !math.IsNaN(got) {
		t.Errorf("spread around a zero median = %v, want NaN", got)
	}
	if got := (Sample{90, 100, 110}).Spread(); math.Abs(got-0.2) > 1e-12 {
		t.Errorf("spread = %v, want 0.2", got)
	}
}

func TestRatios(t *testing.T) {
	r := Ratios(Sample{2, 9, 4}, Sample{1, 3})
	if len(r) != 2 || r[0] != 2 || r[1] != 3 {
		t.Errorf("Ratios = %v, want [2 3] (pairs only)", r)
	}
	if got := (Sample{1, 2}).Map(func(x float64) float64 { return x * 10 }); got[0] != 10 || got[1] != 20 {
		t.Errorf("Map = %v", got)
	}
}

func TestTableMarkdown(t *testing.T) {
	tb := Table{Header: []string{"case", "req/s", "note"}, Align: "lr"}
	tb.Add("reel", "3126", "a|b")
	tb.Add("nginx") // short rows are padded
	want := strings.Join([]string{
		"| case | req/s | note |",
		"|---|---:|---|",
		"| reel | 3126 | a\\|b |",
		"| nginx |  |  |",
		"",
	}, "\n")
	if got := tb.Markdown(); got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestVerdict(t *testing.T) {
	if verdict(true) != "met" || verdict(false) != "**missed**" {
		t.Error("verdict words changed: docs and readers rely on them")
	}
}
