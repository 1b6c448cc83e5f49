package web

import (
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"reel"
)

// mediaTypes are the Content-Types Apple's HLS spec asks for, by extension.
var mediaTypes = map[string]string{
	".m3u8": "application/vnd.apple.mpegurl",
	".m4s":  "video/iso.segment",
	".mp4":  "video/mp4",
	".jpg":  "image/jpeg",
	".vtt":  "text/vtt; charset=utf-8",
	".key":  "application/octet-stream", // reel.ContentKey of an encrypted video
	".m4a":  "audio/mp4",                // reel.DownloadAudio
}

// fileName is what one element of a path under a video's prefix may be:
// letters, digits, '_', '-', '.', not starting with a dot.
var fileName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$`)

// handlePlay serves a video's outputs to players. The token is checked
// before anything else, so a bad one costs no storage access. Playlists
// are small and read often: they are held in memory and gzipped; segments
// are immutable and streamed from the store with Range support.
func (s *Server) handlePlay(w http.ResponseWriter, r *http.Request) {
	s.cors(w)
	id, file := r.PathValue("id"), r.PathValue("file")
	// An id no video can have is refused before its token is even read,
	// so that no token, however obtained, names a path outside a prefix.
	if !reel.ValidID(id) {
		s.error(w, r, reel.Errorf(reel.ENOTFOUND, "No such video."))
		return
	}
	if err := s.verifyPlay(r, id); err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.playAllowed(r, id); err != nil {
		s.error(w, r, err)
		return
	}
	ctype, ok := mediaTypes[path.Ext(file)]
	if !ok || !validFile(file) {
		s.error(w, r, reel.Errorf(reel.ENOTFOUND, "No such file."))
		return
	}
	key := reel.OutputPrefix(id) + file
	w.Header().Set("Content-Type", ctype)
	if strings.HasSuffix(file, ".m3u8") {
		s.servePlaylist(w, r, key)
		return
	}
	b, err := s.Outputs.Open(r.Context(), key)
	if err != nil {
		s.error(w, r, err)
		return
	}
	defer b.Close()
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	if file == reel.ContentKey {
		// Only a holder of a valid token may have the key: no shared cache
		// keeps it for the next one.
		w.Header().Set("Cache-Control", "private, no-store")
	}
	if isDownload(file) {
		s.setDownloadHeaders(w, r, id, file)
	}
	if refuseEmptyRanges(w, r, b.Size()) {
		return
	}
	var content io.ReadSeeker = b
	if f, ok := b.(interface{ OSFile() *os.File }); ok {
		content = f.OSFile() // a local file goes out with sendfile(2)
	}
	http.ServeContent(w, r, "", b.ModTime(), content)
}

// maxRanges is the most byte ranges one request may ask for, as nginx's
// max_ranges: each range of a multipart/byteranges answer costs a part
// header of ~100 bytes, so thousands of one-byte ranges would send many
// times the file. Players ask for one range; over the cap the whole file
// goes out (200), never more than its size.
const maxRanges = 16

// capRanges drops r's Range header when it lists more than maxRanges
// specs, so that ServeContent answers 200 with the whole file. Ranges
// whose total exceeds the file's size (overlapping, repeated) are already
// answered that way by ServeContent.
func capRanges(r *http.Request) {
	specs, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes=")
	if !ok || strings.Count(specs, ",") < maxRanges {
		return
	}
	n := 0
	for _, spec := range strings.Split(specs, ",") {
		if textproto.TrimString(spec) != "" { // ServeContent skips empty specs
			n++
		}
	}
	if n > maxRanges {
		r.Header.Del("Range")
	}
}

// refuseEmptyRanges answers 416 if r's Range has only "-0" specs, and
// drops them from a longer list; it reports whether it answered. It also
// applies the cap on the number of ranges (capRanges).
func refuseEmptyRanges(w http.ResponseWriter, r *http.Request, size int64) bool {
	ignoreOtherRangeUnits(r)
	capRanges(r)
	if dropEmptySuffixRanges(r) {
		return false
	}
	w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
	http.Error(w, "Requested range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
	return true
}

// dropEmptySuffixRanges removes the "-0" specs from r's Range header:
// ServeContent answers them with a 206 of no bytes and the impossible
// Content-Range "bytes N-(N-1)/N" (found by FuzzPlayRange), where RFC 9110
// makes them unsatisfiable. It reports false if no spec remains.
func dropEmptySuffixRanges(r *http.Request) bool {
	specs, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes=")
	if !ok || !strings.Contains(specs, "0") { // no zero length without a 0
		return true
	}
	var kept []string
	for _, spec := range strings.Split(specs, ",") {
		// As ServeContent reads it: "-", then a length that ParseInt reads
		// as zero ("0", "+00"...), trimmed as textproto.TrimString does.
		first, length, _ := strings.Cut(spec, "-")
		length = textproto.TrimString(length)
		if n, err := strconv.ParseInt(length, 10, 64); textproto.TrimString(first) == "" && err == nil && n == 0 && length[0] != '-' {
			continue
		}
		kept = append(kept, spec)
	}
	if len(kept) == 0 {
		return false
	}
	r.Header.Set("Range", "bytes="+strings.Join(kept, ","))
	return true
}

func validFile(file string) bool {
	for _, elem := range strings.Split(file, "/") {
		if !fileName.MatchString(elem) {
			return false
		}
	}
	return true
}

// servePlaylist answers from the in-memory cache, gzipped when the client
// takes it. A finished media playlist never changes, but is cached only
// for a minute so that another node's delete is seen soon; others for
// seconds, as they change while a video is published.
func (s *Server) servePlaylist(w http.ResponseWriter, r *http.Request, key string) {
	p, err := s.playlists.get(key, func() (*playlist, error) {
		b, err := s.Outputs.Open(r.Context(), key)
		if err != nil {
			return nil, err
		}
		defer b.Close()
		body, err := io.ReadAll(io.LimitReader(b, 16<<20))
		if err != nil {
			return nil, err
		}
		return newPlaylist(body, b.ModTime()), nil
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	// A finished media playlist stays as it is; a master playlist or an
	// EVENT playlist still growing may change within seconds.
	if p.final {
		w.Header().Set("Cache-Control", "public, max-age=60")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=2")
	}
	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Set("ETag", p.etag)
	body, gzipped := s.grantPlaylist(r, p)
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		body = gzipped
	}
	if plainGet(r) {
		// The common case, a player polling or a CDN filling its cache:
		// the whole playlist, without ServeContent's per-request parsing.
		h := w.Header()
		if p.lastModified != "" {
			h.Set("Last-Modified", p.lastModified)
		}
		h.Set("Accept-Ranges", "bytes")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
		return
	}
	if refuseEmptyRanges(w, r, int64(len(body))) {
		return
	}
	http.ServeContent(w, r, "", p.modTime, bytes.NewReader(body))
}

// plainGet reports whether r asks for the whole resource unconditionally:
// no Range, no If-* header.
func plainGet(r *http.Request) bool {
	for name := range r.Header {
		if name == "Range" || strings.HasPrefix(name, "If-") {
			return false
		}
	}
	return true
}

// cors lets players on any allowed origin fetch playlists and segments.
func (s *Server) cors(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", s.AllowOrigin)
	if s.AllowOrigin != "*" {
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range, Accept-Ranges")
}

func (s *Server) handlePlayPreflight(w http.ResponseWriter, r *http.Request) {
	s.cors(w)
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Range")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}
