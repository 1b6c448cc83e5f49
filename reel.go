// Package reel is a self-hosted video-on-demand server. This root package
// names the domain (videos and their states) and the seams every backend
// plugs into: the store of videos, the blob store for originals and outputs,
// the transcoder and the signer of playback URLs. It imports only the
// standard library; each subpackage adapts one dependency to a seam, and
// only cmd/reel knows the concrete types.
package reel

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Status is where a video stands in its life: uploading → queued →
// processing → ready | failed.
type Status string

// The states of a video.
const (
	StatusUploading  Status = "uploading"
	StatusQueued     Status = "queued"
	StatusProcessing Status = "processing"
	StatusReady      Status = "ready"
	StatusFailed     Status = "failed"
)

// Video is one uploaded video and what reel made of it.
type Video struct {
	ID          string
	Title       string
	Description string // the uploader's words about it; may span lines
	Status      Status
	Progress    float64 // 0..1 while processing, 1 once ready
	Error       string  // a sentence for the uploader when Status is failed
	ErrorDetail string  // ffmpeg's stderr tail, for the operator
	Filename    string  // the client's file name, sanitized; never used as a key
	ContentType string  // as the client declared it
	Size        int64   // bytes of the original
	OriginalKey string  // key of the original in the originals store
	UploadID    string  // the store's multipart upload while uploading straight to it
	JobID       int64   // the transcode job last enqueued for it, 0 if none
	Owner       string  // id of the API key that created it; "" if none did

	// Visibility is who may list and play it; "" is stored as
	// DefaultVisibility.
	Visibility Visibility

	// Playable is true once a master playlist is published: from the
	// first segments of every rendition on, while still processing.
	Playable bool

	// Encrypted is true when the video's segments are published encrypted
	// with HLS AES-128: asked for at upload, or by reel serve --encrypt.
	Encrypted bool

	// Codecs are the video codecs of its ladder (ParseCodecs), asked for
	// at upload; nil for the server's default (--codecs), until a worker
	// starts it and records the codecs it encodes. Every piece of a split
	// video and its stitch encode these, whatever their worker's default.
	Codecs []string

	// Downloads says whether the video has downloads (an MP4 and an M4A,
	// DownloadVideo and DownloadAudio): asked for at upload, or nil for
	// the server's default (--downloads) until a worker starts it and
	// records what it makes. Encrypted videos have none.
	Downloads *bool

	// Chunks is how many pieces the video was encoded in: 1 for a video
	// transcoded whole, N for one split into N pieces (SplitTranscoder).
	Chunks int

	// Poster is the file, under the video's outputs, of the poster its
	// owner chose; "" for the one the transcode made (PosterImage). Each
	// choice gets a new name (NewPosterFile): published files are immutable.
	Poster string

	// Warnings is the media report: what probing found and what reel
	// decided about it (no audio, rotation applied, HDR tone-mapped...).
	Warnings []MediaWarning

	// Known once ready.
	Duration   float64 // seconds
	Width      int
	Height     int
	Renditions []Rendition

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Rendition is one rendition of the HLS output as published: a rung of
// the video ladder, or the audio, which is encoded once and played by
// every video rung (an audio rendition has no size). A video rung's
// bandwidths and codecs are those of its master playlist entry: its video
// plus the audio.
type Rendition struct {
	Name             string  `json:"name"` // "720p" or "audio", also the folder of its playlist
	Width            int     `json:"width"`
	Height           int     `json:"height"`
	Bandwidth        int     `json:"bandwidth"`         // measured peak, bits/s
	AverageBandwidth int     `json:"average_bandwidth"` // measured mean, bits/s
	Codecs           string  `json:"codecs"`
	FrameRate        float64 `json:"frame_rate"`
	Channels         int     `json:"channels,omitempty"` // audio only: 2 for stereo
	Language         string  `json:"language,omitempty"` // audio only, when the source says: BCP 47, e.g. "en"
	// Audio only: the name a player's menu shows ("English",
	// "English (commentary)", "Audio 2"); the default track; whether a
	// player may pick it by the viewer's language; Apple's accessibility
	// characteristics (a track describing the picture).
	Label           string `json:"label,omitempty"`
	Default         bool   `json:"default,omitempty"`
	AutoSelect      bool   `json:"autoselect,omitempty"`
	Characteristics string `json:"characteristics,omitempty"`
	// Download is the file under the video's outputs that holds this
	// rendition as one file to download (DownloadVideo, DownloadAudio);
	// "" if none was made.
	Download string `json:"download,omitempty"`
}

// IsAudio reports whether r is an audio rendition: it has no picture.
func (r Rendition) IsAudio() bool { return r.Width == 0 && r.Height == 0 }

// idEncoding spells ids in lower-case letters and digits, safe in paths and keys.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a fresh random video id of 16 characters (80 random bits).
func NewID() string {
	var b [10]byte
	rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

var idPattern = regexp.MustCompile(`^[a-z2-7]{16}$`)

// ValidID reports whether s has the shape of a video id. Handlers check it
// before an id reaches a store, so no id can name a path outside its folder.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// OriginalKey is the key of a video's original in the originals store.
func OriginalKey(id string) string { return id + "/original" }

// OutputPrefix is the key prefix, ending in a slash, under which a video's
// outputs live in the outputs store.
func OutputPrefix(id string) string { return id + "/" }

// VideoFilter selects a page of videos, newest first unless Oldest.
type VideoFilter struct {
	Limit  int    // at most this many; 0 means a default
	Cursor string // opaque, from a previous page's next cursor

	// Query, when not empty, keeps the videos whose title contains it,
	// in any case (FoldTitle on both sides).
	Query string
	// Status, when not empty, keeps the videos in that state.
	Status Status
	// Oldest lists oldest first. A cursor holds its direction: it
	// continues only a listing in the same direction.
	Oldest bool

	// PublicOnly lists only public videos and, if Owner is set, the
	// videos of that owner (see ListFilter).
	PublicOnly bool
	Owner      string
}

// VideoUpdate names the fields to change; nil fields stay as they are.
type VideoUpdate struct {
	Title       *string
	Description *string
	Status      *Status
	Progress    *float64
	Playable    *bool
	Encrypted   *bool
	Codecs      []string // set when non-nil
	Downloads   *bool
	Error       *string
	ErrorDetail *string
	Duration    *float64
	Width       *int
	Height      *int
	UploadID    *string
	Visibility  *Visibility
	Poster      *string
	Renditions  []Rendition    // set when non-nil
	Warnings    []MediaWarning // set when non-nil
}

// VideoStore keeps videos. Implementations return *Error with ENOTFOUND for
// an unknown id.
type VideoStore interface {
	// CreateVideo stores v, filling CreatedAt and UpdatedAt; an empty
	// Status means uploading. A video created queued gets its transcode job
	// inserted in the same transaction, and v.JobID set.
	CreateVideo(ctx context.Context, v *Video) error
	// Video returns the video with the id.
	Video(ctx context.Context, id string) (*Video, error)
	// Videos returns a page of the videos f selects, newest first (oldest
	// first with f.Oldest), and the cursor of the next page ("" after the
	// last). A cursor of another direction is EINVALID.
	Videos(ctx context.Context, f VideoFilter) ([]*Video, string, error)
	// UpdateVideo changes the named fields and returns the video as stored.
	UpdateVideo(ctx context.Context, id string, u VideoUpdate) (*Video, error)
	// DeleteVideo removes the row.
	DeleteVideo(ctx context.Context, id string) error
	// Enqueue marks the video queued (recording the original's size and any
	// title) and inserts its transcode job in the same transaction, so a
	// complete original can never be left without a job.
	Enqueue(ctx context.Context, id string, size int64, title *string) (*Video, error)
	// RequeueStalled marks queued, with a new transcode job inserted in the
	// same transaction, every processing video not updated since before:
	// its worker died. It returns the videos requeued.
	RequeueStalled(ctx context.Context, before time.Time) ([]*Video, error)
}

// Sanitize returns s as valid UTF-8 without control characters and
// without invisible format characters (Unicode category Cf: the
// bidirectional overrides and isolates U+202A–U+202E and U+2066–U+2069,
// the marks U+200E/U+200F, zero-width spaces and joiners, soft hyphens,
// tags), cut to at most max bytes on a rune boundary. Names and titles
// from clients pass through it: a name shown must read as it is, not
// reordered or padded with what cannot be seen.
func Sanitize(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
