package web

// Sign-in for the web page: POST /api/session with {"key": "<API key>"}
// checks the key and sets a session cookie; the page's fetches then carry
// it. The cookie holds a random 256-bit id; the database keeps only its
// SHA-256, the key it acts as and when it ends. DELETE /api/session signs
// out; GET /api/session says who the caller is and whether reel runs open.
//
//	curl -si -X POST http://localhost:8080/api/session -d '{"key": "..."}'

import (
	"net/http"
	"strings"
	"time"

	"reel"
	"reel/api"
)

// sessionCookie is the name of the web page's session cookie.
const sessionCookie = "reel_session"

// defaultSessionTTL is how long a sign-in lasts unless configured.
const defaultSessionTTL = 7 * 24 * time.Hour

// maxSessionBody bounds the JSON of a sign-in.
const maxSessionBody = 4 << 10

// sessionOf returns who p is, as the API shows it.
func sessionOf(p *reel.Principal) api.Session {
	if p == nil {
		return api.Session{}
	}
	return api.Session{Open: p.Open, SignedIn: !p.Open, Role: p.Role, KeyID: p.KeyID, Name: p.Name}
}

func (s *Server) handleSession(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.json(w, http.StatusOK, sessionOf(s.principal(r)))
}

// handleSignIn trades an API key for a session cookie.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	var req api.SignIn
	if err := decodeJSON(w, r, maxSessionBody, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if s.Access.Keys == nil || s.Access.Sessions == nil {
		s.error(w, r, reel.Errorf(reel.ECONFLICT, "This server has no access control to sign in to."))
		return
	}
	ctx := r.Context()
	k, err := s.Access.Keys.KeyByHash(ctx, reel.HashSecret(req.Key))
	if reel.ErrorCode(err) == reel.ENOTFOUND || err == nil && k.Revoked() || req.Key == "" {
		s.error(w, r, reel.Errorf(reel.EUNAUTHORIZED, "The key is unknown or revoked."))
		return
	} else if err != nil {
		s.error(w, r, err)
		return
	}
	now := s.Now()
	// Sign-ins are rare: a good time to forget sessions that ended.
	if err := s.Access.Sessions.DeleteExpiredSessions(ctx, now); err != nil {
		s.Logger.Warn("delete expired sessions", "err", err)
	}
	ttl := s.Access.SessionTTL
	if ttl <= 0 {
		ttl = defaultSessionTTL
	}
	id := reel.NewSecret()
	expires := now.Add(ttl).Truncate(time.Second).UTC()
	if err := s.Access.Sessions.CreateSession(ctx, reel.HashSecret(id), k.ID, expires); err != nil {
		s.error(w, r, err)
		return
	}
	http.SetCookie(w, s.cookie(r, id, expires))
	s.Logger.Info("signed in", "key", k.ID, "name", k.Name)
	out := sessionOf(principalOf(k))
	out.ExpiresAt = &expires
	w.Header().Set("Cache-Control", "no-store")
	s.json(w, http.StatusCreated, out)
}

// handleSignOut ends the session of the cookie, if any, and clears it.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" && s.Access.Sessions != nil {
		if err := s.Access.Sessions.DeleteSession(r.Context(), reel.HashSecret(c.Value)); err != nil {
			s.error(w, r, err)
			return
		}
	}
	http.SetCookie(w, s.cookie(r, "", time.Unix(0, 0)))
	w.WriteHeader(http.StatusNoContent)
}

// cookie returns the session cookie: HttpOnly, so page scripts cannot read
// it; SameSite=Lax, so other sites' forms do not send it (the origin
// check is the second line); Secure over TLS or when the public URL is
// https (TLS ends at a proxy in front).
func (s *Server) cookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	c := &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || strings.HasPrefix(s.PublicURL, "https://"),
	}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

func principalOf(k *reel.Key) *reel.Principal {
	return &reel.Principal{KeyID: k.ID, Name: k.Name, Role: k.Role}
}
