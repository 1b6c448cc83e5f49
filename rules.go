package reel

import (
	"path"
	"strings"
)

// Limits of what a client names a video with, at every entry point.
const (
	MaxTitleBytes       = 500
	MaxDescriptionBytes = 5000
	MaxFilenameBytes    = 255
	MaxContentTypeBytes = 100
)

// CleanTitle returns a client's title ready to store: refused (EINVALID)
// over MaxTitleBytes as sent, then without invisible characters
// (Sanitize) and surrounding space.
func CleanTitle(title string) (string, error) {
	if len(title) > MaxTitleBytes {
		return "", Errorf(EINVALID, "The title is longer than %d bytes.", MaxTitleBytes)
	}
	return strings.TrimSpace(Sanitize(title, MaxTitleBytes)), nil
}

// CleanDescription returns a client's description ready to store:
// refused (EINVALID) over MaxDescriptionBytes as sent; line breaks kept
// (as \n), tabs turned into spaces, every other control or invisible
// character removed (Sanitize), surrounding space trimmed.
func CleanDescription(d string) (string, error) {
	if len(d) > MaxDescriptionBytes {
		return "", Errorf(EINVALID, "The description is longer than %d bytes.", MaxDescriptionBytes)
	}
	d = strings.ReplaceAll(strings.ReplaceAll(d, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(d, "\n")
	for i, l := range lines {
		// Sanitize would drop tabs (control characters) and join words.
		lines[i] = Sanitize(strings.ReplaceAll(l, "\t", "    "), MaxDescriptionBytes)
	}
	d = strings.TrimSpace(strings.Join(lines, "\n"))
	// Invalid bytes become U+FFFD, three bytes each: cut what grew.
	if len(d) > MaxDescriptionBytes {
		cut := MaxDescriptionBytes
		for cut > 0 && !utf8RuneStart(d[cut]) {
			cut--
		}
		d = strings.TrimSpace(d[:cut])
	}
	return d, nil
}

// FoldTitle returns a title or a search of titles in the one case that
// searches compare: lower case, by Unicode's rules (strings.ToLower), the
// same whatever the database.
func FoldTitle(s string) string { return strings.ToLower(s) }

// CleanFilename keeps the last element of a client's file name, as valid
// UTF-8 without control or invisible characters, at most MaxFilenameBytes
// long. It is only ever shown, never used as a path or key.
func CleanFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	return Sanitize(name, MaxFilenameBytes)
}

// CleanContentType returns a client's declared content type as stored:
// sanitized, at most MaxContentTypeBytes long. reel never trusts it; it
// is shown and kept for the original.
func CleanContentType(t string) string { return Sanitize(t, MaxContentTypeBytes) }

// Validate checks what a video carries from its client before it is
// stored: a valid id and original key, a known state and visibility,
// names within their limits and clean. Every entry point's new video
// passes it.
func (v *Video) Validate() error {
	switch {
	case !ValidID(v.ID):
		return Errorf(EINVALID, "The video id %q is not valid.", v.ID)
	case v.OriginalKey == "":
		return Errorf(EINVALID, "The video has no original key.")
	case !validStatus(v.Status):
		return Errorf(EINVALID, "The status %q is not a video's state.", v.Status)
	case v.Visibility != "" && !ValidVisibility(v.Visibility):
		return Errorf(EINVALID, "visibility must be public, unlisted or private.")
	case len(v.Title) > MaxTitleBytes || v.Title != strings.TrimSpace(Sanitize(v.Title, MaxTitleBytes)):
		return Errorf(EINVALID, "The title is longer than %d bytes or holds characters that cannot be shown.", MaxTitleBytes)
	case !validDescription(v.Description):
		return Errorf(EINVALID, "The description is longer than %d bytes or holds characters that cannot be shown.", MaxDescriptionBytes)
	case v.Filename != CleanFilename(v.Filename):
		return Errorf(EINVALID, "The file name is longer than %d bytes or holds characters that cannot be shown.", MaxFilenameBytes)
	case v.ContentType != CleanContentType(v.ContentType):
		return Errorf(EINVALID, "The content type is longer than %d bytes or holds characters that cannot be shown.", MaxContentTypeBytes)
	case v.Size < 0:
		return Errorf(EINVALID, "The size is negative.")
	}
	return nil
}

func validDescription(d string) bool {
	clean, err := CleanDescription(d)
	return err == nil && clean == d
}

// ValidStatus reports whether s is one of a video's states.
func ValidStatus(s Status) bool { return validStatus(s) }

func validStatus(s Status) bool {
	switch s {
	case StatusUploading, StatusQueued, StatusProcessing, StatusReady, StatusFailed:
		return true
	}
	return false
}
