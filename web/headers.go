package web

import (
	"net/http"
	"net/url"
	"strings"
)

// Headers browsers rely on. Every response says nosniff (a file is what
// its Content-Type says, never sniffed into script or HTML) and sends no
// Referer onwards. The page and its assets carry a Content-Security-Policy
// with no inline script (but the import map, by its hash) or style and no
// framing (but the embed page's, by the origins of EmbedOrigins); the
// media, posters and storyboards they load come from this origin or the
// public URL's. API
// answers, which carry signed URLs and session state, are never stored by
// any cache.

// securityHeaders adds the headers above before the handler writes.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	csp := contentSecurityPolicy(s.PublicURL, "'none'", s.page.scriptHash)
	// The embed page alone may be framed, by the configured origins.
	embedCSP := contentSecurityPolicy(s.PublicURL, frameAncestors(s.EmbedOrigins), s.page.scriptHash)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/"):
			h.Set("Cache-Control", "no-store")
		case strings.HasPrefix(r.URL.Path, "/play/"):
			// Media keeps its own caching; players may embed it anywhere.
		case strings.HasPrefix(r.URL.Path, "/embed/"):
			// No X-Frame-Options: it knows no list of origins, and browsers
			// that know frame-ancestors ignore it anyway.
			h.Set("Content-Security-Policy", embedCSP)
		default:
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Frame-Options", "DENY") // frame-ancestors for old browsers
		}
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy is the page's policy, framed by frameAncestors
// only. hls.js plays through Media Source Extensions (blob: media) and
// may start a worker from a blob; it gives each subtitle track a <track>
// element whose source is the empty WebVTT file data:,WEBVTT (so that
// Chromium's own captions menu and Safari keep the cues it adds), which
// media-src governs: data: there lets media and tracks load from data
// URLs, which hold no script. scripts are the hashes ('sha256-...') of
// the inline scripts allowed: the page's import map (page.go).
func contentSecurityPolicy(publicURL, frameAncestors string, scripts ...string) string {
	media := "'self'"
	if u, err := url.Parse(publicURL); err == nil && u.Scheme != "" && u.Host != "" {
		media += " " + u.Scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'self'",
		strings.Join(append([]string{"script-src 'self'"}, scripts...), " "),
		"style-src 'self'",
		"img-src " + media + " data: blob:",
		"media-src " + media + " blob: data:",
		"connect-src " + media,
		"worker-src 'self' blob:",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors " + frameAncestors,
	}, "; ")
}

// sameScheme completes http.CrossOriginProtection, which without
// Sec-Fetch-Site compares only the Origin's host with the Host header: an
// https:// page is another origin than an http:// server of the same
// host. Browsers that send Sec-Fetch-Site have compared schemes already.
func (s *Server) sameScheme(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if r.Header.Get("Sec-Fetch-Site") != "" || origin == "" || r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return true
	}
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(o.Scheme, s.requestScheme(r))
}

// requestScheme is the scheme the client used to reach reel: https over
// TLS, as a trusted proxy says (X-Forwarded-Proto), or when the public URL is https and names the request's host (TLS
// ends at a proxy in front); http otherwise.
func (s *Server) requestScheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if p := forwardedProto(r, s.Access.TrustedProxies); p == "https" || p == "http" {
		return p
	}
	if u, err := url.Parse(s.PublicURL); err == nil && u.Scheme == "https" && strings.EqualFold(u.Host, r.Host) {
		return "https"
	}
	return "http"
}
