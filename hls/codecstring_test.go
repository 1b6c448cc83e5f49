package hls

import "testing"

// TestNewCodecStrings checks the HEVC and AV1 codecs strings against the
// examples of ISO/IEC 14496-15 annex E and the AV1 ISOBMFF binding.
func TestNewCodecStrings(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		got        func() string
	}{
		// Main, level 3.1, compatible with Main (flags 0x60000000), the
		// progressive-source and frame-only constraint bits (0xB0).
		{"hevc main", "1.6.L93.B0", func() string {
			return hevcCodec([]byte{1, 0x01, 0x60, 0, 0, 0, 0xB0, 0, 0, 0, 0, 0, 93})
		}},
		// Main 10, high tier, level 4.0, profile space B (2).
		{"hevc main10 high tier", "B2.4.H120.90.1", func() string {
			return hevcCodec([]byte{1, 0x80 | 0x20 | 0x02, 0x20, 0, 0, 0, 0x90, 0x01, 0, 0, 0, 0, 120})
		}},
		// Main profile, level 4.0 (seq_level_idx 8), main tier, 8-bit.
		{"av1 8-bit", "0.08M.08", func() string { return av1Codec([]byte{0x81, 0x08, 0x0C, 0}) }},
		// High tier, 10-bit.
		{"av1 10-bit high tier", "0.13H.10", func() string { return av1Codec([]byte{0x81, 0x0D, 0x80 | 0x40 | 0x0C, 0}) }},
		// Professional profile, 12-bit.
		{"av1 12-bit", "2.05M.12", func() string { return av1Codec([]byte{0x81, 2<<5 | 5, 0x40 | 0x20, 0}) }},
	} {
		if got := tt.got(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
