package web

// The route table: every endpoint reel serves, with its method, in one
// place. A newcomer finds each endpoint's handler from here; the OpenAPI
// check and the tests list the same table through Routes.

import (
	"log/slog"
	"net/http"
	"time"

	"reel/health"
	"reel/video"
)

// routes is the table. Resources in the order of the data flow: videos
// and their uploads, the storage hook, sign-in, delivery, the page.
func (s *Server) routes() []endpoint {
	h := func(method, pattern string, f http.HandlerFunc) endpoint {
		return endpoint{Route{method, pattern}, f}
	}
	return []endpoint{
		// Videos (videos.go, upload.go, direct.go).
		h("GET", "/api/videos", s.handleList),
		h("POST", "/api/videos", s.handleUpload),
		h("GET", "/api/videos/{id}", s.handleGet),
		h("PATCH", "/api/videos/{id}", s.handleUpdate),
		h("DELETE", "/api/videos/{id}", s.handleDelete),
		h("POST", "/api/videos/{id}/retry", s.handleRetry),
		h("PUT", "/api/videos/{id}/poster", s.handlePoster),
		h("POST", "/api/videos/direct", s.handleDirectCreate),
		h("POST", "/api/videos/{id}/complete", s.handleDirectComplete),
		// Uploaded captions (captions.go).
		h("GET", "/api/videos/{id}/captions", s.handleCaptionList),
		h("PUT", "/api/videos/{id}/captions/{lang}", s.handleCaptionPut),
		h("DELETE", "/api/videos/{id}/captions/{lang}", s.handleCaptionDelete),
		// Each video's event log and the webhooks (webhooks.go).
		h("GET", "/api/videos/{id}/events", s.handleVideoEvents),
		h("GET", "/api/webhooks", s.handleWebhookList),
		h("POST", "/api/webhooks", s.handleWebhookCreate),
		h("DELETE", "/api/webhooks/{id}", s.handleWebhookDelete),
		h("POST", "/api/webhooks/{id}/rotate", s.handleWebhookRotate),
		h("GET", "/api/webhooks/{id}/deliveries", s.handleWebhookDeliveries),
		// Resumable uploads: tusd's handler, behind the owner check
		// (uploads.go).
		{Route{"", "/api/uploads/"}, s.guardUploads()},
		// Storage events (hooks.go).
		h("POST", "/api/hooks/s3", s.S3EventHandler(s.Hooks)),
		// The web page's sign-in (session.go).
		h("GET", "/api/session", s.handleSession),
		h("POST", "/api/session", s.handleSignIn),
		h("DELETE", "/api/session", s.handleSignOut),
		// API keys, for admins (keys.go).
		h("GET", "/api/keys", s.handleKeyList),
		h("POST", "/api/keys", s.handleKeyCreate),
		h("DELETE", "/api/keys/{id}", s.handleKeyRevoke),
		// This API's description (openapi.go).
		h("GET", "/api/openapi.json", handleOpenAPI()),
		// Any other API path.
		h("", "/api/", s.handleNoEndpoint),
		// Signed HLS delivery (play.go).
		h("GET", "/play/{token}/{id}/{file...}", s.handlePlay),
		h("OPTIONS", "/play/", s.handlePlayPreflight),
		// Operations: probes and metrics (ops.go).
		h("GET", "/healthz", health.Live),
		h("GET", "/readyz", s.handleReady),
		h("GET", "/metrics", s.handleMetrics),
		// The player alone, for other sites' iframes (embed.go).
		h("GET", "/embed/{id}", s.handleEmbed),
		// The web page and its assets (page.go).
		h("GET", "/static/", s.handleStatic),
		h("GET", "/{$}", s.handlePage),
	}
}

// Routes lists every endpoint a Server serves, in the table's order.
func Routes() []Route {
	var out []Route
	for _, rt := range (&Server{}).routes() {
		out = append(out, rt.Route)
	}
	return out
}

// Handler returns the server: the route table behind the middleware that
// every request passes, outermost first: request id, log line and
// metrics (observe.go), chunked-framing close, body
// deadline, security headers, canonical URLs, access control.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.videos = &video.Service{
		Videos: s.Videos, Originals: s.Originals, Outputs: s.Outputs, Jobs: s.Jobs,
		MaxUploadSize: s.MaxUploadSize, Logger: s.Logger,
	}
	if s.Uploads != nil {
		s.videos.Uploads = s.Uploads
	}
	s.page = newPageAssets(assets)
	s.playlists = newPlaylistCache(1024, time.Minute)
	s.playStates = newPlayStateCache(maxPlayStates, revocationDelay)

	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.muxPattern(), s.routed(rt.Route, rt.handler))
	}
	return s.observe(closeAfterChunked(bodyDeadline(s.Access.BodyTimeout, s.securityHeaders(s.canonicalOnly(s.protect(mux))))))
}

// muxPattern is the route as ServeMux spells it.
func (r Route) muxPattern() string {
	if r.Method == "" {
		return r.Pattern
	}
	return r.Method + " " + r.Pattern
}
