package ffmpeg

import (
	"fmt"
	"math"
)

// Rung is one rendition of the ladder: its size and how hard to encode it.
type Rung struct {
	Name      string // "720p", named by its box's short side; also the rendition's folder
	Width     int    // even, never above the source's display width
	Height    int    // even, never above the source's display height
	CRF       int    // libx264 constant rate factor: the quality aimed at
	MaxRate   int    // bits/s: the peak video bitrate CRF may not exceed (-maxrate)
	BufSize   int    // bits: the VBV buffer that MaxRate is measured over (-bufsize)
	AudioRate int    // bits/s of the AAC audio, if the source has audio
	Source    int    // an audio rung's stream index in the source, for -map
	Codec     string // the video codec: H264 (or ""), HEVC or AV1 (WithCodecs)
}

// box is a standard rung: the source is fitted inside short×long (in the
// source's own orientation), as players label sizes (a 1920x800 film is
// "1080p"). Peak video bitrates for 30 fps H.264 at veryfast sit a little
// above the averages of Apple's HLS authoring table, because they cap CRF
// rather than set the rate.
type box struct {
	short, long int
	maxKbps     int
}

// boxes are the standard rungs, smallest first. 480p is included: without
// it the step from 360p to 720p is a 4x jump in pixels (0.8 → 2.8 Mb/s),
// which leaves mobile players on 360p long after they could do better. The
// cost is one more encode of 0.4 Mpixel per frame, about 12 % of a full
// 1080p ladder.
func boxes() []box {
	return []box{
		{360, 640, 800},
		{480, 854, 1400},
		{720, 1280, 2800},
		{1080, 1920, 5000},
	}
}

const (
	crf = 23 // libx264's default: good quality at modest size for every rung
	// nativeStep is how much larger (linearly) than the top standard rung a
	// source must be to get its own size as an extra top rung: a 768x432
	// source keeps 432p rather than being cut to 360p, while a 540p source
	// does not get a near-duplicate of 480p.
	nativeStep = 1.2
	// minKbps is the floor of MaxRate: below it, tiny sources starve.
	minKbps = 200
)

// PlanLadder returns the renditions to encode for p, smallest first. It
// never upscales: a rung is planned only if the source fills its box in at
// least one direction. Sizes keep the display aspect ratio (after sample
// aspect and rotation, so square pixels and the source's orientation) and
// are rounded to even numbers, as 4:2:0 video needs. A source smaller than
// 360p gets exactly one rung at its own size; a source between two
// standard rungs gets its own size on top when it is at least 20 % larger
// than the rung below; nothing goes above 1080p. An audio-only source has
// no video rungs.
func PlanLadder(p *Probe) []Rung {
	if !p.HasVideo() {
		return nil
	}
	dw, dh := p.DisplaySize()
	short, long := float64(min(dw, dh)), float64(max(dw, dh))
	fast := OutputFrameRate(p).Float() > 30.5

	var rungs []Rung
	topScale := 0.0
	for _, b := range boxes() {
		scale := min(float64(b.short)/short, float64(b.long)/long)
		if scale > 1 {
			break // the source does not fill this box: never upscale
		}
		rungs = append(rungs, newRung(fmt.Sprintf("%dp", b.short), dw, dh, scale, fast))
		topScale = scale
	}
	bs := boxes()
	switch {
	case len(rungs) == 0:
		// Smaller than 360p: one rung at the source's own size.
		rungs = append(rungs, newRung("", dw, dh, 1, fast))
	case len(rungs) < len(bs) && 1/topScale >= nativeStep:
		// Between two standard rungs and well above the lower one.
		rungs = append(rungs, newRung("", dw, dh, 1, fast))
	}
	return rungs
}

