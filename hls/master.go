package hls

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Variant is one entry of a master playlist: a rendition's media playlist
// and what a player needs to choose it.
type Variant struct {
	URI              string  // relative to the master, e.g. "360p/index.m3u8"
	Bandwidth        int     // peak segment bit rate, bits/s; required
	AverageBandwidth int     // mean segment bit rate, bits/s; omitted if 0
	Codecs           string  // e.g. "avc1.64001f,mp4a.40.2"; omitted if ""
	Width, Height    int     // RESOLUTION; omitted if 0
	FrameRate        float64 // FRAME-RATE; omitted if 0
	Audio            string  // AUDIO: the GROUP-ID of its audio rendition; omitted if ""
}

// Audio is an audio rendition as a master playlist lists it
// (EXT-X-MEDIA:TYPE=AUDIO): the audio that the variants naming its group
// play alongside their video.
type Audio struct {
	GroupID  string // GROUP-ID, which each variant's AUDIO names
	Name     string // NAME, what a player's menu shows
	Language string // LANGUAGE, e.g. "en" or "eng"; omitted if ""
	Channels int    // CHANNELS; omitted if 0
	// URI is its media playlist, relative to the master; omitted if "":
	// its media is in the playlist of the variants naming its group.
	URI     string
	Default bool // DEFAULT=YES and AUTOSELECT=YES: play it unless told otherwise
	// AutoSelect is AUTOSELECT=YES on a track that is not the default: a
	// player may pick it by the viewer's language.
	AutoSelect bool
	// Characteristics is CHARACTERISTICS, Apple's accessibility roles,
	// e.g. "public.accessibility.describes-video"; omitted if "".
	Characteristics string
}

// WithAudio returns variants made to play with the audio rendition
// measured as audio (its Bandwidth, AverageBandwidth and Codecs) from
// group: each names the group, and its bandwidths and codecs count the
// audio too, since a player fetches both (Apple's HLS authoring spec:
// BANDWIDTH is that of the whole presentation the variant plays).
func WithAudio(variants []Variant, group string, audio Variant) []Variant {
	out := slices.Clone(variants)
	for i := range out {
		v := &out[i]
		v.Audio = group
		v.Bandwidth += audio.Bandwidth
		if v.AverageBandwidth > 0 && audio.AverageBandwidth > 0 {
			v.AverageBandwidth += audio.AverageBandwidth
		}
		if v.Codecs != "" && audio.Codecs != "" {
			v.Codecs += "," + audio.Codecs
		}
	}
	return out
}

// Master is a master playlist: audio renditions, variants and I-frame
// playlists.
type Master struct {
	Audio     []Audio
	Subtitles []Subtitle // in SubtitleGroup, which every variant then names
	Variants  []Variant
	IFrames   []IFrameVariant
}

// IFrameVariant is an I-frame playlist as a master playlist lists it
// (EXT-X-I-FRAME-STREAM-INF), for players that scrub or fast-forward.
type IFrameVariant struct {
	URI              string // relative to the master, e.g. "360p/iframes.m3u8"
	Bandwidth        int    // peak bit rate of the I-frames, bits/s; required
	AverageBandwidth int    // mean bit rate of the I-frames, bits/s; omitted if 0
	Codecs           string // the video codec only, e.g. "avc1.64001e"; omitted if ""
	Width, Height    int    // RESOLUTION; omitted if 0
}

// WriteMaster writes a master playlist listing variants in order of
// bandwidth, lowest first (players start with the first and hls.js
// orders levels by it), then the I-frame playlists, likewise. Every
// variant's segments start with an IDR frame, hence
// EXT-X-INDEPENDENT-SEGMENTS.
func WriteMaster(w io.Writer, variants []Variant, iframes ...IFrameVariant) error {
	return Master{Variants: variants, IFrames: iframes}.Encode(w)
}

