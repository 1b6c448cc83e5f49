package ffmpeg

import (
	"fmt"
	"strconv"
	"strings"
)

// Rational is a ratio of two integers, as ffprobe writes frame rates
// ("30000/1001") and aspect ratios ("4:3").
type Rational struct {
	Num, Den int
}

// Valid reports whether r is a positive, finite ratio.
func (r Rational) Valid() bool { return r.Num > 0 && r.Den > 0 }

// Float returns r as a number, or 0 if r is not valid.
func (r Rational) Float() float64 {
	if !r.Valid() {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// String formats r as ffmpeg reads it back ("30000/1001").
func (r Rational) String() string { return fmt.Sprintf("%d/%d", r.Num, r.Den) }

// ParseRational parses "N/D", "N:D" or "N". It returns false for anything
// else, including "0/0" and "N/A", which ffprobe writes for unknown values.
func ParseRational(s string) (Rational, bool) {
	num, den, found := strings.Cut(s, "/")
	if !found {
		num, den, found = strings.Cut(s, ":")
	}
	if !found {
		den = "1"
	}
	n, err1 := strconv.Atoi(num)
	d, err2 := strconv.Atoi(den)
	r := Rational{n, d}
	if err1 != nil || err2 != nil || !r.Valid() {
		return Rational{}, false
	}
	return r, true
}
