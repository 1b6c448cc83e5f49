package web

// Access control. Every /api/ request passes through protect, which
//
//   - answers the API's CORS preflights (see cors.go),
//   - in open mode, answers only requests for a loopback host (421
//     otherwise), so that DNS rebinding cannot reach it,
//   - finds who is calling: an API key sent as "Authorization: Bearer
//     <key>", or the web page's session cookie, or nobody; while no valid
//     key exists and AllowOpen is set (a loopback address), nobody acts as
//     admin: reel runs open,
//   - refuses cross-origin state-changing requests that are not
//     bearer-authenticated (http.CrossOriginProtection), since cookies and
//     open mode would otherwise let any web site act for the browser,
//   - applies the per-client rate limits (ratelimit.go),
//   - and checks the role against the route: anonymous callers may only
//     read videos (GET /api/videos lists the public ones; GET
//     /api/videos/{id} and its captions show public and unlisted ones)
//     and sign in; viewers may only read; uploaders and admins may write. Whose video
//     it is, is decided by package video (video.CanSee, video.CanManage).
//
// POST /api/hooks/s3 is exempt: it checks its own secret.

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"reel"
	"reel/api"
)

// openCheckEvery is how long the answer to "is any key valid?" is reused:
// a key created or revoked with `reel keys` takes effect within it.
const openCheckEvery = 2 * time.Second

// protect wraps the API with access control; see the top of this file.
func (s *Server) protect(next http.Handler) http.Handler {
	a := s.Access
	g := &guard{s: s, cop: http.NewCrossOriginProtection()}
	s.auth = g
	if a.APIRate > 0 {
		g.api = newLimiter(a.APIRate, max(1, a.APIBurst), s.Now)
	}
	if a.UploadRate > 0 {
		g.uploads = newLimiter(a.UploadRate/60, max(1, a.UploadBurst), s.Now)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/api/hooks/s3" {
			next.ServeHTTP(w, r)
			return
		}
		if a.AllowOpen && a.Keys != nil && !loopbackHost(r.Host) {
			// DNS rebinding: a page of any domain resolving to 127.0.0.1
			// would otherwise act as admin while reel runs open.
			if open, err := g.open(r.Context()); err != nil || open {
				s.json(w, api.Status(api.Misdirected), api.ErrorResponse{Error: api.Error{
					Code: api.Misdirected, Message: "reel runs open (no API key yet) and so answers only for localhost, 127.0.0.0/8 and [::1]; use one of those, or create a key.",
				}})
				return
			}
		}
		if s.apiCORS(w, r) {
			return // a preflight, answered
		}
		g.serve(w, r, next)
	})
}

func (g *guard) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	s := g.s
	p, bearer, authErr := g.authenticate(r)
	if !bearer && (g.cop.Check(r) != nil || !s.sameScheme(r)) {
		s.error(w, r, reel.Errorf(reel.EFORBIDDEN, "Cross-origin requests must authenticate with an API key (Authorization: Bearer <key>)."))
		return
	}
	if p == nil || !p.Open {
		client := s.clientIP(r)
		if p != nil {
			client = "key:" + p.KeyID
		}
		ok, wait := g.api.allow(client)
		if ok && startsUpload(r) {
			ok, wait = g.uploads.allow(client)
		}
		if !ok {
			s.tooManyRequests(w, r, wait)
			return
		}
	}
	err := authErr
	if err == nil {
		err = mayCall(p, r)
	}
	if err != nil {
		if reel.ErrorCode(err) == reel.EUNAUTHORIZED {
			w.Header().Set("WWW-Authenticate", `Bearer realm="reel"`)
		}
		s.error(w, r, err)
		return
	}
	if p != nil {
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, *p))
	}
	next.ServeHTTP(w, r)
}