// Encode writes m as WriteMaster does, with the audio and then the
// subtitle renditions (EXT-X-MEDIA) first. Every group a variant names
// must be among them.
func (m Master) Encode(w io.Writer) error {
	if len(m.Variants) == 0 {
		return errors.New("hls: master playlist without variants")
	}
	vs := slices.Clone(m.Variants)
	slices.SortStableFunc(vs, func(a, b Variant) int { return cmp.Compare(a.Bandwidth, b.Bandwidth) })
	groups := map[string]bool{}

	bw := bufio.NewWriter(w)
	bw.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	for _, a := range m.Audio {
		if err := a.check(); err != nil {
			return err
		}
		groups[a.GroupID] = true
		attrs := []string{"TYPE=AUDIO", `GROUP-ID="` + a.GroupID + `"`, `NAME="` + a.Name + `"`}
		if a.Language != "" {
			attrs = append(attrs, `LANGUAGE="`+a.Language+`"`)
		}
		yes := map[bool]string{true: "YES", false: "NO"}
		// RFC 8216: AUTOSELECT must be YES where DEFAULT is.
		attrs = append(attrs, "DEFAULT="+yes[a.Default], "AUTOSELECT="+yes[a.Default || a.AutoSelect])
		if a.Characteristics != "" {
			attrs = append(attrs, `CHARACTERISTICS="`+a.Characteristics+`"`)
		}
		if a.Channels > 0 {
			attrs = append(attrs, `CHANNELS="`+strconv.Itoa(a.Channels)+`"`)
		}
		if a.URI != "" {
			attrs = append(attrs, `URI="`+a.URI+`"`)
		}
		fmt.Fprintf(bw, "#EXT-X-MEDIA:%s\n", strings.Join(attrs, ","))
	}
	for _, s := range uniqueNames(m.Subtitles) {
		if err := s.check(); err != nil {
			return err
		}
		fmt.Fprintf(bw, "%s\n", s.line())
	}
	for _, v := range vs {
		if err := v.check(); err != nil {
			return err
		}
		if v.Audio != "" && !groups[v.Audio] {
			return fmt.Errorf("hls: variant %s names audio group %q, which has no rendition", v.URI, v.Audio)
		}
		attrs := []string{"BANDWIDTH=" + strconv.Itoa(v.Bandwidth)}
		if v.AverageBandwidth > 0 {
			attrs = append(attrs, "AVERAGE-BANDWIDTH="+strconv.Itoa(v.AverageBandwidth))
		}
		if v.Codecs != "" {
			attrs = append(attrs, `CODECS="`+v.Codecs+`"`)
		}
		if v.Width > 0 && v.Height > 0 {
			attrs = append(attrs, fmt.Sprintf("RESOLUTION=%dx%d", v.Width, v.Height))
		}
		if v.FrameRate > 0 {
			attrs = append(attrs, "FRAME-RATE="+strconv.FormatFloat(v.FrameRate, 'f', 3, 64))
		}
		if v.Audio != "" {
			attrs = append(attrs, `AUDIO="`+v.Audio+`"`)
		}
		if len(m.Subtitles) > 0 {
			attrs = append(attrs, `SUBTITLES="`+SubtitleGroup+`"`)
		}
		fmt.Fprintf(bw, "#EXT-X-STREAM-INF:%s\n%s\n", strings.Join(attrs, ","), v.URI)
	}
	ivs := slices.Clone(m.IFrames)
	slices.SortStableFunc(ivs, func(a, b IFrameVariant) int { return cmp.Compare(a.Bandwidth, b.Bandwidth) })
	for _, v := range ivs {
		// The same checks and attributes as a variant, but no FRAME-RATE,
		// which RFC 8216 does not define for I-frame streams.
		if err := (Variant{URI: v.URI, Bandwidth: v.Bandwidth, AverageBandwidth: v.AverageBandwidth,
			Codecs: v.Codecs, Width: v.Width, Height: v.Height}).check(); err != nil {
			return err
		}
		if strings.Contains(v.URI, `"`) {
			return fmt.Errorf("hls: bad I-frame playlist URI %q", v.URI)
		}
		attrs := []string{"BANDWIDTH=" + strconv.Itoa(v.Bandwidth)}
		if v.AverageBandwidth > 0 {
			attrs = append(attrs, "AVERAGE-BANDWIDTH="+strconv.Itoa(v.AverageBandwidth))
		}
		if v.Codecs != "" {
			attrs = append(attrs, `CODECS="`+v.Codecs+`"`)
		}
		if v.Width > 0 && v.Height > 0 {
			attrs = append(attrs, fmt.Sprintf("RESOLUTION=%dx%d", v.Width, v.Height))
		}
		attrs = append(attrs, `URI="`+v.URI+`"`)
		fmt.Fprintf(bw, "#EXT-X-I-FRAME-STREAM-INF:%s\n", strings.Join(attrs, ","))
	}
	return bw.Flush()
}

// check refuses a variant that would make the playlist invalid.
func (v Variant) check() error {
	switch {
	case v.URI == "" || strings.ContainsAny(v.URI, "\r\n") || strings.HasPrefix(v.URI, "#"):
		return fmt.Errorf("hls: bad variant URI %q", v.URI)
	case v.Bandwidth <= 0:
		return fmt.Errorf("hls: variant %s without bandwidth", v.URI)
	case v.AverageBandwidth < 0 || v.Width < 0 || v.Height < 0 || v.FrameRate < 0:
		return fmt.Errorf("hls: variant %s with a negative attribute", v.URI)
	case strings.ContainsAny(v.Codecs, "\"\r\n"):
		return fmt.Errorf("hls: bad codecs %q", v.Codecs)
	case strings.ContainsAny(v.Audio, "\"\r\n"):
		return fmt.Errorf("hls: bad audio group %q", v.Audio)
	}
	return nil
}

// check refuses an audio rendition that would make the playlist invalid.
func (a Audio) check() error {
	for _, s := range []string{a.GroupID, a.Name} {
		if s == "" {
			return fmt.Errorf("hls: audio rendition %+v lacks GROUP-ID or NAME", a)
		}
	}
	for _, s := range []string{a.GroupID, a.Name, a.URI, a.Language, a.Characteristics} {
		if strings.ContainsAny(s, "\"\r\n") {
			return fmt.Errorf("hls: bad audio rendition attribute %q", s)
		}
	}
	if a.Channels < 0 {
		return fmt.Errorf("hls: audio rendition %s with %d channels", a.URI, a.Channels)
	}
	return nil
}