// newRung returns the rung of the display size dw×dh scaled by scale
// (at most 1). An empty name means "named by its own short side".
func newRung(name string, dw, dh int, scale float64, fast bool) Rung {
	var w, h int
	if scale >= 1 {
		// The source's own size: round down, never a pixel above it.
		w, h = max(2, dw/2*2), max(2, dh/2*2)
	} else {
		w, h = even(float64(dw)*scale), even(float64(dh)*scale)
	}
	if name == "" {
		name = fmt.Sprintf("%dp", min(w, h))
	}
	kbps := float64(maxKbps(w * h))
	if fast {
		kbps *= 1.5 // 50/60 fps needs more bits for the same quality
	}
	maxRate := int(math.Round(kbps)) * 1000
	audio := 128000
	if min(w, h) < 480 {
		audio = 96000 // small screens are phones: 96k AAC is transparent enough
	}
	return Rung{
		Name:      name,
		Width:     w,
		Height:    h,
		CRF:       crf,
		MaxRate:   maxRate,
		BufSize:   2 * maxRate, // two seconds of peak: one GOP
		AudioRate: audio,
	}
}

// maxKbps returns the peak video bitrate for a picture of the given
// number of pixels, interpolated between the standard rungs so that boxed
// (wide) and native rungs get rates for the pixels they really have.
func maxKbps(pixels int) int {
	bs := boxes()
	px := float64(pixels)
	prevPx, prevKbps := 0.0, 0.0
	for _, b := range bs {
		bpx := float64(b.short * b.long)
		if px <= bpx {
			k := prevKbps + (px-prevPx)/(bpx-prevPx)*(float64(b.maxKbps)-prevKbps)
			return max(minKbps, int(math.Round(k)))
		}
		prevPx, prevKbps = bpx, float64(b.maxKbps)
	}
	return bs[len(bs)-1].maxKbps
}

// even rounds x to the nearest even number, at least 2.
func even(x float64) int {
	return max(2, int(math.Round(x/2))*2)
}

// OutputFrameRate returns the constant frame rate every rendition is
// encoded at: the source's average rate (its r_frame_rate is often a time
// base, like 250 fps for a 15 fps phone clip), halved or more when above
// 60 fps, which players and Apple's spec do not expect, and 30 fps when the
// source does not say or says something absurd. A variable-frame-rate
// source gets its nominal rate: r_frame_rate when that is a standard rate
// at or above the average (a 30 fps phone clip that skipped frames in the
// dark), else the standard rate within 5 % of the average, else the
// average.
func OutputFrameRate(p *Probe) Rational {
	r := p.Video.FrameRate
	f := r.Float()
	if f < 1 || f > 1000 {
		return Rational{30, 1}
	}
	if p.Video.VariableFrameRate() {
		if nominal, ok := standardRate(p.Video.RFrameRate.Float(), 0.001); ok && nominal.Float() >= f {
			r = nominal
		} else if nominal, ok := standardRate(f, 0.05); ok {
			r = nominal
		}
		f = r.Float()
	}
	if f > 60.5 {
		k := int(math.Ceil(f / 60.5))
		r = Rational{r.Num, r.Den * k}
	}
	g := gcd(r.Num, r.Den)
	return Rational{r.Num / g, r.Den / g}
}

// standardRates are the frame rates cameras and phones record at.
var standardRates = []Rational{
	{10, 1}, {12, 1}, {15, 1}, {20, 1}, {24000, 1001}, {24, 1}, {25, 1}, {30000, 1001}, {30, 1},
	{48, 1}, {50, 1}, {60000, 1001}, {60, 1}, {90, 1}, {100, 1}, {120000, 1001}, {120, 1}, {240, 1},
}

// standardRate returns the standard rate nearest to f, if it is within
// the relative margin.
func standardRate(f, margin float64) (Rational, bool) {
	best, bestDiff := Rational{}, math.Inf(1)
	for _, r := range standardRates {
		if d := math.Abs(r.Float()-f) / r.Float(); d < bestDiff {
			best, bestDiff = r, d
		}
	}
	return best, bestDiff <= margin
}

// GOPSize returns the number of frames in two seconds at rate r: the
// distance between IDR frames, so that every rendition can switch there.
func GOPSize(r Rational) int {
	return max(1, int(math.Ceil(2*r.Float()-1e-9)))
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return max(1, a)
}
