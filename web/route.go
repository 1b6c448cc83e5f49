package web

// The route table's types; the table itself is in routes.go.

import (
	"net/http"
)

// Route is one endpoint of the server.
type Route struct {
	// Method is the HTTP method, or "" for a route that answers every
	// method itself (the tus protocol, the API's fallback).
	Method string
	// Pattern is the path, in net/http.ServeMux pattern syntax.
	Pattern string
}

// endpoint is a Route with the handler that serves it.
type endpoint struct {
	Route
	handler http.Handler
}
