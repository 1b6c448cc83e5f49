package reel

import (
	"strings"
	"testing"
)

func TestParseCodecs(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "", // not given: the server's default
		"  ":                "",
		"h264":              "h264",
		"hevc,h264":         "h264,hevc",
		" AV1 , H264 ,hevc": "h264,hevc,av1",
	} {
		got, err := ParseCodecs(in)
		if err != nil || strings.Join(got, ",") != want || (want == "") != (got == nil) {
			t.Errorf("ParseCodecs(%q) = %#v, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"hevc", "av1,hevc", "h264,vp9", "h264,h264", "h264,", ",h264", "h264;hevc", "h264,hevc\u200b", "x264"} {
		if got, err := ParseCodecs(in); ErrorCode(err) != EINVALID {
			t.Errorf("ParseCodecs(%q) = %v, %v; want EINVALID", in, got, err)
		}
	}
}

func TestParseDownloads(t *testing.T) {
	for in, want := range map[string]string{"": "nil", " ": "nil", "true": "true", "ON": "true", "1": "true", "no": "false", "0": "false"} {
		got, err := ParseDownloads(in)
		s := "nil"
		if got != nil {
			s = map[bool]string{true: "true", false: "false"}[*got]
		}
		if err != nil || s != want {
			t.Errorf("ParseDownloads(%q) = %s, %v; want %s", in, s, err, want)
		}
	}
	for _, in := range []string{"maybe", "2", "true\u200b", "null"} {
		if _, err := ParseDownloads(in); ErrorCode(err) != EINVALID {
			t.Errorf("ParseDownloads(%q): %v, want EINVALID", in, err)
		}
	}
}
