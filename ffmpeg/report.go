package ffmpeg

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"

	"reel"
)

// Codes of the media report's warnings: what probing found that the
// uploader may want to know, each with what reel did about it.
const (
	WarnAudioOnly           = "audio_only"
	WarnNoAudio             = "no_audio"
	WarnVariableFrameRate   = "variable_frame_rate"
	WarnHDR                 = "hdr"
	WarnHighBitDepth        = "high_bit_depth"
	WarnRotated             = "rotated"
	WarnInterlaced          = "interlaced"
	WarnOddDimensions       = "odd_dimensions"
	WarnNonSquarePixels     = "non_square_pixels"
	WarnHighFrameRate       = "high_frame_rate"
	WarnMultipleAudioTracks = "multiple_audio_tracks"
	WarnSurroundAudio       = "surround_audio"
	WarnUndecodableStream   = "undecodable_stream"
	WarnShorterThanClaimed  = "shorter_than_claimed"
	WarnSubtitles           = "subtitles"
	WarnImageSubtitles      = "image_subtitles"
)

// MediaReport returns the media report of a probed source: one warning per
// finding, in a fixed order, each a sentence saying what was found and
// what the transcode does about it. It decides nothing itself: the
// sentences describe what PlanLadder, OutputFrameRate and NewPlan do.
// A plain source (H.264, SDR, 8-bit, square pixels, one stereo track)
// gets an empty report.
func MediaReport(p *Probe) []reel.MediaWarning {
	ws := []reel.MediaWarning{}
	add := func(code, format string, args ...any) {
		ws = append(ws, reel.MediaWarning{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	v := &p.Video

	switch {
	case !p.HasVideo():
		add(WarnAudioOnly, "The file has no video, so it was published as audio only, with a picture of its waveform as the poster.")
	case !p.HasAudio() && undecodableAudio(p) > 0:
		add(WarnNoAudio, "None of the file's audio could be decoded, so the video plays silently.")
	case !p.HasAudio():
		add(WarnNoAudio, "The video has no sound track, so it plays silently.")
	}

	if p.HasVideo() {
		if v.VariableFrameRate() {
			add(WarnVariableFrameRate, "The video has a variable frame rate (%s fps on average), as phones record; it was converted to a constant %s fps so that it plays smoothly.",
				fps(v.FrameRate.Float()), fps(OutputFrameRate(p).Float()))
		}
		switch v.HDR() {
		case "PQ":
			add(WarnHDR, "The video is HDR (HDR10, PQ); it was tone-mapped to standard dynamic range (SDR, BT.709) so that it looks right on every screen.")
		case "HLG":
			add(WarnHDR, "The video is HDR (HLG); it was tone-mapped to standard dynamic range (SDR, BT.709) so that it looks right on every screen.")
		}
		if v.BitDepth > 8 {
			add(WarnHighBitDepth, "The video has %d-bit colour; it was converted to 8-bit, which every device plays.", v.BitDepth)
		}
		if v.Rotation != 0 {
			w, h := p.DisplaySize()
			turn := map[int]string{90: "90° clockwise", 180: "180°", 270: "90° counterclockwise"}[v.Rotation]
			add(WarnRotated, "The video is stored with a rotation of %s, as phones record; the rotation was applied, so it plays upright at %dx%d.", turn, w, h)
		}
		if v.Interlaced() {
			add(WarnInterlaced, "The video is interlaced; it was deinterlaced so that moving edges do not show comb lines.")
		}
		if v.Width%2 != 0 || v.Height%2 != 0 {
			msg := "The picture is %dx%d, an odd size, which video encoders cannot take; it was scaled to even sizes"
			if rungs := PlanLadder(p); len(rungs) > 0 {
				top := rungs[len(rungs)-1]
				msg += fmt.Sprintf(" (%dx%d at most)", top.Width, top.Height)
			}
			add(WarnOddDimensions, msg+".", v.Width, v.Height)
		}
		if sar := v.SampleAspect; sar.Valid() && sar.Num != sar.Den {
			w, h := p.DisplaySize()
			add(WarnNonSquarePixels, "The video has non-square pixels (sample aspect ratio %d:%d); they were made square, so it shows at its intended %dx%d.",
				sar.Num, sar.Den, w, h)
		}
		if f := v.FrameRate.Float(); f > 60.5 && f <= 1000 {
			add(WarnHighFrameRate, "The video runs at %s fps; it was converted to %s fps, the most that players and TVs expect.",
				fps(f), fps(OutputFrameRate(p).Float()))
		}
	}

	if n := len(p.AudioTracks); n > 1 {
		// Every track became a choice in the player's audio menu.
		var kept []string
		for i, a := range p.AudioTracks[:min(n, MaxAudioTracks)] {
			a.Default = a.Index == p.Audio.Index
			kept = append(kept, TrackRendition(a, i+1).Label+trackLabel(a))
		}
		msg := fmt.Sprintf("The file has %d audio tracks; each was kept as a language the player offers: %s.", n, strings.Join(kept, "; "))
		if n > MaxAudioTracks {
			msg += fmt.Sprintf(" Tracks %d to %d were left out: at most %d are published.", MaxAudioTracks+1, n, MaxAudioTracks)
		}
		add(WarnMultipleAudioTracks, "%s", msg)
	}
	if a := p.Audio; a != nil && a.Channels > 2 {
		layout := a.ChannelLayout
		if layout == "" {
			layout = strconv.Itoa(a.Channels) + " channels"
		}
		add(WarnSurroundAudio, "The sound is surround (%s); it was mixed down to stereo, which every device plays.", layout)
	}

	if n := len(p.Subtitles); n > 0 && p.HasVideo() {
		var kept []string
		for i, sub := range p.Subtitles[:min(n, MaxSubtitleTracks)] {
			kept = append(kept, SubtitleLabel(sub, i+1)+" ("+sub.Codec+")")
		}
		msg := fmt.Sprintf("The file has %d text subtitle tracks; each became WebVTT subtitles the player offers: %s.", n, strings.Join(kept, "; "))
		if n == 1 {
			msg = fmt.Sprintf("The file has a text subtitle track; it became WebVTT subtitles the player offers: %s.", kept[0])
		}
		if n > MaxSubtitleTracks {
			msg += fmt.Sprintf(" Tracks %d to %d were left out: at most %d are published.", MaxSubtitleTracks+1, n, MaxSubtitleTracks)
		}
		add(WarnSubtitles, "%s", msg)
	} else if n > 0 {
		add(WarnSubtitles, "The file's subtitle tracks were left out: audio alone is published without subtitles.")
	}

	var others []string
	counts := map[string]int{}
	for _, s := range p.Ignored {
		switch {
		case s.Type == "subtitle":
			add(WarnImageSubtitles, "A subtitle track (%s) is made of pictures, not text, so it was not converted; upload its text as captions instead.", cmp.Or(s.Codec, "unknown codec"))
		case s.Undecodable:
			if s.Codec != "" {
				add(WarnUndecodableStream, "An audio track uses the %s codec, which this server cannot decode; it was left out.", s.Codec)
			} else {
				add(WarnUndecodableStream, "An audio track uses a codec this server cannot decode; it was left out.")
			}
		default:
			if counts[s.Type] == 0 {
				others = append(others, s.Type)
			}
			counts[s.Type]++
		}
	}
	if len(others) > 0 {
		parts := make([]string, len(others))
		for i, typ := range others {
			parts[i] = streamCount(typ, counts[typ])
		}
		verb := "were"
		if len(others) == 1 && counts[others[0]] == 1 {
			verb = "was"
		}
		add(WarnUndecodableStream, "The file also holds %s, which %s left out: only one video track and the audio tracks are published.",
			joinList(parts), verb)
	}
	return ws
}

// undecodableAudio counts the audio streams left out for want of a decoder.
func undecodableAudio(p *Probe) int {
	n := 0
	for _, s := range p.Ignored {
		if s.Undecodable {
			n++
		}
	}
	return n
}

// trackLabel describes an audio track for the report: " (eng, "Commentary")".
func trackLabel(a AudioStream) string {
	var parts []string
	if a.Language != "" {
		parts = append(parts, a.Language)
	}
	if a.Title != "" {
		parts = append(parts, strconv.Quote(reel.Sanitize(a.Title, 80)))
	}
	if a.Default {
		parts = append(parts, "the default")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// streamCount says "a subtitle track", "2 data streams"...
func streamCount(typ string, n int) string {
	noun := map[string]string{
		"video": "video stream", "subtitle": "subtitle track", "attachment": "attachment", "data": "data stream",
	}[typ]
	if noun == "" {
		noun = typ + " stream"
	}
	if n == 1 {
		if typ == "video" {
			return "a second video stream"
		} else if typ == "attachment" {
			return "an attachment"
		}
		return "a " + noun
	}
	if typ == "video" {
		return fmt.Sprintf("%d more video streams", n)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// joinList joins "a", "b" and "c" as "a, b and c".
func joinList(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// fps formats a frame rate for people: "30", "29.97", "14.76".
func fps(f float64) string {
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// shortWarning is the media report's finding for a source whose header
// claims claimed seconds but whose frames hold only held: what was
// published, and how much was missing.
func shortWarning(claimed, held float64) reel.MediaWarning {
	return reel.MediaWarning{Code: WarnShorterThanClaimed, Message: fmt.Sprintf(
		"The file's header claims %.1f s, but its frames hold only %.1f s: the %.1f s it holds were published, and %.1f s (%.0f %%) were missing.",
		claimed, held, held, claimed-held, 100*(claimed-held)/claimed)}
}
