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
//     /api/videos/{id} shows public and unlisted ones) and sign in;
//     viewers may only read; uploaders and admins may write. Whose video
//     it is, is checked by the handlers (managedVideo, Principal.CanSee).
//
// POST /api/hooks/s3 is exempt: it checks its own secret.

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"reel"
	"reel/api"
)

// AccessConfig configures access control, the API's CORS and the rate
// limits. The zero value turns them off: every request acts as admin and
// nothing is limited, as embedding tests want; reel serve always sets Keys.
type AccessConfig struct {
	// Keys and Sessions hold the API keys and the web page's sessions;
	// with Keys nil there is no access control at all.
	Keys     reel.KeyStore
	Sessions reel.SessionStore
	// AllowOpen lets reel run open (every request as admin) while no
	// valid key exists. Set it only when listening on a loopback address.
	AllowOpen bool
	// SessionTTL is how long a sign-in lasts; 0 means a week.
	SessionTTL time.Duration

	// MaxPlaybackTTL caps the ?ttl= of playback URLs; 0 means PlaybackTTL.
	MaxPlaybackTTL time.Duration
	// APIAllowOrigin is the origin allowed to call the API cross-origin
	// with a bearer key ("*" for any); empty sends no CORS headers.
	APIAllowOrigin string

	// APIRate and APIBurst limit the API requests of each client (key or
	// IP address), per second; 0 means no limit.
	APIRate  float64
	APIBurst int
	// UploadRate and UploadBurst limit the uploads each client starts, per
	// minute; 0 means no limit.
	UploadRate  float64
	UploadBurst int

	// BodyTimeout is the longest a request body may go without a byte
	// before its read fails and the connection closes; 0 means no limit.
	BodyTimeout time.Duration
	// MaxConnsPerIP caps the connections of one client address, applied
	// by LimitListener; 0 means no cap.
	MaxConnsPerIP int

	// TrustedProxies are the peers whose X-Forwarded-For or Forwarded
	// header names the client (clientaddr.go); none by default.
	TrustedProxies []netip.Prefix
}

// principalKey is the context key of the request's principal.
type principalKey struct{}

// PrincipalFrom returns who makes the request whose context is ctx, and
// false for an anonymous caller. Handlers behind Server.Handler use it,
// such as the tus integration to record a video's owner.
func PrincipalFrom(ctx context.Context) (reel.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(reel.Principal)
	return p, ok
}

// principal returns the caller, nil if anonymous. Without access control
// (no Keys) everyone is admin, even in handlers tested without protect.
func (s *Server) principal(r *http.Request) *reel.Principal {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return &p
	} else if s.Access.Keys == nil {
		return &reel.Principal{Role: reel.RoleAdmin, Open: true}
	}
	return nil
}

// openCheckEvery is how long the answer to "is any key valid?" is reused:
// a key created or revoked with `reel keys` takes effect within it.
const openCheckEvery = 2 * time.Second

// guard is the state of protect.
type guard struct {
	s       *Server
	cop     *http.CrossOriginProtection
	api     *limiter
	uploads *limiter

	mu        sync.Mutex
	hasKeys   bool
	checkedAt time.Time
}

