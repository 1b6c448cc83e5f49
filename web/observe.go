package web

// What every request leaves behind: a request id, echoed in X-Request-Id;
// one log line (method, route pattern, status, bytes, duration, client,
// request id, the video id where the route names one); and its count and
// latency in the metrics, by route pattern so that the series stay few.
// observe wraps the whole handler; the route table's handlers fill in the
// route and video id (routeInfo) since only the ServeMux knows them.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// requestIDHeader carries the request id in and out.
const requestIDHeader = "X-Request-Id"

// maxRequestID bounds an incoming request id; longer ones are replaced.
const maxRequestID = 64

// routeInfo is filled in by the route that serves the request.
type routeInfo struct {
	route   string // the route's pattern, "" if none matched
	videoID string
}

type routeInfoKey struct{}
type requestIDKey struct{}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// saneRequestID reports whether an incoming id may be kept: bounded, and
// only characters that cannot forge log fields or headers.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("-_.:", c):
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// observe gives each request its id, then logs and counts it once answered.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !saneRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(requestIDHeader, id)
		info := &routeInfo{}
		ctx := context.WithValue(context.WithValue(r.Context(), requestIDKey{}, id), routeInfoKey{}, info)
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))

		status := rec.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		route := info.route
		if route == "" {
			route = "unmatched" // refused before routing, or no route
		}
		took := time.Since(start)
		s.Metrics.Request(r.Method, route, status, took)
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("route", route), slog.Int("status", status),
			slog.Int64("bytes", rec.bytes), slog.Duration("duration", took),
			slog.String("client", ClientAddr(r, s.Access.TrustedProxies).String()), slog.String("request_id", id),
		}
		if info.videoID != "" {
			attrs = append(attrs, slog.String("video", info.videoID))
		}
		s.Logger.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
	})
}

// routed wraps the handler of one route: it tells observe the route and the
// video id, and counts upload bodies.
func (s *Server) routed(rt Route, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(routeInfoKey{}).(*routeInfo); ok {
			info.route = rt.Pattern
			info.videoID = r.PathValue("id")
		}
		if isUpload(r) && r.Body != nil && r.Body != http.NoBody {
			done := s.Metrics.UploadStarted()
			defer done()
			r.Body = &countingBody{ReadCloser: r.Body, count: s.Metrics.UploadBytes}
		}
		h.ServeHTTP(w, r)
	})
}

// isUpload reports whether r's body is a video's bytes: a form upload or a
// tus PATCH.
func isUpload(r *http.Request) bool {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/videos":
		return true
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/api/uploads/"):
		return true
	}
	return false
}

// countingBody reports the bytes read from a request body.
type countingBody struct {
	io.ReadCloser
	count func(int)
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.count(n)
	return n, err
}

// recorder notes the status and body size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom keeps io.Copy to the connection as fast as without the recorder
// (sendfile for files on disk).
func (w *recorder) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
	}
	w.bytes += n
	return n, err
}

// Flush passes on to the connection (streamed answers).
func (w *recorder) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
