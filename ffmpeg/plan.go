package ffmpeg

import (
	"math"

	"reel"
)

// Plan is everything reel decided about a source before running ffmpeg,
// from its probe alone: what NewPlan returns and Args turns into a
// command. Keeping every decision in this pure step is what lets the
// table tests cover each kind of source without running ffmpeg.
type Plan struct {
	Probe *Probe
	// Rungs are the renditions, smallest first. An audio-only source has
	// one, named "audio", with no size.
	Rungs []Rung
	// AudioOnly is set when the source has no video: the ladder is one
	// AAC rendition and the poster a picture of the waveform.
	AudioOnly bool
	// FrameRate is the constant rate of every video rendition (zero for
	// audio only): variable rates are made constant, high ones halved.
	FrameRate Rational
	// Deinterlace is set for interlaced sources (bwdif, one frame per frame).
	Deinterlace bool
	// ToneMap is set for HDR sources (PQ or HLG): they are tone-mapped to
	// 8-bit SDR BT.709 before scaling, once for every rendition.
	ToneMap bool
	// Storyboard plans the thumbnails taken from the ladder's decode; nil
	// for audio only.
	Storyboard *Storyboard
	// Warnings is the media report (MediaReport).
	Warnings []reel.MediaWarning
}

// audioOnlyRung is the one rendition of an audio-only source: AAC-LC at
// 128 kb/s, which is transparent for speech and fine for music.
var audioOnlyRung = Rung{Name: "audio", AudioRate: 128000}

// NewPlan plans the transcode of the probed source.
func NewPlan(p *Probe) *Plan {
	plan := &Plan{Probe: p, Warnings: MediaReport(p)}
	if !p.HasVideo() {
		plan.AudioOnly = true
		plan.Rungs = []Rung{audioOnlyRung}
		return plan
	}
	plan.Rungs = PlanLadder(p)
	plan.FrameRate = OutputFrameRate(p)
	plan.Deinterlace = p.Video.Interlaced()
	plan.ToneMap = p.Video.HDR() != ""
	dw, dh := p.DisplaySize()
	sb := PlanStoryboard(p.Duration, dw, dh)
	plan.Storyboard = &sb
	return plan
}

// Renditions returns the renditions as planned, for a caller that
// publishes while encoding: names, sizes and frame rates as they will be,
// Bandwidth the rate cap (video peak plus audio). Measured values replace
// them once encoding is done.
func (plan *Plan) Renditions() []reel.Rendition {
	fr := math.Round(plan.FrameRate.Float()*1000) / 1000
	rs := make([]reel.Rendition, len(plan.Rungs))
	for i, r := range plan.Rungs {
		bw := r.MaxRate
		if plan.Probe.HasAudio() {
			bw += r.AudioRate
		}
		rs[i] = reel.Rendition{Name: r.Name, Width: r.Width, Height: r.Height, Bandwidth: bw, FrameRate: fr}
	}
	return rs
}
