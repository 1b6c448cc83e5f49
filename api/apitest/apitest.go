// Package apitest checks HTTP answers against the API's OpenAPI document
// (api.OpenAPI) with kin-openapi, so that the end-to-end tests validate
// every answer they receive: its status must be documented for its route,
// and a JSON body must match the documented schema.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"reel/api"
)

// Load parses and validates the API's document.
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate the OpenAPI document: %w", err)
	}
	return doc, nil
}

// Checker validates answers against the document.
type Checker struct {
	doc    *openapi3.T
	router routers.Router
}

// New returns a Checker of the API's document.
func New() (*Checker, error) {
	doc, err := Load()
	if err != nil {
		return nil, err
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI document: %w", err)
	}
	return &Checker{doc: doc, router: router}, nil
}

// Check validates one answer to req. A request for no documented route
// (an unknown API path, a wrong method) must be answered with an error in
// the API's error shape.
func (c *Checker) Check(req *http.Request, status int, header http.Header, body []byte) error {
	if !c.canonical(req) {
		// The edge refuses other spellings of a path before any route
		// (web/canonical.go); the attack tests check those answers.
		return nil
	}
	if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" && strings.HasPrefix(req.URL.Path, "/api/") {
		// CORS preflights of the API are answered for every API path
		// before routing (web/cors.go), as the document's description says.
		return nil
	}
	route, params, err := c.router.FindRoute(routable(req))
	var notFound *routers.RouteError
	if errors.As(err, &notFound) {
		mediaType, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
		switch {
		case status < 400:
			return fmt.Errorf("%s %s: undocumented route answered %d", req.Method, req.URL.Path, status)
		case !strings.HasPrefix(req.URL.Path, "/api/") && mediaType != "application/json", req.Method == http.MethodHead:
			return nil // refused outside the API, in plain text, or with no body
		}
		return c.checkError(req, status, body)
	} else if err != nil {
		return fmt.Errorf("%s %s: find route: %w", req.Method, req.URL.Path, err)
	}
	mediaType, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			// Only JSON bodies have a schema worth checking; media,
			// playlists and the page are checked by their own tests.
			ExcludeResponseBody: mediaType != "application/json",
			MultiError:          true,
		},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s answered %d, not as documented: %w\nbody: %.500s", req.Method, req.URL.Path, status, err, body)
	}
	return nil
}

// canonical reports whether req's path is spelled the one way reel
// answers to: no escapes, no control characters or spaces, no
// backslash, no empty, "." or ".." segment, no trailing slash but on
// the documented paths that end in one.
func (c *Checker) canonical(req *http.Request) bool {
	p := req.URL.Path
	if p != "/" && strings.HasSuffix(p, "/") && c.doc.Paths.Value(p) == nil {
		return false
	}
	if req.URL.RawPath != "" || strings.ContainsAny(p, "\\%") || strings.Contains(p, "//") {
		return false
	}
	for _, c := range []byte(p) {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// routable returns req with the file of a /play/ path as one segment:
// OpenAPI path parameters hold no slash, but /play/{token}/{id}/{file}
// names files in folders (720p/seg-00001.m4s).
func routable(req *http.Request) *http.Request {
	parts := strings.SplitN(req.URL.Path, "/", 5) // "", play, token, id, file
	if len(parts) < 5 || parts[1] != "play" {
		return req
	}
	parts[4] = strings.ReplaceAll(parts[4], "/", "%2F")
	out := req.Clone(req.Context())
	out.URL.Path, out.URL.RawPath = strings.Join(parts, "/"), ""
	return out
}

// checkError validates body as the API's error shape.
func (c *Checker) checkError(req *http.Request, status int, body []byte) error {
	schema := c.doc.Components.Schemas["ErrorResponse"].Value
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("%s %s answered %d without a JSON error: %.200s", req.Method, req.URL.Path, status, body)
	}
	if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		return fmt.Errorf("%s %s answered %d, not the error shape: %w", req.Method, req.URL.Path, status, err)
	}
	return nil
}

// Client returns a copy of base (http.DefaultClient if nil) that checks
// every answer it receives and reports mismatches with t.Errorf.
func Client(t testing.TB, base *http.Client) *http.Client {
	t.Helper()
	if base == nil {
		base = http.DefaultClient
	}
	out := *base
	next := base.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	out.Transport = Transport(t, next, "")
	return &out
}

// Transport returns a RoundTripper that sends through next and checks the
// answers of reel at server (a base URL such as http://127.0.0.1:8080),
// or of any host if server is "", reporting mismatches with t.Errorf.
// Requests to other hosts (an edge in front, a bucket) pass unchecked.
func Transport(t testing.TB, next http.RoundTripper, server string) http.RoundTripper {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	host := ""
	if server != "" {
		u, err := url.Parse(server)
		if err != nil {
			t.Fatal(err)
		}
		host = u.Host
	}
	return &transport{t: t, c: c, next: next, host: host}
}

// transport checks the answers passing through it.
type transport struct {
	t    testing.TB
	c    *Checker
	next http.RoundTripper
	host string // "" for any
}

// RoundTrip reads the answer's body to check it and hands on a copy.
// Bodies of media and page files are streamed on unread: only JSON is
// checked against a schema.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := tr.next.RoundTrip(req)
	if err != nil || tr.host != "" && req.URL.Host != tr.host {
		return resp, err
	}
	var body []byte
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/json" {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	if err := tr.c.Check(req, resp.StatusCode, resp.Header, body); err != nil {
		tr.t.Errorf("OpenAPI: %v", err)
	}
	return resp, nil
}
