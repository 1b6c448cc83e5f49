package web

// The operator's endpoints beside the API: /readyz (package health) and
// /metrics (package metrics). /healthz is health.Live itself.

import (
	"net/http"

	"reel"
)

// handleReady answers /readyz with the checker, or 200 when none is set.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.Ready == nil {
		w.Write([]byte("ok\n"))
		return
	}
	s.Ready.ServeHTTP(w, r)
}

// handleMetrics serves the metrics to a loopback client asking for a
// loopback host (a Prometheus on the same machine; the host check keeps
// out pages of other sites through DNS rebinding), and to admins: an admin
// API key as "Authorization: Bearer <key>" or an admin's session.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		s.error(w, r, reel.Errorf(reel.ENOTFOUND, "This server keeps no metrics."))
		return
	}
	if !(ClientAddr(r, s.Access.TrustedProxies).IsLoopback() && loopbackHost(r.Host)) {
		if s.auth == nil {
			s.error(w, r, reel.Errorf(reel.EFORBIDDEN, "Metrics are for loopback clients and admins."))
			return
		}
		p, _, err := s.auth.authenticate(r)
		if err == nil && (p == nil || p.Role != reel.RoleAdmin || p.Open) {
			// Open mode makes anyone admin, but is only allowed on a
			// loopback listener, whose clients passed the check above.
			err = reel.Errorf(reel.EFORBIDDEN, "Metrics are for loopback clients and admins: send an admin API key (Authorization: Bearer <key>).")
		}
		if err != nil {
			if reel.ErrorCode(err) == reel.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="reel"`)
			}
			s.error(w, r, err)
			return
		}
	}
	s.Metrics.Handler().ServeHTTP(w, r)
}
