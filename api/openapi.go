package api

import (
	"bytes"
	_ "embed"
)

// openAPI is the OpenAPI 3.1 document of the whole HTTP API, written by
// hand: the one description of every route, parameter, body and status
// (docs/api.md). A test checks it against the server's route table, and
// the end-to-end tests validate the answers they receive against it.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document (JSON) of the API, as served at
// GET /api/openapi.json. The caller gets its own copy.
func OpenAPI() []byte { return bytes.Clone(openAPI) }
