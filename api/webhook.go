package api

import (
	"encoding/json"
	"time"
)

// WebhookCreate is the body of POST /api/webhooks.
type WebhookCreate struct {
	URL    string   `json:"url"`    // http:// or https://
	Events []string `json:"events"` // video.created, video.uploaded, video.playable, video.ready, video.failed, video.deleted
}

// Webhook is a webhook as the API shows it: the answer to POST
// /api/webhooks and POST /api/webhooks/{id}/rotate (with Secret, shown
// only then) and the items of GET /api/webhooks (without).
type Webhook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"` // whsec_<base64>
	CreatedAt time.Time `json:"created_at"`
}

// WebhookList is the answer to GET /api/webhooks, oldest first.
type WebhookList struct {
	Webhooks []Webhook `json:"webhooks"`
}

// Delivery is one attempt to deliver one message.
type Delivery struct {
	Time      time.Time `json:"time"`
	Event     string    `json:"event"`
	WebhookID string    `json:"webhook_id"` // the message's webhook-id header, the same on every attempt
	Attempt   int       `json:"attempt"`    // 1 for the first
	Status    int       `json:"status"`     // the receiver's HTTP status, 0 if none came
	Error     string    `json:"error"`      // "" if delivered
}

// DeliveryList is the answer to GET /api/webhooks/{id}/deliveries: the
// latest 100 attempts, newest first.
type DeliveryList struct {
	Deliveries []Delivery `json:"deliveries"`
}

// VideoEvent is one entry of a video's event log.
type VideoEvent struct {
	Time    time.Time       `json:"time"`
	Type    string          `json:"type"` // created, uploaded, transcode.started, probed, rendition.done, playable, ready, failed, retried
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`   // an object whose fields depend on the type
	Detail  string          `json:"detail,omitempty"` // ffmpeg's stderr tail of a failure; admins only
}

// VideoEvents is the answer to GET /api/videos/{id}/events, oldest first.
type VideoEvents struct {
	Events []VideoEvent `json:"events"`
}
