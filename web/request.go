package web

// Helpers every resource's handlers share: reading a JSON body, the
// caller, the video the path names and whether the caller may see or
// change it, the server's base URL.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"reel"
)

// decodeJSON reads one JSON object of at most limit bytes from the body
// into v, refusing unknown fields and trailing data with a clear EINVALID
// error, and an overlong body with ETOOLARGE.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		return reel.Errorf(reel.EINVALID, "The request body has data after the JSON object.")
	}
	var maxBytes *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &maxBytes):
		return reel.Errorf(reel.ETOOLARGE, "The request body is larger than %d bytes.", limit)
	case errors.Is(err, io.EOF):
		return reel.Errorf(reel.EINVALID, "The request body is empty: send a JSON object.")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return reel.WrapError(reel.EINVALID, "The request body is not valid JSON.", err)
	case errors.As(err, &typ) && typ.Field != "":
		return reel.WrapError(reel.EINVALID, fmt.Sprintf("The field %q has the wrong type.", typ.Field), err)
	case errors.As(err, &typ):
		return reel.WrapError(reel.EINVALID, "The request body must be a JSON object.", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for it; the message is stable.
		return reel.WrapError(reel.EINVALID, "The request has an "+strings.TrimPrefix(err.Error(), "json: ")+".", err)
	}
	return reel.WrapError(reel.EINVALID, "The request body is not the JSON object expected.", err)
}

func acceptsGzip(r *http.Request) bool {
	for _, enc := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(enc), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (s *Server) tooLarge() error { return s.videos.TooLarge() }

func (s *Server) handleNoEndpoint(w http.ResponseWriter, r *http.Request) {
	s.error(w, r, reel.Errorf(reel.ENOTFOUND, "No such API endpoint."))
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

// visibleVideo returns the video named by the path if the caller may see
// it (video.Service.Visible).
func (s *Server) visibleVideo(r *http.Request) (*reel.Video, error) {
	return s.videos.Visible(r.Context(), s.principal(r), r.PathValue("id"))
}

// managedVideo returns the video named by the path if the caller may
// change it (video.Service.Managed).
func (s *Server) managedVideo(r *http.Request) (*reel.Video, error) {
	return s.videos.Managed(r.Context(), s.principal(r), r.PathValue("id"))
}

// baseURL is where clients reach this server.
func (s *Server) baseURL(r *http.Request) string {
	if s.PublicURL != "" {
		return s.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host}).String()
}

// errVisibility refuses a visibility that is not one of the three.
var errVisibility = reel.Errorf(reel.EINVALID, "visibility must be public, unlisted or private.")
