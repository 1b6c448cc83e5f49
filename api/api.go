// Package api declares the JSON shapes of reel's HTTP API once: the web
// handlers encode these types, and reel upload, the tests and any Go
// program that calls the API decode them. It also holds the one mapping of
// the API's error codes to HTTP statuses.
//
// Field names and JSON names are the API's contract (README's API
// section): add fields, never rename them.
package api

import (
	"net/http"
	"time"

	"reel"
)

// Video is a video as the API shows it: the answer to GET, PATCH and
// retry of /api/videos/{id}, to a form upload, and the items of a list.
type Video struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Filename    string      `json:"filename"`
	Status      reel.Status `json:"status"`
	Progress    float64     `json:"progress"`
	Playable    bool        `json:"playable"`
	Encrypted   bool        `json:"encrypted"`
	// Codecs ("h264,hevc") and Downloads are the video's own choices, or,
	// once a worker has started it, what it makes: absent while a video
	// that did not choose waits for the server's default.
	Codecs      string              `json:"codecs,omitempty"`
	Downloads   *bool               `json:"downloads,omitempty"`
	Chunks      int                 `json:"chunks"`          // pieces it was encoded in: 1 when whole
	Error       string              `json:"error,omitempty"` // why it failed, for the uploader
	Warnings    []reel.MediaWarning `json:"warnings"`
	Size        int64               `json:"size"`
	ContentType string              `json:"content_type"`
	CreatedAt   time.Time           `json:"created_at"`
	UpdatedAt   time.Time           `json:"updated_at"`
	Duration    float64             `json:"duration,omitempty"` // seconds, once ready
	Width       int                 `json:"width,omitempty"`
	Height      int                 `json:"height,omitempty"`
	Renditions  []reel.Rendition    `json:"renditions,omitempty"`
	Playback    *Playback           `json:"playback,omitempty"` // once playable
	Visibility  reel.Visibility     `json:"visibility"`
	Owner       string              `json:"owner,omitempty"` // the creating key's id
}

// Playback holds the signed URLs of a playable video.
type Playback struct {
	URL       string `json:"url"` // of the master playlist
	PosterURL string `json:"poster_url"`
	// DownloadURL and AudioDownloadURL are the video's downloads
	// (reel.DownloadVideo, reel.DownloadAudio), when it has them.
	DownloadURL      string    `json:"download_url,omitempty"`
	AudioDownloadURL string    `json:"audio_download_url,omitempty"`
	ExpiresAt        time.Time `json:"expires_at"`
}

// VideoList is a page of videos, newest first: the answer to GET
// /api/videos. NextCursor, when not empty, asks for the next page
// (?cursor=).
type VideoList struct {
	Videos     []Video `json:"videos"`
	NextCursor string  `json:"next_cursor"`
}

// VideoUpdate is the body of PATCH /api/videos/{id}; absent fields stay.
type VideoUpdate struct {
	Title       *string          `json:"title"`
	Description *string          `json:"description"`
	Visibility  *reel.Visibility `json:"visibility"`
}

// PosterChoice is the JSON body of PUT /api/videos/{id}/poster: the time,
// in seconds from the start, of the frame to make the poster.
type PosterChoice struct {
	Time *float64 `json:"time"`
}

// DirectUploadRequest is the body of POST /api/videos/direct.
type DirectUploadRequest struct {
	Filename    string `json:"filename"`
	Size        int64  `json:"size"`
	Title       string `json:"title"`
	Description string `json:"description"`
	ContentType string `json:"content_type"`
	Visibility  string `json:"visibility"` // public, unlisted or private; "" for the default
	Encrypt     bool   `json:"encrypt"`    // publish with HLS AES-128
	// Codecs are the video codecs of its ladder, as --codecs takes them
	// ("h264,hevc"); Downloads asks for its downloads. Absent: the
	// server's defaults.
	Codecs    string `json:"codecs"`
	Downloads *bool  `json:"downloads"`
}

// DirectPart is where to PUT one part of a direct upload.
type DirectPart struct {
	Number int    `json:"part_number"`
	URL    string `json:"url"`
}

// DirectUpload is the answer to POST /api/videos/direct: PUT byte range
// [(n-1)*PartSize, n*PartSize) of the file to part n's URL, then POST the
// ETags to CompleteURL (DirectComplete).
type DirectUpload struct {
	Video       Video        `json:"video"`
	UploadID    string       `json:"upload_id"`
	PartSize    int64        `json:"part_size"`
	Parts       []DirectPart `json:"parts"`
	ExpiresAt   time.Time    `json:"expires_at"`
	CompleteURL string       `json:"complete_url"`
}

// DirectComplete is the body of POST /api/videos/{id}/complete.
type DirectComplete struct {
	Parts []reel.CompletedPart `json:"parts"`
}

// Session says who the caller is: the answer to GET and POST
// /api/session.
type Session struct {
	// Open is true while the server runs without keys (every request
	// acts as admin).
	Open bool `json:"open"`
	// SignedIn is true when the caller has a session or sent a key.
	SignedIn  bool       `json:"signed_in"`
	Role      reel.Role  `json:"role,omitempty"`
	KeyID     string     `json:"key_id,omitempty"`
	Name      string     `json:"name,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// SignIn is the body of POST /api/session: an API key.
type SignIn struct {
	Key string `json:"key"`
}

// ErrorResponse is the body of every error answer:
// {"error": {"code": "invalid", "message": "The file is empty."}}.
type ErrorResponse struct {
	Error Error `json:"error"`
}

// Error is an error as the API reports it: one of the codes (reel's error
// codes, or RateLimited) and a sentence for the user.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns the message and the code.
func (e *Error) Error() string { return e.Message + " (" + e.Code + ")" }

// Codes of the HTTP layer's own refusals; the other codes are reel's
// (reel.EINVALID...).
const (
	// RateLimited refuses a caller over its request rate.
	RateLimited = "rate_limited"
	// Misdirected refuses a request for a host name other than loopback
	// while reel runs open (no API key yet).
	Misdirected = "misdirected"
)

// Status returns the HTTP status of error answers with the code: the one
// place codes meet statuses. Unknown codes are 500.
func Status(code string) int {
	switch code {
	case reel.EINVALID:
		return http.StatusBadRequest
	case reel.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case reel.EFORBIDDEN:
		return http.StatusForbidden
	case reel.ENOTFOUND:
		return http.StatusNotFound
	case reel.ECONFLICT:
		return http.StatusConflict
	case reel.EEXPIRED:
		return http.StatusGone
	case reel.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case RateLimited:
		return http.StatusTooManyRequests
	case Misdirected:
		return http.StatusMisdirectedRequest
	case reel.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Caption is a subtitle rendition of a video: the items of GET
// /api/videos/{id}/captions and the answer to PUT
// /api/videos/{id}/captions/{lang}.
type Caption struct {
	Language string `json:"language"` // BCP 47, e.g. en or pt-BR
	Label    string `json:"label"`    // what a player's menu shows
	// Source is "upload" for captions sent with PUT, "file" for the
	// source file's own subtitle tracks.
	Source string `json:"source"`
}

// CaptionList is the answer to GET /api/videos/{id}/captions, in the
// master playlist's order.
type CaptionList struct {
	Captions []Caption `json:"captions"`
}
