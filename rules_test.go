package reel

import (
	"strings"
	"testing"
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
