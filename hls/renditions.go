package hls

import (
	"slices"
	"strconv"

	"reel"
)

// AudioGroup is the GROUP-ID of the audio rendition that every video
// variant plays.
const AudioGroup = "audio"

// MasterOf returns the master playlist of a video's renditions, as
// published: the audio renditions become the audio group (EXT-X-MEDIA)
// that every video variant names. Without video, one audio rendition is
// the one variant; several (languages) are the audio group of one
// variant that plays the default one, whose EXT-X-MEDIA has no URI: RFC
// 8216 section 4.3.4.2.1 reads that as "the variant's own media". (With
// the default's URI written too, hls.js 1.7.4 takes the default for
// alternate audio as well as the variant's, and on a switch to another
// language never flushes the default's sound it buffered, which goes on
// playing.) Each rendition's playlist is "<name>/index.m3u8". Video
// renditions' bandwidths and codecs already count their audio (see
// reel.Rendition).
func MasterOf(renditions []reel.Rendition, iframes []IFrameVariant) Master {
	var m Master
	var audio []reel.Rendition
	for _, r := range renditions {
		if r.IsAudio() {
			audio = append(audio, r)
			continue
		}
		m.Variants = append(m.Variants, Variant{
			URI: r.Name + "/" + reel.MediaPlaylist, Bandwidth: r.Bandwidth, AverageBandwidth: r.AverageBandwidth,
			Codecs: r.Codecs, Width: r.Width, Height: r.Height, FrameRate: r.FrameRate,
		})
	}
	if len(m.Variants) == 0 && len(audio) == 1 {
		// Audio only: the audio plays on its own.
		r := audio[0]
		m.Variants = append(m.Variants, Variant{
			URI: r.Name + "/" + reel.MediaPlaylist, Bandwidth: r.Bandwidth, AverageBandwidth: r.AverageBandwidth, Codecs: r.Codecs,
		})
		m.IFrames = iframes
		return m
	}
	// One default: the rendition marked so, else the first (renditions
	// stored before tracks were marked).
	marked := slices.ContainsFunc(audio, func(r reel.Rendition) bool { return r.Default })
	audioOnly := len(m.Variants) == 0
	if audioOnly && len(audio) > 1 {
		// Audio only, in several languages: one variant playing the
		// default track, with the audio group to choose another from (a
		// player loads the chosen rendition instead), its bandwidths the
		// heaviest track's, as a video variant's count the heaviest.
		def := audio[0]
		v := Variant{}
		for _, r := range audio {
			if r.Default && !def.Default {
				def = r
			}
			v.Bandwidth, v.AverageBandwidth = max(v.Bandwidth, r.Bandwidth), max(v.AverageBandwidth, r.AverageBandwidth)
		}
		v.URI, v.Codecs = def.Name+"/"+reel.MediaPlaylist, def.Codecs
		m.Variants = append(m.Variants, v)
	}
	names := map[string]int{}
	for i, r := range audio {
		name := r.Label
		if name == "" {
			name = "Audio"
			if r.Language != "" {
				name += " (" + r.Language + ")"
			}
		}
		// RFC 8216: names differ within a group ("English", "English 2").
		if names[name]++; names[name] > 1 {
			name += " " + strconv.Itoa(names[name])
		}
		def := r.Default || !marked && i == 0
		uri := r.Name + "/" + reel.MediaPlaylist
		if audioOnly && def {
			uri = "" // the variant's
		}
		m.Audio = append(m.Audio, Audio{
			GroupID: AudioGroup, Name: name, Language: r.Language, Channels: r.Channels,
			URI: uri, Default: def, AutoSelect: r.AutoSelect,
			Characteristics: r.Characteristics,
		})
	}
	if len(audio) > 0 {
		for i := range m.Variants {
			m.Variants[i].Audio = AudioGroup
		}
	}
	m.IFrames = iframes
	return m
}
