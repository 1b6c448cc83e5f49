package hls

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// Codecs returns the RFC 6381 codecs string of an fMP4 initialization
// segment, video first: "avc1.64001f,mp4a.40.2". It reads the values the
// decoder will see, from the sample entries in moov/trak/mdia/minf/stbl/stsd:
// profile, constraint flags and level from avcC for H.264, the object type
// and audio object type from esds for AAC.
func Codecs(init []byte) (string, error) {
	moov, ok := findBox(init, "moov")
	if !ok {
		return "", errors.New("hls: init segment has no moov box")
	}
	var video, audio []string
	for _, trak := range boxes(moov) {
		if trak.typ != "trak" {
			continue
		}
		stsd, ok := findPath(trak.body, "mdia", "minf", "stbl", "stsd")
		if !ok || len(stsd) < 8 {
			return "", errors.New("hls: track without stsd box")
		}
		// stsd is a full box (version, flags) with an entry count.
		for _, entry := range boxes(stsd[8:]) {
			codec, isVideo, err := sampleEntryCodec(entry)
			if err != nil {
				return "", err
			}
			if isVideo {
				video = append(video, codec)
			} else {
				audio = append(audio, codec)
			}
		}
	}
	if len(video)+len(audio) == 0 {
		return "", errors.New("hls: init segment has no sample entry")
	}
	return strings.Join(append(video, audio...), ","), nil
}

// Sizes of the fixed fields of sample entries (ISO/IEC 14496-12) before
// their child boxes.
const (
	visualSampleEntry = 78
	audioSampleEntry  = 28
)

// sampleEntryCodec returns the codecs string of one sample entry.
func sampleEntryCodec(e box) (codec string, isVideo bool, err error) {
	switch e.typ {
	case "avc1", "avc3":
		if len(e.body) < visualSampleEntry {
			return "", false, fmt.Errorf("hls: short %s sample entry", e.typ)
		}
		avcC, ok := findBox(e.body[visualSampleEntry:], "avcC")
		if !ok || len(avcC) < 4 {
			return "", false, fmt.Errorf("hls: %s sample entry without avcC", e.typ)
		}
		// configurationVersion, AVCProfileIndication, profile_compatibility,
		// AVCLevelIndication.
		return fmt.Sprintf("%s.%02x%02x%02x", e.typ, avcC[1], avcC[2], avcC[3]), true, nil
	case "hvc1", "hev1":
		if len(e.body) < visualSampleEntry {
			return "", false, fmt.Errorf("hls: short %s sample entry", e.typ)
		}
		hvcC, ok := findBox(e.body[visualSampleEntry:], "hvcC")
		if !ok || len(hvcC) < 13 {
			return "", false, fmt.Errorf("hls: %s sample entry without hvcC", e.typ)
		}
		return e.typ + "." + hevcCodec(hvcC), true, nil
	case "av01":
		if len(e.body) < visualSampleEntry {
			return "", false, errors.New("hls: short av01 sample entry")
		}
		av1C, ok := findBox(e.body[visualSampleEntry:], "av1C")
		if !ok || len(av1C) < 4 {
			return "", false, errors.New("hls: av01 sample entry without av1C")
		}
		return "av01." + av1Codec(av1C), true, nil
	case "mp4a":
		if len(e.body) < audioSampleEntry {
			return "", false, errors.New("hls: short mp4a sample entry")
		}
		esds, ok := findBox(e.body[audioSampleEntry:], "esds")
		if !ok || len(esds) < 4 {
			return "", false, errors.New("hls: mp4a sample entry without esds")
		}
		c, err := esdsCodec(esds[4:]) // skip version and flags
		return c, false, err
	}
	return "", false, fmt.Errorf("hls: unsupported sample entry %q", e.typ)
}

// esdsCodec returns "mp4a.OO.A" from an ES_Descriptor (ISO/IEC 14496-1):
// OO the object type indication in hex (40 for MPEG-4 audio), A the audio
// object type from the AudioSpecificConfig (2 for AAC-LC).
func esdsCodec(b []byte) (string, error) {
	tag, es, _, ok := descriptor(b)
	if !ok || tag != 0x03 || len(es) < 3 {
		return "", errors.New("hls: esds without ES_Descriptor")
	}
	// ES_ID, then flags telling which optional fields follow.
	flags := es[2]
	es = es[3:]
	if flags&0x80 != 0 { // streamDependenceFlag: dependsOn_ES_ID
		es = skip(es, 2)
	}
	if flags&0x40 != 0 && len(es) > 0 { // URL_Flag: length-prefixed URL
		es = skip(es, 1+int(es[0]))
	}
	if flags&0x20 != 0 { // OCRstreamFlag: OCR_ES_Id
		es = skip(es, 2)
	}
	tag, dc, _, ok := descriptor(es)
	if !ok || tag != 0x04 || len(dc) < 13 {
		return "", errors.New("hls: esds without DecoderConfigDescriptor")
	}
	oti := dc[0]
	if oti != 0x40 {
		return fmt.Sprintf("mp4a.%02x", oti), nil // e.g. MP3 (6b): no audio object type
	}
	// objectTypeIndication, streamType, bufferSizeDB (3), maxBitrate (4),
	// avgBitrate (4), then DecoderSpecificInfo: the AudioSpecificConfig.
	tag, asc, _, ok := descriptor(dc[13:])
	if !ok || tag != 0x05 || len(asc) < 1 {
		return "", errors.New("hls: esds without AudioSpecificConfig")
	}
	aot := int(asc[0] >> 3)
	if aot == 31 { // escape: the real type is 32 + the next 6 bits
		if len(asc) < 2 {
			return "", errors.New("hls: short AudioSpecificConfig")
		}
		aot = 32 + (int(asc[0]&7)<<3 | int(asc[1]>>5))
	}
	return fmt.Sprintf("mp4a.40.%d", aot), nil
}