// protect wraps the API with access control; see the top of this file.
func (s *Server) protect(next http.Handler) http.Handler {
	a := s.Access
	g := &guard{s: s, cop: http.NewCrossOriginProtection()}
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

func principalOf(k *reel.Key) *reel.Principal {
	return &reel.Principal{KeyID: k.ID, Name: k.Name, Role: k.Role}
}

// mayCall checks the caller's role against the route.
func mayCall(p *reel.Principal, r *http.Request) error {
	path, read := r.URL.Path, r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case path == "/api/session":
		return nil // anyone may sign in, out, or ask who they are
	case p == nil && read && (path == "/api/videos" || strings.HasPrefix(path, "/api/videos/") && strings.Count(path, "/") == 3):
		return nil // the handlers show anonymous callers what is theirs to see
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

// managedVideo returns the video named by the path if the caller may
// change it: not found if the caller may not even see it, forbidden if
// it may see but not change it.
func (s *Server) managedVideo(r *http.Request) (*reel.Video, error) {
	v, err := s.visibleVideo(r)
	if err != nil {
		return nil, err
	}
	if p := s.principal(r); p == nil || !p.CanManage(v) {
		return nil, reel.Errorf(reel.EFORBIDDEN, "Only the video's owner or an admin may change it.")
	}
	return v, nil
}

// visibleVideo returns the video named by the path if the caller may see
// it, and "not found" otherwise, so private videos stay unknown.
func (s *Server) visibleVideo(r *http.Request) (*reel.Video, error) {
	v, err := s.video(r)
	if err != nil {
		return nil, err
	}
	if !canSee(s.principal(r), v) {
		return nil, reel.Errorf(reel.ENOTFOUND, "Video not found.")
	}
	return v, nil
}

func canSee(p *reel.Principal, v *reel.Video) bool {
	if p == nil {
		return v.Visibility != reel.VisibilityPrivate
	}
	return p.CanSee(v)
}

// ownerOf returns the key id to record as the owner of a video the
// request creates: "" in open mode.
func (s *Server) ownerOf(r *http.Request) string {
	if p := s.principal(r); p != nil {
		return p.KeyID
	}
	return ""
}

// playbackTTL returns the life of the playback URLs the request gets:
// its ?ttl= in seconds (checked by checkTTL), capped by MaxPlaybackTTL,
// or PlaybackTTL.
func (s *Server) playbackTTL(r *http.Request) time.Duration {
	n, err := strconv.ParseInt(r.URL.Query().Get("ttl"), 10, 64)
	if err != nil || n < 1 {
		return s.PlaybackTTL
	}
	limit := s.Access.MaxPlaybackTTL
	if limit <= 0 {
		limit = max(s.PlaybackTTL, 24*time.Hour)
	}
	if n > int64(limit/time.Second) {
		return limit
	}
	return time.Duration(n) * time.Second
}

// checkTTL refuses a ?ttl= that is not a positive number of seconds.
func checkTTL(r *http.Request) error {
	t := r.URL.Query().Get("ttl")
	if t == "" {
		return nil
	}
	if n, err := strconv.ParseInt(t, 10, 64); err != nil || n < 1 {
		return reel.Errorf(reel.EINVALID, "ttl must be a whole number of seconds, 1 or more.")
	}
	return nil
}

// errVisibility refuses a visibility that is not one of the three.
var errVisibility = reel.Errorf(reel.EINVALID, "visibility must be public, unlisted or private.")

// maxUpdateBody bounds the JSON of PATCH /api/videos/{id}.
const maxUpdateBody = 16 << 10

// handleUpdate changes a video's title or visibility: the owner's or an
// admin's right.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	v, err := s.managedVideo(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req api.VideoUpdate
	if err := decodeJSON(w, r, maxUpdateBody, &req); err != nil {
		s.error(w, r, err)
		return
	}
	var u reel.VideoUpdate
	if req.Title != nil {
		if len(*req.Title) > maxTitleBytes {
			s.error(w, r, reel.Errorf(reel.EINVALID, "The title is longer than %d bytes.", maxTitleBytes))
			return
		}
		title := strings.TrimSpace(reel.Sanitize(*req.Title, maxTitleBytes))
		u.Title = &title
	}
	if req.Visibility != nil {
		vis, err := reel.ParseVisibility(string(*req.Visibility))
		if err == nil && vis == "" {
			err = errVisibility
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		u.Visibility = &vis
	}
	if u.Title == nil && u.Visibility == nil {
		s.error(w, r, reel.Errorf(reel.EINVALID, "Send \"title\", \"visibility\" or both."))
		return
	}
	if v, err = s.Videos.UpdateVideo(r.Context(), v.ID, u); err != nil {
		s.error(w, r, err)
		return
	}
	s.playStates.forget(v.ID) // this process sees a new visibility at once
	s.json(w, http.StatusOK, s.videoJSON(r, v))
}
