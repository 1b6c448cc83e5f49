package ffmpeg

import (
	"fmt"
	"math"

	"reel"
	"reel/bcp47"
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
	// AAC rendition of the default audio track (and one per further
	// track, in Audio) and the poster a picture of the waveform.
	AudioOnly bool
	// Audio are the audio renditions of a video with sound, one per audio
	// track of the source (up to MaxAudioTracks), in the file's order:
	// each encoded once, in its own folder ("audio", "audio2"...), and
	// together the HLS audio rendition group every video rung plays, from
	// which a player picks a language. Empty without audio. For audio
	// only, whose one rung is the default track, the source's other
	// tracks ("audio2"...): with it, the audio group a player picks from.
	Audio []Rung
	// Subtitles are the text subtitle tracks published as WebVTT
	// renditions (subs1, subs2...), up to MaxSubtitleTracks; none for
	// audio only.
	Subtitles []SubtitleStream
	// FrameRate is the constant rate of every video rendition (zero for
	// audio only): variable rates are made constant, high ones halved.
	FrameRate Rational
	// Deinterlace is set for interlaced sources (bwdif, one frame per frame).
	Deinterlace bool
	// ToneMap is set for HDR sources (PQ or HLG): they are tone-mapped to
	// 8-bit SDR BT.709 before scaling, once for every rendition.
	ToneMap bool
	// Downloads makes, once the ladder is finished, the video's downloads
	// (writeDownloads); the transcoder sets it, NewPlan leaves it off.
	Downloads bool
	// Storyboard plans the thumbnails taken from the ladder's decode; nil
	// for audio only.
	Storyboard *Storyboard
	// Warnings is the media report (MediaReport).
	Warnings []reel.MediaWarning
}

// MaxAudioTracks is the most audio tracks of one source published as
// languages: each is one more encode, and a file listing hundreds would
// otherwise cost as many.
const MaxAudioTracks = 8

// audioName returns the folder of the i-th audio rendition: "audio" for
// the first, as for a source with one track, then "audio2", "audio3"...
func audioName(i int) string {
	if i == 0 {
		return audioOnlyRung.Name
	}
	return fmt.Sprintf("%s%d", audioOnlyRung.Name, i+1)
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
		plan.Rungs[0].Source = p.Audio.Index
		// Every other track a language too, as with video: the rung is
		// the default track, and the master's one variant plays it.
		for _, a := range p.AudioTracks {
			if len(plan.Audio)+1 == MaxAudioTracks {
				break // the report says which were left out
			}
			if a.Index != p.Audio.Index {
				plan.Audio = append(plan.Audio, Rung{Name: audioName(len(plan.Audio) + 1), AudioRate: audioOnlyRung.AudioRate, Source: a.Index})
			}
		}
		return plan
	}
	plan.Rungs = PlanLadder(p)
	tracks := p.AudioTracks
	if len(tracks) == 0 && p.Audio != nil {
		tracks = []AudioStream{*p.Audio} // a probe made by hand
	}
	for i, a := range tracks {
		if i == MaxAudioTracks {
			break // the report says which were left out
		}
		// The rate the top rung's screen calls for: 96k AAC for a ladder of
		// phone sizes only, 128k otherwise.
		plan.Audio = append(plan.Audio, Rung{Name: audioName(i), AudioRate: plan.Rungs[len(plan.Rungs)-1].AudioRate, Source: a.Index})
	}
	plan.Subtitles = p.Subtitles[:min(len(p.Subtitles), MaxSubtitleTracks)]
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
		rs := []reel.Rendition{plan.audioRendition(0)}
		for i := range plan.Audio {
			rs = append(rs, plan.audioRendition(i+1))
		}
		return rs
	}
	rs := make([]reel.Rendition, 0, len(plan.Rungs)+len(plan.Audio))
	audioRate := 0
	for _, a := range plan.Audio {
		audioRate = max(audioRate, a.AudioRate)
	}
	for _, r := range plan.Rungs {
		rs = append(rs, reel.Rendition{Name: r.Name, Width: r.Width, Height: r.Height, Bandwidth: r.MaxRate + audioRate, FrameRate: fr})
	}
	for i := range plan.Audio {
		rs = append(rs, plan.audioRendition(i))
	}
	return rs
}

// audioRendition returns the planned i-th audio rendition (for audio
// only, 0 is the rung of the default track and i the (i-1)-th of Audio):
// stereo, with the language, name and role of the source's track, and
// numbered by the track's place in the file ("Audio 2").
func (plan *Plan) audioRendition(i int) reel.Rendition {
	p := plan.Probe
	var r Rung
	switch {
	case plan.AudioOnly && i == 0:
		r = plan.Rungs[0]
		r.Source = p.Audio.Index
	case plan.AudioOnly:
		r = plan.Audio[i-1]
	default:
		r = plan.Audio[i]
	}
	a, n := *p.Audio, 1
	for j := range p.AudioTracks {
		if p.AudioTracks[j].Index == r.Source {
			a, n = p.AudioTracks[j], j+1
		}
	}
	rend := TrackRendition(a, n)
	rend.Name, rend.Bandwidth = r.Name, r.AudioRate
	// One default: the track the source marks so, else the first.
	rend.Default = a.Index == p.Audio.Index
	rend.AutoSelect = rend.Default || rend.Language != "" && !a.Commentary
	return rend
}

// TrackRendition describes the audio track a, the n-th published (from
// 1), as the master lists it: its language as a BCP 47 tag, a name for
// a player's menu ("English", "English (commentary)", "Audio 2" when the
// track has no language), and Apple's accessibility characteristic for a
// track describing the picture. Stereo, as every audio rendition is
// encoded.
func TrackRendition(a AudioStream, n int) reel.Rendition {
	r := reel.Rendition{Channels: 2, Language: bcp47.FromISO6392(a.Language)}
	r.Label = fmt.Sprintf("Audio %d", n)
	if r.Language != "" {
		r.Label = bcp47.Name(r.Language)
	}
	switch {
	case a.Descriptive:
		r.Label += " (audio description)"
		r.Characteristics = "public.accessibility.describes-video"
	case a.Commentary:
		r.Label += " (commentary)"
	}
	return r
}

// outputs returns every rendition ffmpeg writes a folder for: the video
// rungs and the audio, or the one audio rung of an audio-only source.
func (plan *Plan) outputs() []Rung {
	return append(append([]Rung(nil), plan.Rungs...), plan.Audio...)
}
