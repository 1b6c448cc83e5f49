package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"reel"
	"reel/api"
	"reel/webhook"
)

// WebhookQueue is the River queue of webhook deliveries, apart from the
// transcodes so that a busy transcode queue never delays them.
const WebhookQueue = "webhooks"

// WebhookArgs are the arguments of one message to one webhook. The
// message id and body are fixed when the event happens: every attempt
// sends the same webhook-id and body (signed anew with the attempt's time).
type WebhookArgs struct {
	WebhookID string          `json:"webhook_id"`
	MessageID string          `json:"message_id"`
	Event     string          `json:"event"`
	Body      json.RawMessage `json:"body"`
}

// Kind names the job in River's table.
func (WebhookArgs) Kind() string { return "webhook" }

// webhookRetries are the delays before each retry: the first within
// seconds, then growing; their sum (about 23 h) is the life of a message.
var webhookRetries = []time.Duration{5 * time.Second, time.Minute, 10 * time.Minute, time.Hour,
	2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 8 * time.Hour}

// InsertOpts allows one attempt and one per retry delay.
func (WebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: WebhookQueue, MaxAttempts: len(webhookRetries) + 1}
}

// WebhookWorker delivers webhook messages.
type WebhookWorker struct {
	river.WorkerDefaults[WebhookArgs]

	Webhooks reel.WebhookStore
	Sender   *webhook.Sender
	Logger   *slog.Logger
}

// Timeout leaves the sender's own timeout room to record the attempt.
func (w *WebhookWorker) Timeout(*river.Job[WebhookArgs]) time.Duration {
	return webhook.Timeout + 10*time.Second
}

// NextRetry follows webhookRetries instead of River's default backoff.
func (w *WebhookWorker) NextRetry(job *river.Job[WebhookArgs]) time.Time {
	i := min(max(job.Attempt-1, 0), len(webhookRetries)-1)
	return time.Now().Add(webhookRetries[i])
}

// Work sends the message once and records the attempt. An error makes
// River retry it; a webhook deleted meanwhile ends it.
func (w *WebhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	a := job.Args
	hook, err := w.Webhooks.Webhook(ctx, a.WebhookID)
	if reel.ErrorCode(err) == reel.ENOTFOUND {
		return river.JobCancel(errors.New("webhook deleted"))
	} else if err != nil {
		return err
	}
	res, sendErr := w.Sender.Send(ctx, hook.URL, hook.Secret, a.MessageID, a.Body)
	d := &reel.WebhookDelivery{WebhookID: a.WebhookID, MessageID: a.MessageID, Event: a.Event,
		Attempt: job.Attempt, Status: res.Status}
	if sendErr != nil {
		d.Error = sendErr.Error()
	}
	if err := w.Webhooks.AddDelivery(context.WithoutCancel(ctx), d); err != nil {
		w.Logger.Warn("webhook delivery not recorded", "webhook", a.WebhookID, "message", a.MessageID, "err", err)
	}
	if sendErr != nil {
		w.Logger.Info("webhook delivery failed", "webhook", a.WebhookID, "message", a.MessageID,
			"event", a.Event, "attempt", job.Attempt, "err", sendErr)
	}
	return sendErr
}

// AnnounceWebhooks inserts, within tx, one delivery job of event about v
// per hook. It has the shape of sqlstore.AnnounceFunc.
func (q *Queue) AnnounceWebhooks(ctx context.Context, tx *sql.Tx, hooks []*reel.Webhook, event string, v *reel.Video) error {
	data, err := json.Marshal(api.VideoOf(v))
	if err != nil {
		return err
	}
	body, err := json.Marshal(webhook.Message{Type: event, Timestamp: time.Now().UTC(), Data: data})
	if err != nil {
		return err
	}
	params := make([]river.InsertManyParams, 0, len(hooks))
	for _, h := range hooks {
		params = append(params, river.InsertManyParams{Args: WebhookArgs{
			WebhookID: h.ID, MessageID: "msg_" + reel.NewID(), Event: event, Body: body,
		}})
	}
	if _, err := q.client.InsertManyTx(ctx, tx, params); err != nil {
		return err
	}
	if q.inserted != nil {
		q.inserted()
	}
	return nil
}
