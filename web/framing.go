package web

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"reel"
)

// Message framing a client controls: request bodies with both
// Content-Length and Transfer-Encoding, Range units, multipart part
// headers.

// closeAfterChunked closes the connection after answering a request with
// a Transfer-Encoding. RFC 9112 §6.1 asks it when a request has both
// Transfer-Encoding and Content-Length (a request smuggling pattern: a
// proxy in front may have framed it by the other header); net/http reads
// such a body as chunked but drops Content-Length before a handler could
// see it, and keeps the connection. So reel closes after every chunked
// request: browsers never send one, and tools that do (curl -T -) pay one
// reconnection.
func closeAfterChunked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// ignoreOtherRangeUnits drops a Range header whose unit is not bytes (RFC
// 9110 §14.2: a server ignores a Range with a unit it does not know, and
// answers 200), and spells the bytes unit, which is case-insensitive, as
// net/http expects it.
func ignoreOtherRangeUnits(r *http.Request) {
	v := r.Header.Get("Range")
	if v == "" {
		return
	}
	unit, specs, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		r.Header.Del("Range")
		return
	}
	r.Header.Set("Range", "bytes="+specs)
}

// maxPartHeader bounds the headers of one part of a multipart/form-data
// body. mime/multipart accepts up to 10 MiB of them and buffers them.
const maxPartHeader = 16 << 10

// errPartHeader refuses a part whose headers pass maxPartHeader.
var errPartHeader = reel.Errorf(reel.EINVALID, "A part of the multipart body has more than %d KiB of headers.", maxPartHeader>>10)

// partHeaderLimit passes a multipart body through, failing with
// errPartHeader once the headers of a part (from the delimiter line to
// the blank line) pass max bytes. It only looks for the delimiter and the
// blank line, so file bytes cost a search, not a copy.
type partHeaderLimit struct {
	r        io.Reader
	delim    []byte // "\r\n--" + boundary
	max      int
	inHeader bool
	n        int    // header bytes of the current part so far
	tail     []byte // the last bytes seen, which a pattern may start in
	err      error
}

func newPartHeaderLimit(r io.Reader, boundary string, max int) *partHeaderLimit {
	// The body starts with the delimiter without its CRLF: pretend one.
	return &partHeaderLimit{r: r, delim: []byte("\r\n--" + boundary), max: max, tail: []byte("\r\n")}
}

var blankLine = []byte("\r\n\r\n")

func (l *partHeaderLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	if serr := l.scan(p[:n]); serr != nil {
		l.err = serr
		return 0, serr
	}
	return n, err
}

// scan follows b through delimiters and header blocks.
func (l *partHeaderLimit) scan(b []byte) error {
	for len(b) > 0 {
		pat := l.delim
		if l.inHeader {
			pat = blankLine
		}
		end := -1
		// A match may start in the tail of the previous read.
		joined := append(l.tail[:len(l.tail):len(l.tail)], b[:min(len(b), len(pat)-1)]...)
		if i := bytes.Index(joined, pat); i >= 0 {
			end = i + len(pat) - len(l.tail)
		} else if i := bytes.Index(b, pat); i >= 0 {
			end = i + len(pat)
		}
		if end < 0 {
			if l.inHeader {
				if l.n += len(b); l.n > l.max {
					return errPartHeader
				}
			}
			keep := append(l.tail, b[max(0, len(b)-len(pat)+1):]...)
			l.tail = append(l.tail[:0], keep[max(0, len(keep)-len(pat)+1):]...)
			return nil
		}
		if l.inHeader {
			if l.n += end; l.n > l.max {
				return errPartHeader
			}
		}
		l.inHeader, l.n, l.tail = !l.inHeader, 0, l.tail[:0]
		b = b[end:]
	}
	return nil
}
