package reel

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanNames(t *testing.T) {
	for in, want := range map[string]string{
		"clip.mp4":               "clip.mp4",
		`C:\Users\me\clip.mp4`:   "clip.mp4",
		"../../etc/passwd":       "passwd",
		"..":                     "",
		"/":                      "",
		"evil\u202Efdp.mp4":      "evilfdp.mp4",
		strings.Repeat("é", 200): strings.Repeat("é", 127),
	} {
		if got := CleanFilename(in); got != want {
			t.Errorf("CleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
	if got, err := CleanTitle("  My\u200B clip \n"); err != nil || got != "My clip" {
		t.Errorf("CleanTitle = %q, %v", got, err)
	}
	if _, err := CleanTitle(strings.Repeat("x", MaxTitleBytes+1)); ErrorCode(err) != EINVALID {
		t.Errorf("an overlong title: %v, want EINVALID", err)
	}
	if got, err := CleanTitle(strings.Repeat("x", MaxTitleBytes)); err != nil || len(got) != MaxTitleBytes {
		t.Errorf("a title of the limit: %d bytes, %v", len(got), err)
	}
}

func TestValidate(t *testing.T) {
	good := func() *Video {
		return &Video{ID: NewID(), Status: StatusUploading, OriginalKey: "k", Title: "t", Filename: "f.mp4", ContentType: "video/mp4"}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("a good video: %v", err)
	}
	for name, change := range map[string]func(*Video){
		"bad id":         func(v *Video) { v.ID = "../x" },
		"no key":         func(v *Video) { v.OriginalKey = "" },
		"bad status":     func(v *Video) { v.Status = "done" },
		"bad visibility": func(v *Video) { v.Visibility = "secret" },
		"long title":     func(v *Video) { v.Title = strings.Repeat("x", MaxTitleBytes+1) },
		"hidden title":   func(v *Video) { v.Title = "a\u202Eb" },
		"path filename":  func(v *Video) { v.Filename = "a/b.mp4" },
		"long type":      func(v *Video) { v.ContentType = strings.Repeat("x", MaxContentTypeBytes+1) },
		"negative size":  func(v *Video) { v.Size = -1 },
	} {
		v := good()
		change(v)
		if err := v.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestCleanDescription(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"  two\r\nlines\r  ":           "two\nlines",
		"tab\there":                    "tab    here",
		"bidi\u202eover\u200bride\x00": "bidioverride",
		"\n\nkept\n\ninside\n\n":       "kept\n\ninside",
	} {
		got, err := CleanDescription(in)
		if err != nil || got != want {
			t.Errorf("CleanDescription(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := CleanDescription(strings.Repeat("x", MaxDescriptionBytes+1)); ErrorCode(err) != EINVALID {
		t.Errorf("a long description: %v, want invalid", err)
	}
	v := &Video{ID: NewID(), OriginalKey: "k", Status: StatusQueued, Description: "a\x07b"}
	if err := v.Validate(); ErrorCode(err) != EINVALID {
		t.Errorf("Validate of an unclean description: %v", err)
	}
}

func TestCleanKeyName(t *testing.T) {
	for in, ok := range map[string]bool{"alice": true, "  ci bot  ": true, "": false, "  ": false,
		"a\u202eb": false, "a\nb": false, strings.Repeat("n", 100): true, strings.Repeat("n", 101): false} {
		if _, err := CleanKeyName(in); (err == nil) != ok {
			t.Errorf("CleanKeyName(%q) = %v, want ok %v", in, err, ok)
		}
	}
}

// FuzzCleanDescription: whatever a client sends, a description comes out
// valid UTF-8, without control or invisible characters but line breaks,
// trimmed, no longer than sent, and cleaning it again changes nothing
// (so Validate accepts it).
func FuzzCleanDescription(f *testing.F) {
	f.Add("two\r\nlines\t")
	f.Add("bidi\u202eover\u200bride\x00")
	f.Add("\xff\xfe broken")
	f.Add(strings.Repeat("\xffa\n", MaxDescriptionBytes/3)) // grows as U+FFFD replaces each byte
	f.Fuzz(func(t *testing.T, in string) {
		out, err := CleanDescription(in)
		if len(in) > MaxDescriptionBytes {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("a description of %d bytes: %v", len(in), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(out) || out != strings.TrimSpace(out) {
			t.Fatalf("CleanDescription(%q) = %q", in, out)
		}
		for _, r := range out {
			if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
				t.Fatalf("CleanDescription(%q) kept %U", in, r)
			}
		}
		if again, err := CleanDescription(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", in, out, again, err)
		}
		if len(out) > MaxDescriptionBytes {
			t.Fatalf("CleanDescription(%q) is %d bytes", in, len(out))
		}
	})
}
