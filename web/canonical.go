package web

import (
	"net/http"
	"net/url"
	"strings"

	"reel"
)

// Every request path has one spelling reel answers to. Layers that read a
// path differently (ServeMux unescapes wildcards, tusd trims slashes, a
// check may look at the raw path) would otherwise act on one resource
// while a check looked at another; so no request whose path is spelled in
// any other way reaches a handler. The canonical spelling is the one Go
// RFC 3986 calls normal (§6.2.2): percent-escapes in upper case and
// never of a letter, digit, "-", ".", "_", "~" or "/"; no "%" left once
// decoded (no double encoding), no backslash, and no
// empty, "." or ".." segments, no control characters and no trailing
// slash except on the routes that end in one.

// dirRoutes are the paths that end in a slash: the page and the tus
// endpoint's creation URL.
var dirRoutes = map[string]bool{"/": true, "/api/uploads/": true}

// pathError says why a path is refused; Status is 400 for a malformed
// path and 404 for a well-formed one spelled other than its canonical way
// (nothing is at that URL).
type pathError struct {
	Status int
	Reason string
}

func (e *pathError) Error() string { return e.Reason }

// checkPath reports whether escaped, a request path as the client spelled
// it, is canonical; see the top of this file.
func checkPath(escaped string) *pathError {
	if !strings.HasPrefix(escaped, "/") {
		return &pathError{http.StatusBadRequest, "The path must start with a slash."}
	}
	decoded, err := url.PathUnescape(escaped)
	if err != nil {
		return &pathError{http.StatusBadRequest, "The path has a malformed percent-escape."}
	}
	for _, r := range decoded {
		if r < 0x20 || r == 0x7f {
			return &pathError{http.StatusBadRequest, "The path holds a control character."}
		}
	}
	if !normalEscapes(escaped) {
		return &pathError{http.StatusNotFound, "Not found: the path is spelled with percent-escapes it does not need (such as %2F, %2E or a letter) or in lower case; send it unescaped."}
	}
	if strings.ContainsAny(decoded, "\\%") {
		// No reel URL holds either; a "%" left after decoding is double
		// encoding, which a second decoder would read differently.
		return &pathError{http.StatusNotFound, "Not found: the path holds a backslash or an escaped \"%\" (%25, double encoding)."}
	}
	segments := strings.Split(decoded[1:], "/")
	for i, seg := range segments {
		switch {
		case seg == "." || seg == "..":
			return &pathError{http.StatusNotFound, "Not found: the path has a \".\" or \"..\" segment."}
		case seg == "" && i < len(segments)-1:
			return &pathError{http.StatusNotFound, "Not found: the path has an empty segment (\"//\")."}
		case seg == "" && !dirRoutes[decoded]:
			return &pathError{http.StatusNotFound, "Not found: this path takes no trailing slash."}
		}
	}
	return nil
}

// canonicalOnly answers every request whose path is not canonical with
// the reason, before any handler sees it. /api/ answers in JSON as the
// rest of the API; other paths in plain text.
func (s *Server) canonicalOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := r.URL.RawPath // set by Go only when the client's spelling differs from the default
		if raw == "" {
			raw = r.URL.EscapedPath()
		}
		if err := checkPath(raw); err != nil {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				code := reel.ENOTFOUND
				if err.Status == http.StatusBadRequest {
					code = reel.EINVALID
				}
				s.error(w, r, reel.Errorf(code, "%s", err.Reason))
				return
			}
			http.Error(w, err.Reason, err.Status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// normalEscapes reports whether every byte of escaped is a path character
// of RFC 3986 (unreserved, sub-delims, ":", "@", "/") or an upper-case
// percent-escape of a byte that needs one: not unreserved, not "/".
func normalEscapes(escaped string) bool {
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		if c != '%' {
			if !unreserved(c) && !strings.ContainsRune("!$&'()*+,;=:@/", rune(c)) {
				return false
			}
			continue
		}
		if i+2 >= len(escaped) || !upperHex(escaped[i+1]) || !upperHex(escaped[i+2]) {
			return false
		}
		b := unhex(escaped[i+1])<<4 | unhex(escaped[i+2])
		if unreserved(b) || b == '/' {
			return false
		}
		i += 2
	}
	return true
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func upperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}
