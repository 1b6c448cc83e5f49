package ffmpeg

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"reel"
)

// The video codecs a ladder may have, by the names --codecs takes.
const (
	H264 = reel.CodecH264
	HEVC = reel.CodecHEVC
	AV1  = reel.CodecAV1
)

// videoCodec is how one codec's rungs are encoded.
type videoCodec struct {
	name    string // H264, HEVC or AV1
	encoder string // ffmpeg's encoder
	// suffix is added to a rung's name for its folder: H.264 rungs keep
	// the plain names ("720p"), so outputs without codecs look as before.
	suffix string
	crf    int
	// rate scales the H.264 rung's peak bitrate: the same rung at the
	// same quality takes fewer bits in a newer codec (about 30 % fewer
	// for HEVC, 40 % for AV1, as docs/benchmarks-codecs.md measures).
	rate float64
}

// videoCodecs are the codecs reel encodes, in the order their variants
// appear in the master playlist: reel.VideoCodecs, each with its encoder.
func videoCodecs() []videoCodec {
	return []videoCodec{
		{name: H264, encoder: "libx264", crf: crf, rate: 1},
		// x265's CRF scale sits about 5 above x264's for the same look.
		{name: HEVC, encoder: "libx265", suffix: "-hevc", crf: 27, rate: 0.7},
		// SVT-AV1's CRF (0-63) for about the same SSIM as x264's 23
		// (measured: 38 looks better than H.264 for 0.67x the bytes, 41 a
		// little worse for 0.52x; see docs/benchmarks-codecs.md).
		{name: AV1, encoder: "libsvtav1", suffix: "-av1", crf: 40, rate: 0.6},
	}
}

// codecOf returns the codec of the given name; "" is H.264.
func codecOf(name string) videoCodec {
	for _, c := range videoCodecs() {
		if c.name == name || name == "" && c.name == H264 {
			return c
		}
	}
	return videoCodecs()[0]
}

// ParseCodecs parses a --codecs value or a video's codecs field as
// reel.ParseCodecs does (H.264 always among them, returned first), but
// an empty value is an error: a flag must name its codecs.
func ParseCodecs(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("codecs %q: none given; h264 at least", s)
	}
	codecs, err := reel.ParseCodecs(s)
	if err != nil {
		return nil, errors.New(reel.ErrorMessage(err))
	}
	return codecs, nil
}

// WithCodecs adds to the plan, after its H.264 rungs, the same rungs in
// each other codec of codecs (as ParseCodecs returns them): same sizes,
// the codec's CRF, and a peak rate scaled down by its efficiency. They
// are encoded from the same decode and split as the H.264 rungs. An
// audio-only plan is left as it is.
func (plan *Plan) WithCodecs(codecs []string) *Plan {
	if plan.AudioOnly {
		return plan
	}
	base := slices.Clone(plan.Rungs)
	for _, name := range codecs {
		c := codecOf(name)
		if c.name == H264 {
			continue
		}
		for _, r := range base {
			r.Name += c.suffix
			r.Codec = c.name
			r.CRF = c.crf
			r.MaxRate = int(math.Round(float64(r.MaxRate)*c.rate/1000)) * 1000
			r.BufSize = 2 * r.MaxRate
			plan.Rungs = append(plan.Rungs, r)
		}
	}
	return plan
}

// h264Rungs returns the H.264 rungs of the plan, smallest first.
func (plan *Plan) h264Rungs() []Rung {
	var out []Rung
	for _, r := range plan.Rungs {
		if codecOf(r.Codec).name == H264 {
			out = append(out, r)
		}
	}
	return out
}

// encoderArgs returns the options of video output stream i, rung r: its
// encoder, how hard it works, and its keyframes on the ladder's grid.
func encoderArgs(i int, r Rung, gop int) []string {
	opt := func(name string) string { return fmt.Sprintf("-%s:v:%d", name, i) }
	c := codecOf(r.Codec)
	args := []string{opt("c"), c.encoder}
	switch c.name {
	case H264:
		// H.264 High plays on every device sold in the last decade;
		// veryfast is the usual trade of size for speed on a VOD farm.
		args = append(args, opt("preset"), "veryfast", opt("profile"), "high")
	case HEVC:
		args = append(args,
			// Main profile, 8-bit; "faster" keeps x265 within a few times
			// x264's veryfast.
			opt("preset"), "faster", opt("profile"), "main",
			// hvc1: parameter sets in the sample entry only, the tag
			// Apple's players require for HEVC in fMP4.
			opt("tag"), "hvc1",
			// The GOP fixed and without scene-cut keyframes, as x264's;
			// x265's own log off (it writes to stderr, whose tail is the
			// failure reason).
			opt("x265-params"), fmt.Sprintf("keyint=%d:min-keyint=%d:scenecut=0:open-gop=0:log-level=error", gop, gop))
	case AV1:
		args = append(args,
			// Preset 10: SVT-AV1's fast end that still beats HEVC on size.
			opt("preset"), "10",
			// A closed GOP of the ladder's length (keyint), no scene-cut
			// keyframes, so segments of every codec line up.
			opt("svtav1-params"), fmt.Sprintf("keyint=%d:scd=0:irefresh-type=2", gop))
	}
	return append(args,
		// Capped CRF: constant quality, but never above the rung's peak
		// rate, so BANDWIDTH stays near what the rung promises.
		opt("crf"), strconv.Itoa(r.CRF),
		opt("maxrate"), kbps(r.MaxRate),
		opt("bufsize"), kbps(r.BufSize),
	)
}
