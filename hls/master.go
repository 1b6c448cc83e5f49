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
	if len(variants) == 0 {
		return errors.New("hls: master playlist without variants")
	}
	vs := slices.Clone(variants)
	slices.SortStableFunc(vs, func(a, b Variant) int { return cmp.Compare(a.Bandwidth, b.Bandwidth) })

	bw := bufio.NewWriter(w)
	bw.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	for _, v := range vs {
		if err := v.check(); err != nil {
			return err
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
		fmt.Fprintf(bw, "#EXT-X-STREAM-INF:%s\n%s\n", strings.Join(attrs, ","), v.URI)
	}
	ivs := slices.Clone(iframes)
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
	}
	return nil
}
