package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"reel"
	"reel/api"
)

func TestStatus(t *testing.T) {
	for code, want := range map[string]int{
		reel.EINVALID:      http.StatusBadRequest,
		reel.EUNAUTHORIZED: http.StatusUnauthorized,
		reel.EFORBIDDEN:    http.StatusForbidden,
		reel.ENOTFOUND:     http.StatusNotFound,
		reel.ECONFLICT:     http.StatusConflict,
		reel.EEXPIRED:      http.StatusGone,
		reel.ETOOLARGE:     http.StatusRequestEntityTooLarge,
		api.RateLimited:    http.StatusTooManyRequests,
		api.Misdirected:    http.StatusMisdirectedRequest,
		reel.EUNAVAILABLE:  http.StatusServiceUnavailable,
		reel.EINTERNAL:     http.StatusInternalServerError,
		"no such code":     http.StatusInternalServerError,
	} {
		if got := api.Status(code); got != want {
			t.Errorf("Status(%q) = %d, want %d", code, got, want)
		}
	}
}

// TestErrorResponse checks the error body's shape, as README documents it.
func TestErrorResponse(t *testing.T) {
	b, err := json.Marshal(api.ErrorResponse{Error: api.Error{Code: reel.EINVALID, Message: "The file is empty."}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"error":{"code":"invalid","message":"The file is empty."}}`; string(b) != want {
		t.Errorf("%s, want %s", b, want)
	}
	var e api.ErrorResponse
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Error() != "The file is empty. (invalid)" {
		t.Errorf("decoded %+v, %v", e, err)
	}
}

// TestVideoOmits checks which fields a video leaves out until they mean
// something, and which it always has.
func TestVideoOmits(t *testing.T) {
	b, err := json.Marshal(api.Video{ID: "abc", Status: reel.StatusQueued, Warnings: []reel.MediaWarning{}, Visibility: reel.DefaultVisibility})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"error", "duration", "width", "height", "renditions", "playback", "owner", "codecs", "downloads"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s present in %s", k, b)
		}
	}
	for _, k := range []string{"id", "title", "description", "filename", "status", "progress", "playable", "encrypted", "warnings", "size",
		"content_type", "created_at", "updated_at", "visibility"} {
		if _, ok := m[k]; !ok {
			t.Errorf("%s missing from %s", k, b)
		}
	}
}