// authenticate returns the caller (nil if anonymous), whether it came with
// a bearer key, and an EUNAUTHORIZED error for a bad one. A stale session
// cookie is no error: the caller is anonymous and may sign in again.
func (g *guard) authenticate(r *http.Request) (*reel.Principal, bool, error) {
	s := g.s
	if s.Access.Keys == nil {
		return &reel.Principal{Role: reel.RoleAdmin, Open: true}, false, nil
	}
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, secret, ok := strings.Cut(h, " ")
		secret = strings.TrimSpace(secret)
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" || len(secret) > 200 {
			return nil, true, reel.Errorf(reel.EUNAUTHORIZED, "Send the API key as \"Authorization: Bearer <key>\".")
		}
		// Looking the hash up compares no secret bytes, so takes the same
		// time whatever a guess shares with a real key.
		k, err := s.Access.Keys.KeyByHash(ctx, reel.HashSecret(secret))
		if reel.ErrorCode(err) == reel.ENOTFOUND || err == nil && k.Revoked() {
			return nil, true, reel.Errorf(reel.EUNAUTHORIZED, "The API key is unknown or revoked.")
		} else if err != nil {
			return nil, true, err
		}
		g.touch(ctx, k)
		return principalOf(k), true, nil
	}
	if c, err := r.Cookie(sessionCookie); err == nil && s.Access.Sessions != nil && c.Value != "" {
		k, err := s.Access.Sessions.SessionKey(ctx, reel.HashSecret(c.Value), s.Now())
		if err == nil {
			g.touch(ctx, k)
			return principalOf(k), false, nil
		} else if reel.ErrorCode(err) != reel.ENOTFOUND {
			return nil, false, err
		}
	}
	if open, err := g.open(ctx); err != nil {
		return nil, false, err
	} else if open {
		return &reel.Principal{Role: reel.RoleAdmin, Open: true}, false, nil
	}
	return nil, false, nil
}

// open reports whether reel runs open: allowed to, and no valid key.
func (g *guard) open(ctx context.Context) (bool, error) {
	if !g.s.Access.AllowOpen {
		return false, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.s.Now()
	if now.Sub(g.checkedAt) < openCheckEvery && !g.checkedAt.IsZero() {
		return !g.hasKeys, nil
	}
	has, err := g.s.Access.Keys.HasValidKeys(ctx)
	if err != nil {
		return false, err
	}
	g.hasKeys, g.checkedAt = has, now
	return !has, nil
}

// touch records a key's use, at most once a minute per key, so that
// requests do not each write to the database.
func (g *guard) touch(ctx context.Context, k *reel.Key) {
	now := g.s.Now()
	if now.Sub(k.LastUsedAt) < time.Minute {
		return
	}
	if err := g.s.Access.Keys.TouchKey(ctx, k.ID, now); err != nil {
		g.s.Logger.Warn("record key use", "key", k.ID, "err", err)
	}
}

// mayCall checks the caller's role against the route.
func mayCall(p *reel.Principal, r *http.Request) error {
	path, read := r.URL.Path, r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case path == "/api/session":
		return nil // anyone may sign in, out, or ask who they are
	case path == "/api/openapi.json" && read:
		return nil // the API's description is public
	case p == nil && read && (path == "/api/videos" || strings.HasPrefix(path, "/api/videos/") && strings.Count(path, "/") == 3):
		return nil // the handlers show anonymous callers what is theirs to see
	case p == nil && read && strings.HasPrefix(path, "/api/videos/") && strings.HasSuffix(path, "/captions") && strings.Count(path, "/") == 4:
		return nil // a watchable video's captions, as its master lists them
	case p == nil:
		return reel.Errorf(reel.EUNAUTHORIZED, "Sign in or send an API key (Authorization: Bearer <key>).")
	case path == "/api/uploads" || strings.HasPrefix(path, "/api/uploads/"):
		// Even HEAD tells an upload's state: uploads are for uploaders.
		if !p.CanUpload() {
			return reel.Errorf(reel.EFORBIDDEN, "This key may not upload.")
		}
	case !read && p.Role == reel.RoleViewer:
		return reel.Errorf(reel.EFORBIDDEN, "This key may only read.")
	case !read && !p.CanUpload():
		return reel.Errorf(reel.EFORBIDDEN, "This key may not change anything.")
	}
	return nil
}

// startsUpload reports whether r creates a video or an upload, which the
// upload rate limit counts.
func startsUpload(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	switch r.URL.Path {
	case "/api/videos", "/api/videos/direct", "/api/uploads", "/api/uploads/":
		return true
	}
	return false
}

// loopbackHost reports whether a Host header names this machine by a
// loopback name: localhost, 127.0.0.0/8 or ::1, with any port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clientIP names the caller's address (ClientAddr) for the rate limits:
// IPv4 as is, IPv6 by its /64, which one host or home usually holds whole.
func (s *Server) clientIP(r *http.Request) string {
	a := ClientAddr(r, s.Access.TrustedProxies)
	if !a.IsValid() {
		return "ip:" + r.RemoteAddr
	}
	if a.Is6() {
		a = netip.PrefixFrom(a, 64).Masked().Addr()
	}
	return "ip:" + a.String()
}

func (s *Server) tooManyRequests(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.json(w, api.Status(api.RateLimited), api.ErrorResponse{Error: api.Error{
		Code: api.RateLimited, Message: "Too many requests; retry in " + strconv.Itoa(secs) + " s.",
	}})
}
