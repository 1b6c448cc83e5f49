package reel

import (
	"context"
	"encoding/json"
	"time"
)

// The events a webhook may subscribe to, in the order a video meets them.
const (
	EventVideoCreated  = "video.created"  // the video row exists, its original may still be uploading
	EventVideoUploaded = "video.uploaded" // the original is complete and the transcode queued
	EventVideoPlayable = "video.playable" // the first segments are published
	EventVideoReady    = "video.ready"    // every rendition is published
	EventVideoFailed   = "video.failed"   // the transcode failed for good
	EventVideoDeleted  = "video.deleted"  // the video is gone
)

// WebhookEvents lists every event a webhook may subscribe to.
var WebhookEvents = []string{EventVideoCreated, EventVideoUploaded, EventVideoPlayable,
	EventVideoReady, EventVideoFailed, EventVideoDeleted}

// ValidWebhookEvent reports whether e is one of WebhookEvents.
func ValidWebhookEvent(e string) bool {
	for _, w := range WebhookEvents {
		if e == w {
			return true
		}
	}
	return false
}

// Webhook is an endpoint that receives signed POSTs of the events it
// subscribes to (the Standard Webhooks specification).
type Webhook struct {
	ID        string
	URL       string
	Events    []string
	Secret    string // whsec_<base64>; shown to the admin only at creation and rotation
	CreatedAt time.Time
}

// Subscribes reports whether w wants event e.
func (w *Webhook) Subscribes(e string) bool {
	for _, x := range w.Events {
		if x == e {
			return true
		}
	}
	return false
}

// WebhookDelivery is one attempt to deliver one event to one webhook.
type WebhookDelivery struct {
	WebhookID string
	MessageID string // the webhook-id header, the same on every attempt
	Event     string
	Attempt   int
	Time      time.Time
	Status    int    // the receiver's HTTP status, 0 if none came
	Error     string // why the attempt failed, "" if it succeeded
}

// WebhookStore keeps webhooks and their deliveries.
type WebhookStore interface {
	// CreateWebhook stores w, filling ID and CreatedAt.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// Webhook returns the webhook with id, its secret included.
	Webhook(ctx context.Context, id string) (*Webhook, error)
	// Webhooks returns every webhook, oldest first, secrets included.
	Webhooks(ctx context.Context) ([]*Webhook, error)
	// DeleteWebhook removes the webhook and its deliveries.
	DeleteWebhook(ctx context.Context, id string) error
	// SetWebhookSecret replaces the webhook's secret.
	SetWebhookSecret(ctx context.Context, id, secret string) error
	// AddDelivery records an attempt.
	AddDelivery(ctx context.Context, d *WebhookDelivery) error
	// Deliveries returns the webhook's latest attempts, newest first.
	Deliveries(ctx context.Context, webhookID string, limit int) ([]*WebhookDelivery, error)
}

// The types of a video's event log entries, in the order a video meets them.
const (
	LogCreated   = "created"
	LogUploaded  = "uploaded"
	LogStarted   = "transcode.started"
	LogProbed    = "probed"
	LogRendition = "rendition.done"
	LogPlayable  = "playable"
	LogReady     = "ready"
	LogFailed    = "failed"
	LogRetried   = "retried"
)

// VideoEvent is one entry of a video's event log: what happened to it,
// when. Detail is for admins only (ffmpeg's stderr tail).
type VideoEvent struct {
	Time    time.Time
	Type    string
	Message string
	Data    json.RawMessage // an object, or nil
	Detail  string
}

// VideoEventStore keeps each video's event log, removed with the video.
type VideoEventStore interface {
	// AddVideoEvent appends e to the log of the video; an unknown video is
	// not an error (it was deleted meanwhile) and records nothing.
	AddVideoEvent(ctx context.Context, videoID string, e VideoEvent) error
	// VideoEvents returns the video's log, oldest first.
	VideoEvents(ctx context.Context, videoID string) ([]VideoEvent, error)
}
