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
	// Audio is the audio rendition of a video with sound: the source's
	// audio encoded once, in its own folder, which every video rung plays
	// (an HLS audio rendition group). Nil without audio, and for audio
	// only, whose one rung is the audio.
	Audio *Rung
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
	if p.HasAudio() {
		// The rate the top rung's screen calls for: 96k AAC for a ladder of
		// phone sizes only, 128k otherwise.
		plan.Audio = &Rung{Name: audioOnlyRung.Name, AudioRate: plan.Rungs[len(plan.Rungs)-1].AudioRate}
	}
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
// Bandwidth the rate cap (a video rung's counts the audio it plays), the
// audio rendition last. Measured values replace them once encoding is
// done.
func (plan *Plan) Renditions() []reel.Rendition {
	fr := math.Round(plan.FrameRate.Float()*1000) / 1000
	if plan.AudioOnly {
		return []reel.Rendition{plan.audioRendition(plan.Rungs[0])}
	}
	rs := make([]reel.Rendition, 0, len(plan.Rungs)+1)
	for _, r := range plan.Rungs {
		bw := r.MaxRate
		if plan.Audio != nil {
			bw += plan.Audio.AudioRate
		}
		rs = append(rs, reel.Rendition{Name: r.Name, Width: r.Width, Height: r.Height, Bandwidth: bw, FrameRate: fr})
	}
	if plan.Audio != nil {
		rs = append(rs, plan.audioRendition(*plan.Audio))
	}
	return rs
}

// audioRendition returns the planned audio rendition r: stereo, in the
// source's language when it says.
func (plan *Plan) audioRendition(r Rung) reel.Rendition {
	return reel.Rendition{Name: r.Name, Bandwidth: r.AudioRate, Channels: 2, Language: plan.Probe.Audio.Language}
}

// outputs returns every rendition ffmpeg writes a folder for: the video
// rungs and the audio, or the one audio rung of an audio-only source.
func (plan *Plan) outputs() []Rung {
	if plan.Audio == nil {
		return plan.Rungs
	}
	return append(append([]Rung(nil), plan.Rungs...), *plan.Audio)
}
