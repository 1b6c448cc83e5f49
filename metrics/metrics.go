// Package metrics adapts Prometheus (client_golang): one registry per
// process holding reel's own collectors beside Go's runtime and process
// collectors, and the handler that serves them in the text exposition
// format. There is no global registry: the process makes one Metrics and
// hands it to the parts that count. Every method works on a nil *Metrics
// and does nothing, so that tests and embedders may leave it out.
//
// The series, all prefixed reel_:
//
//	http_requests_total{method,route,status}       requests answered, by route pattern
//	http_request_duration_seconds{method,route}    their latency
//	upload_bytes_total                             bytes of upload bodies received
//	uploads_in_flight                              upload requests being received
//	jobs_total{kind,outcome}                       River jobs finished: completed, failed, cancelled, snoozed
//	job_queue_wait_seconds{kind}                   from a job's scheduled time to its start
//	transcode_seconds_total                        wall-clock seconds spent in successful transcodes
//	transcoded_media_seconds_total                 seconds of media they produced
//	transcode_failures_total{reason}               failed transcode attempts, by reason code
//	cache_hits_total, cache_misses_total           the segment cache in front of S3 outputs
//
// "Speed × real time" is rate(reel_transcoded_media_seconds_total[5m]) /
// rate(reel_transcode_seconds_total[5m]).
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is a process's registry and reel's collectors in it.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	uploadBytes     prometheus.Counter
	uploadsInFlight prometheus.Gauge
	jobs            *prometheus.CounterVec
	queueWait       *prometheus.HistogramVec
	transcodeSecs   prometheus.Counter
	mediaSecs       prometheus.Counter
	failures        *prometheus.CounterVec
}

// New returns a fresh registry with reel's collectors, Go's runtime
// collector and the process collector registered.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reel_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "reel_http_request_duration_seconds",
			Help: "Time from a request's arrival to the end of its answer, by method and route pattern.",
			// From a cached playlist (under a millisecond) to a long upload.
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
		}, []string{"method", "route"}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reel_upload_bytes_total",
			Help: "Bytes of upload bodies received (POST /api/videos and tus PATCH).",
		}),
		uploadsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "reel_uploads_in_flight",
			Help: "Upload requests whose body is being received now.",
		}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reel_jobs_total",
			Help: "River jobs whose attempt ended, by kind and outcome (completed, failed, cancelled, snoozed).",
		}, []string{"kind", "outcome"}),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reel_job_queue_wait_seconds",
			Help:    "Time from a job's scheduled time to the start of its attempt, by kind.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600},
		}, []string{"kind"}),
		transcodeSecs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reel_transcode_seconds_total",
			Help: "Wall-clock seconds spent in transcodes that succeeded.",
		}),
		mediaSecs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reel_transcoded_media_seconds_total",
			Help: "Seconds of media produced by transcodes that succeeded.",
		}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reel_transcode_failures_total",
			Help: "Transcode attempts that failed, by reason code (invalid, internal, unavailable, stalled, too_slow...).",
		}, []string{"reason"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.uploadBytes, m.uploadsInFlight,
		m.jobs, m.queueWait, m.transcodeSecs, m.mediaSecs, m.failures,
	)
	return m
}

// Register adds more collectors to the registry, such as tusd's.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	if m == nil {
		return nil
	}
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// RegisterDB adds the connection pool statistics of db, as database
// "name".
func (m *Metrics) RegisterDB(db *sql.DB, name string) error {
	return m.Register(collectors.NewDBStatsCollector(db, name))
}

// RegisterCache adds the hit and miss counters of a cache that counts
// them itself, read at each scrape.
func (m *Metrics) RegisterCache(stats func() (hits, misses int64)) error {
	return m.Register(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "reel_cache_hits_total",
			Help: "Reads of S3 outputs answered from the local segment cache.",
		}, func() float64 { h, _ := stats(); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "reel_cache_misses_total",
			Help: "Reads of S3 outputs the local segment cache had to fetch first.",
		}, func() float64 { _, m := stats(); return float64(m) }),
	)
}

// Handler serves the registry in Prometheus's exposition formats. A nil
// Metrics serves 404.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A collector that fails (a pool closed at shutdown) must not
		// hide the others.
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       10 * time.Second,
	})
}

// Request counts one answered request. route is the route pattern, never
// the raw path, so that the series stay few.
func (m *Metrics) Request(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	method = knownMethod(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// knownMethod bounds the method label: any token is a valid method.
func knownMethod(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "other"
}

// UploadStarted counts an upload request in flight; call the returned
// func when its body is done.
func (m *Metrics) UploadStarted() (done func()) {
	if m == nil {
		return func() {}
	}
	m.uploadsInFlight.Inc()
	return m.uploadsInFlight.Dec
}

// UploadBytes counts n bytes of upload bodies received.
func (m *Metrics) UploadBytes(n int) {
	if m == nil || n <= 0 {
		return
	}
	m.uploadBytes.Add(float64(n))
}

// Job counts the end of a job's attempt, and how long it waited in the
// queue before starting.
func (m *Metrics) Job(kind, outcome string, wait time.Duration) {
	if m == nil {
		return
	}
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.queueWait.WithLabelValues(kind).Observe(max(wait, 0).Seconds())
}

// Transcoded counts a successful transcode that ran for took and produced
// media seconds of video.
func (m *Metrics) Transcoded(took time.Duration, media float64) {
	if m == nil {
		return
	}
	m.transcodeSecs.Add(took.Seconds())
	m.mediaSecs.Add(max(media, 0))
}

// TranscodeFailed counts a failed transcode attempt by reason code.
func (m *Metrics) TranscodeFailed(reason string) {
	if m == nil {
		return
	}
	m.failures.WithLabelValues(reason).Inc()
}
