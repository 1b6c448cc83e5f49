package reel

import (
	"slices"
	"strings"
)

// The video codecs a ladder may have, by the names --codecs and a video's
// codecs field take. H.264 is always among a video's codecs: every player
// can fall back to it.
const (
	CodecH264 = "h264"
	CodecHEVC = "hevc"
	CodecAV1  = "av1"
)

// VideoCodecs returns the codecs reel encodes, in the order their variants
// appear in a master playlist.
func VideoCodecs() []string { return []string{CodecH264, CodecHEVC, CodecAV1} }

// ParseCodecs reads the codecs option of an upload as every entry point
// receives it (form field, JSON, tus metadata): codec names separated by
// commas, in any case and order, h264 among them, each at most once. It
// returns them in the master's order, H.264 first, or nil for "" (not
// given: the server's default). Anything else is an EINVALID error naming
// what is wrong: an unknown codec must never be dropped silently.
func ParseCodecs(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if !slices.Contains(VideoCodecs(), f) {
			return nil, Errorf(EINVALID, "codecs %q: %q is not one of h264, hevc, av1.", s, f)
		}
		if seen[f] {
			return nil, Errorf(EINVALID, "codecs %q: %s is given twice.", s, f)
		}
		seen[f] = true
	}
	if !seen[CodecH264] {
		return nil, Errorf(EINVALID, "codecs %q: must include h264, which every player can fall back to.", s)
	}
	var out []string
	for _, c := range VideoCodecs() {
		if seen[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// ParseDownloads reads the downloads option of an upload as every entry
// point receives it as text (form field, tus metadata), with the
// spellings of ParseEncrypt, but "" (not given) is nil: the server's
// default. Anything else is an EINVALID error.
func ParseDownloads(s string) (*bool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	b, err := ParseEncrypt(s)
	if err != nil {
		return nil, Errorf(EINVALID, "downloads must be true or false.")
	}
	return &b, nil
}
