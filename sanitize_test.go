package reel

import "testing"

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain title":                      "plain title",
		"evil\u202Efdp.exe":                "evilfdp.exe", // right-to-left override
		"a\u202Ab\u202Bc\u202Cd\u202De":    "abcde",
		"a\u2066b\u2067c\u2068d\u2069e":    "abcde", // isolates
		"a\u200Eb\u200Fc":                  "abc",   // direction marks
		"zero\u200Bwidth\uFEFFspace\u00AD": "zerowidthspace",
		"tag\U000E0041s":                   "tags",
		"c0\x00\x1f\x7fc1\u0085\u009f":     "c0c1",
		"été 東京 🎬":                         "été 東京 🎬",
		"bad \xff utf-8":                   "bad \uFFFD utf-8",
	} {
		if got := Sanitize(in, 500); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Sanitize("ééé", 5); got != "éé" {
		t.Errorf("cut on a rune boundary: %q", got)
	}
}

func TestParseFields(t *testing.T) {
	for in, want := range map[string]bool{"true": true, " TRUE ": true, "1": true, "yes": true, "on": true,
		"false": false, "0": false, "no": false, "Off": false, "": false} {
		if got, err := ParseEncrypt(in); err != nil || got != want {
			t.Errorf("ParseEncrypt(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"maybe", "ture", "2", "-1", "true\u200b", "y", "t", "truefalse"} {
		if _, err := ParseEncrypt(in); ErrorCode(err) != EINVALID {
			t.Errorf("ParseEncrypt(%q): %v, want EINVALID", in, err)
		}
	}
	for in, want := range map[string]Visibility{"public": VisibilityPublic, " private ": VisibilityPrivate, "unlisted": VisibilityUnlisted, "": ""} {
		if got, err := ParseVisibility(in); err != nil || got != want {
			t.Errorf("ParseVisibility(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"Public", "PRIVATE", "hidden", "public,private", "public\u202e"} {
		if _, err := ParseVisibility(in); ErrorCode(err) != EINVALID {
			t.Errorf("ParseVisibility(%q): %v, want EINVALID", in, err)
		}
	}
}