// descriptor splits b into its first descriptor's tag and body and what
// follows. Sizes use 7 bits per byte, high bit set on all but the last.
func descriptor(b []byte) (tag byte, body, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	tag, b = b[0], b[1:]
	size := 0
	for i := 0; i < 4; i++ {
		if len(b) == 0 {
			return 0, nil, nil, false
		}
		c := b[0]
		b = b[1:]
		size = size<<7 | int(c&0x7f)
		if c&0x80 == 0 {
			break
		}
	}
	if size > len(b) {
		return 0, nil, nil, false
	}
	return tag, b[:size], b[size:], true
}

// skip drops n bytes from the front of b, or all of it.
func skip(b []byte, n int) []byte {
	if n > len(b) {
		return nil
	}
	return b[n:]
}

// box is one ISO BMFF box: its four-character type and its body.
type box struct {
	typ  string
	body []byte
}

// boxes splits b into consecutive boxes, stopping at the first malformed
// one.
func boxes(b []byte) []box {
	var out []box
	for len(b) >= 8 {
		size := uint64(binary.BigEndian.Uint32(b))
		typ := string(b[4:8])
		header := uint64(8)
		switch size {
		case 0: // runs to the end
			size = uint64(len(b))
		case 1: // 64-bit size follows the type
			if len(b) < 16 {
				return out
			}
			size, header = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < header || size > uint64(len(b)) {
			return out
		}
		out = append(out, box{typ, b[header:size]})
		b = b[size:]
	}
	return out
}

// findBox returns the body of the first box of type typ in b.
func findBox(b []byte, typ string) ([]byte, bool) {
	for _, x := range boxes(b) {
		if x.typ == typ {
			return x.body, true
		}
	}
	return nil, false
}

// findPath descends through nested boxes of the given types.
func findPath(b []byte, path ...string) ([]byte, bool) {
	for _, typ := range path {
		var ok bool
		if b, ok = findBox(b, typ); !ok {
			return nil, false
		}
	}
	return b, true
}

// hevcCodec returns the part of an HEVC codecs string after "hvc1.", from
// the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 annex E.3):
// profile space (none, A, B or C) and profile, the 32 compatibility flags
// in reverse bit order in hex, tier (L or H) and level, then the six
// constraint bytes in hex with trailing zero bytes left out:
// "1.6.L93.B0" for Main at level 3.1.
func hevcCodec(hvcC []byte) string {
	space := []string{"", "A", "B", "C"}[hvcC[1]>>6]
	tier := "L"
	if hvcC[1]&0x20 != 0 {
		tier = "H"
	}
	profile := hvcC[1] & 0x1f
	compat := bits.Reverse32(binary.BigEndian.Uint32(hvcC[2:6]))
	s := fmt.Sprintf("%s%d.%X.%s%d", space, profile, compat, tier, hvcC[12])
	constraints := hvcC[6:12]
	n := len(constraints)
	for n > 0 && constraints[n-1] == 0 {
		n--
	}
	for _, c := range constraints[:n] {
		s += fmt.Sprintf(".%X", c)
	}
	return s
}

// av1Codec returns the part of an AV1 codecs string after "av01.", from
// the AV1CodecConfigurationRecord (AV1 ISOBMFF binding, section 2.3.3 and
// the codecs parameter of its annex): profile, two-digit level and tier
// (M or H), bit depth: "0.08M.08" for Main profile, level 4.0, 8 bits.
// The optional colour fields are left out, which means 4:2:0 BT.709.
func av1Codec(av1C []byte) string {
	profile := av1C[1] >> 5
	level := av1C[1] & 0x1f
	tier := "M"
	if av1C[2]&0x80 != 0 {
		tier = "H"
	}
	depth := 8
	switch high, twelve := av1C[2]&0x40 != 0, av1C[2]&0x20 != 0; {
	case high && twelve && profile == 2:
		depth = 12
	case high:
		depth = 10
	}
	return fmt.Sprintf("%d.%02d%s.%02d", profile, level, tier, depth)
}
