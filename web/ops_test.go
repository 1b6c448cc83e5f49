package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"reel"
	"reel/health"
	"reel/metrics"
)

// scrape reads /metrics as a loopback client and returns the value of
// each series, keyed like `name{label="value",...}` (labels sorted).
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	r := httptest.NewRequest("GET", "http://localhost/metrics", nil)
	r.RemoteAddr = "127.0.0.1:50000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", w.Code, w.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(w.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			var labels []string
			for _, l := range m.Label {
				labels = append(labels, l.GetName()+"="+`"`+l.GetValue()+`"`)
			}
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key+"_count"] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// An upload shows in the request, upload-byte and in-flight series, by
// route pattern, and each answer carries a request id.
func TestMetricsAfterUpload(t *testing.T) {
	s, _, created := uploadServer(t, 1<<20)
	s.Metrics = metrics.New()
	h := s.Handler()

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "clip.mp4")
	payload := strings.Repeat("x", 1000)
	io.WriteString(fw, payload)
	mw.Close()
	r := httptest.NewRequest("POST", "http://localhost/api/videos", bytes.NewReader(body.Bytes()))
	r.Header.Set("Content-Type", mw.FormDataContentType())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusCreated || len(*created) != 1 {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	if id := w.Header().Get("X-Request-Id"); !saneRequestID(id) {
		t.Errorf("X-Request-Id %q", id)
	}
	// Two reads of one video by id are one series, whatever the id.
	for _, id := range []string{"abc", "def"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://localhost/api/videos/"+id, nil))
	}

	got := scrape(t, h)
	want := map[string]float64{
		`reel_http_requests_total{method="POST",route="/api/videos",status="201"}`:    1,
		`reel_http_request_duration_seconds{method="POST",route="/api/videos"}_count`: 1,
		`reel_uploads_in_flight`: 0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if n := got[`reel_upload_bytes_total`]; n < float64(len(payload)) || n > float64(body.Len()) {
		t.Errorf("reel_upload_bytes_total = %v, want between the file's %d bytes and the body's %d", n, len(payload), body.Len())
	}
	var byID float64
	for k, v := range got {
		if strings.HasPrefix(k, "reel_http_requests_total{") && strings.Contains(k, `route="/api/videos/{id}"`) {
			byID += v
		}
		if strings.Contains(k, "abc") || strings.Contains(k, "def") {
			t.Errorf("a raw path in a label: %s", k)
		}
	}
	if byID != 2 {
		t.Errorf("%v requests counted on /api/videos/{id}, want 2", byID)
	}
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}

// A sane incoming request id is echoed; a long or strange one is replaced.
func TestRequestID(t *testing.T) {
	s, _, _ := uploadServer(t, 1<<20)
	h := s.Handler()
	for in, keep := range map[string]bool{
		"req-42_a.b:c":                      true,
		strings.Repeat("a", maxRequestID):   true,
		strings.Repeat("a", maxRequestID+1): false,
		"two words":                         false,
		"x\u00e9":                           false,
		"a\"b=c":                            false,
	} {
		r := httptest.NewRequest("GET", "http://localhost/healthz", nil)
		r.Header.Set("X-Request-Id", in)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		out := w.Header().Get("X-Request-Id")
		if keep && out != in || !keep && (out == in || !saneRequestID(out)) {
			t.Errorf("X-Request-Id %q answered %q", in, out)
		}
	}
}

// /metrics is for loopback clients asking for a loopback host, and admins.
func TestMetricsAccess(t *testing.T) {
	s, _, _ := uploadServer(t, 1<<20)
	s.Metrics = metrics.New()
	h := s.Handler()
	for _, c := range []struct {
		remote, host string
		want         int
	}{
		{"127.0.0.1:1", "localhost:8080", 200},
		{"[::1]:1", "[::1]:8080", 200},
		{"192.0.2.7:1", "localhost:8080", 403},  // a remote client, no key
		{"127.0.0.1:1", "rebound.example", 403}, // DNS rebinding
	} {
		r := httptest.NewRequest("GET", "http://"+c.host+"/metrics", nil)
		r.RemoteAddr = c.remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s asking %s: %d, want %d", c.remote, c.host, w.Code, c.want)
		}
	}
}

// failingStore is a blob store whose every call fails.
type failingStore struct{ reel.BlobStore }

func (failingStore) Open(context.Context, string) (reel.Blob, error) {
	return nil, errors.New("connection refused")
}

// /readyz names the dependency that does not answer, with 503.
func TestReadyNamesFailingStore(t *testing.T) {
	s, originals, _ := uploadServer(t, 1<<20)
	s.Ready = health.New(s.Logger,
		health.Check{Name: "database", Probe: func(context.Context) error { return nil }},
		health.Store("originals", originals),
		health.Store("outputs", failingStore{}))
	h := s.Handler()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost/readyz", nil))
	var rep health.Report
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusServiceUnavailable || rep.Status != "unavailable" ||
		len(rep.Failing) != 1 || rep.Failing[0] != "outputs" || rep.Checks["originals"] != "ok" || rep.Checks["database"] != "ok" {
		t.Errorf("/readyz: %d %s", w.Code, w.Body)
	}

	s.Ready = health.New(s.Logger, health.Store("originals", originals))
	h = s.Handler()
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost/readyz", nil))
	if w.Code != http.StatusOK {
		t.Errorf("/readyz with every store up: %d %s", w.Code, w.Body)
	}
}
