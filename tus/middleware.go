package tus

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"reel"
)

// The middleware adds what tusd v2's handler lacks: the checksum and
// expiration extensions, strict Upload-Metadata, and Location headers
// that are paths (or under PublicURL). It hands each request a reqState
// through the request's context, which tusd passes on to the store: the
// parsed checksum and header errors go in, the upload's expiry comes out
// and becomes Upload-Expires when the answer is written.

// middleware wraps tusd's handler.
type middleware struct {
	next      http.Handler
	basePath  string
	publicURL string
}

// stateKey keys the reqState in a request's context.
type stateKey struct{}

// reqState is what the middleware and the store share about one request.
type reqState struct {
	checksum *checksum // the chunk's expected checksum, nil if none
	err      error     // a header the store must refuse the request for

	mu       sync.Mutex
	expires  time.Time // of the upload, once known
	finished bool
}

// stateOf returns the request's state; an empty one outside the
// middleware (tests calling the store directly).
func stateOf(ctx context.Context) *reqState {
	if rs, ok := ctx.Value(stateKey{}).(*reqState); ok {
		return rs
	}
	return &reqState{}
}

// requestError returns the error found in the request's headers, if any.
func (rs *reqState) requestError() error { return rs.err }

func (rs *reqState) noteUpload(st *reel.Upload) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.expires = st.ExpiresAt
}

func (rs *reqState) noteFinished() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.finished = true
}

// ServeHTTP checks the headers tusd does not, then passes the request on.
func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs := &reqState{}
	method := r.Method
	if o := r.Header.Get("X-HTTP-Method-Override"); method == http.MethodPost && o != "" {
		method = o
	}
	// Header errors are answered by the store, through tusd, so that
	// the answer carries tusd's protocol and CORS headers, and only after
	// tusd's own checks (Tus-Resumable first).
	switch method {
	case http.MethodPost:
		rs.err = checkMetadata(r.Header.Values("Upload-Metadata"))
		fallthrough
	case http.MethodPatch:
		if v := r.Header.Get("Upload-Checksum"); v != "" && rs.err == nil {
			rs.checksum, rs.err = parseChecksum(v)
		}
	}
	ww := &writer{ResponseWriter: w, m: m, rs: rs}
	m.next.ServeHTTP(ww, r.WithContext(context.WithValue(r.Context(), stateKey{}, rs)))
}

// writer decorates tusd's answers as they are written.
type writer struct {
	http.ResponseWriter
	m     *middleware
	rs    *reqState
	wrote bool
}

// Unwrap lets tusd's http.ResponseController reach the connection.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *writer) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *writer) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.wrote = true
		w.decorate(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

// decorate adds the extensions' headers and rewrites Location.
func (w *writer) decorate(code int) {
	h := w.Header()
	if ext := h.Get("Tus-Extension"); ext != "" {
		h.Set("Tus-Extension", ext+",checksum,expiration")
		h.Set("Tus-Checksum-Algorithm", "sha1,sha256")
	}
	if loc := h.Get("Location"); loc != "" {
		// tusd makes it absolute from the request's Host, which a proxy
		// may have changed: a path resolves against whatever URL the
		// client used.
		if i := strings.LastIndex(loc, w.m.basePath); i >= 0 {
			h.Set("Location", w.m.publicURL+loc[i:])
		}
	}
	w.rs.mu.Lock()
	expires, finished := w.rs.expires, w.rs.finished
	w.rs.mu.Unlock()
	if !expires.IsZero() && !finished && code != http.StatusNotFound && code != http.StatusGone {
		h.Set("Upload-Expires", expires.UTC().Format(http.TimeFormat))
	}
}

// checksum is a chunk's expected digest and the hash computing its actual one.
type checksum struct {
	want []byte
	h    hash.Hash
}

func (c *checksum) ok() bool { return bytes.Equal(c.h.Sum(nil), c.want) }

// parseChecksum parses Upload-Checksum: "<algorithm> <base64 digest>".
func parseChecksum(v string) (*checksum, error) {
	alg, enc, ok := strings.Cut(strings.TrimSpace(v), " ")
	var h hash.Hash
	switch strings.ToLower(alg) {
	case "sha1":
		h = sha1.New()
	case "sha256":
		h = sha256.New()
	default:
		return nil, handler.NewError("ERR_UNSUPPORTED_CHECKSUM_ALGORITHM", fmt.Sprintf("checksum algorithm %.20q is not supported: use sha1 or sha256", alg), http.StatusBadRequest)
	}
	want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if !ok || err != nil || len(want) != h.Size() {
		return nil, handler.NewError("ERR_INVALID_CHECKSUM", fmt.Sprintf("Upload-Checksum must be %q and the base64 of a %d-byte digest", alg+" <base64>", h.Size()), http.StatusBadRequest)
	}
	return &checksum{want: want, h: h}, nil
}

// checkMetadata refuses Upload-Metadata that tusd would quietly cut short:
// a value that is not base64, a malformed pair, a header too long.
func checkMetadata(values []string) error {
	bad := func(format string, args ...any) error {
		return handler.NewError("ERR_INVALID_METADATA", fmt.Sprintf(format, args...), http.StatusBadRequest)
	}
	if len(values) > 1 {
		return bad("one Upload-Metadata header at most")
	}
	if len(values) == 0 || values[0] == "" {
		return nil
	}
	if len(values[0]) > maxMetadataBytes {
		return bad("Upload-Metadata is longer than %d bytes", maxMetadataBytes)
	}
	for pair := range strings.SplitSeq(values[0], ",") {
		parts := strings.Split(strings.TrimSpace(pair), " ")
		if parts[0] == "" || len(parts) > 2 {
			return bad("Upload-Metadata must be comma-separated pairs of a key and a base64 value")
		}
		if len(parts) == 2 {
			if _, err := base64.StdEncoding.DecodeString(parts[1]); err != nil {
				return bad("the value of %.40q in Upload-Metadata is not base64", parts[0])
			}
		}
	}
	return nil
}
