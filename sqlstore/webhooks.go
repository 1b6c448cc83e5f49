package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"reel"
)

// Webhooks live in the webhooks table (events as a JSON array, the secret
// as the admin received it) and their delivery attempts in
// webhook_deliveries. Each video's event log is video_events, removed
// with the video by its foreign key.

var (
	_ reel.WebhookStore    = (*Store)(nil)
	_ reel.VideoEventStore = (*Store)(nil)
)

// AnnounceFunc inserts, inside tx, the delivery of event about v to each
// of hooks (all subscribed to it). The job queue provides it; the store
// calls it in the transaction that makes the change, so an announced
// change and its deliveries commit together or not at all.
type AnnounceFunc func(ctx context.Context, tx *sql.Tx, hooks []*reel.Webhook, event string, v *reel.Video) error

// WithAnnounce makes the store announce its videos' changes to webhooks
// with f, and returns the store. Call it before the store is used.
func (s *Store) WithAnnounce(f AnnounceFunc) *Store {
	s.announce = f
	return s
}

const webhookColumns = `id, url, events, secret, created_at`

// CreateWebhook stores w, filling ID and CreatedAt.
func (s *Store) CreateWebhook(ctx context.Context, w *reel.Webhook) (err error) {
	defer unavailable(&err)
	w.ID = reel.NewID()
	w.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
	events, err := json.Marshal(nonNil(w.Events))
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?)`,
		w.ID, w.URL, string(events), w.Secret, w.CreatedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert webhook: %w", err)
	}
	return nil
}

// Webhook returns the webhook with id.
func (s *Store) Webhook(ctx context.Context, id string) (_ *reel.Webhook, err error) {
	defer unavailable(&err)
	w, err := scanWebhook(s.db.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, reel.Errorf(reel.ENOTFOUND, "Webhook not found.")
	}
	return w, err
}

// Webhooks returns every webhook, oldest first.
func (s *Store) Webhooks(ctx context.Context) (_ []*reel.Webhook, err error) {
	defer unavailable(&err)
	return webhooks(ctx, s.db)
}

// rowsQuerier is what conn and txn share for multi-row queries.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func webhooks(ctx context.Context, q rowsQuerier) ([]*reel.Webhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*reel.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func scanWebhook(row scanner) (*reel.Webhook, error) {
	var w reel.Webhook
	var events string
	var created int64
	if err := row.Scan(&w.ID, &w.URL, &events, &w.Secret, &created); err != nil {
		return nil, err
	}
	w.CreatedAt = time.UnixMicro(created).UTC()
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %s events: %w", w.ID, err)
	}
	return &w, nil
}

// DeleteWebhook removes the webhook and, by the foreign key, its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, id string) (err error) {
	defer unavailable(&err)
	res, err := s.db.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return reel.Errorf(reel.ENOTFOUND, "Webhook not found.")
	}
	return nil
}

// SetWebhookSecret replaces the webhook's secret.
func (s *Store) SetWebhookSecret(ctx context.Context, id, secret string) (err error) {
	defer unavailable(&err)
	res, err := s.db.ExecContext(ctx, `UPDATE webhooks SET secret = ? WHERE id = ?`, secret, id)
	if err != nil {
		return fmt.Errorf("rotate webhook secret: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return reel.Errorf(reel.ENOTFOUND, "Webhook not found.")
	}
	return nil
}

// AddDelivery records an attempt. An attempt for a webhook deleted
// meanwhile is dropped.
func (s *Store) AddDelivery(ctx context.Context, d *reel.WebhookDelivery) (err error) {
	defer unavailable(&err)
	if d.Time.IsZero() {
		d.Time = s.now().UTC().Truncate(time.Microsecond)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, message_id, event, attempt, status, error, at)
		SELECT id, ?, ?, ?, ?, ?, ? FROM webhooks WHERE id = ?`,
		d.MessageID, d.Event, d.Attempt, d.Status, d.Error, d.Time.UnixMicro(), d.WebhookID)
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}

// Deliveries returns the webhook's latest attempts, newest first; limit
// is at most 100.
func (s *Store) Deliveries(ctx context.Context, webhookID string, limit int) (_ []*reel.WebhookDelivery, err error) {
	defer unavailable(&err)
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT webhook_id, message_id, event, attempt, status, error, at
		FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?`, webhookID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*reel.WebhookDelivery{}
	for rows.Next() {
		var d reel.WebhookDelivery
		var at int64
		if err := rows.Scan(&d.WebhookID, &d.MessageID, &d.Event, &d.Attempt, &d.Status, &d.Error, &at); err != nil {
			return nil, err
		}
		d.Time = time.UnixMicro(at).UTC()
		out = append(out, &d)
	}
	return out, rows.Err()
}

// AddVideoEvent appends e to the video's log. A video deleted meanwhile
// records nothing.
func (s *Store) AddVideoEvent(ctx context.Context, videoID string, e reel.VideoEvent) (err error) {
	defer unavailable(&err)
	return s.addEvent(ctx, s.db, videoID, e)
}

func (s *Store) addEvent(ctx context.Context, q querier, videoID string, e reel.VideoEvent) error {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	_, err := q.ExecContext(ctx, `INSERT INTO video_events (video_id, at, type, message, data, detail)
		SELECT id, ?, ?, ?, ?, ? FROM videos WHERE id = ?`,
		e.Time.UTC().UnixMicro(), e.Type, e.Message, string(e.Data), e.Detail, videoID)
	if err != nil {
		return fmt.Errorf("record video event: %w", err)
	}
	return nil
}

// VideoEvents returns the video's log, oldest first.
func (s *Store) VideoEvents(ctx context.Context, videoID string) (_ []reel.VideoEvent, err error) {
	defer unavailable(&err)
	rows, err := s.db.QueryContext(ctx, `SELECT at, type, message, data, detail
		FROM video_events WHERE video_id = ? ORDER BY id`, videoID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []reel.VideoEvent{}
	for rows.Next() {
		var e reel.VideoEvent
		var at int64
		var data string
		if err := rows.Scan(&at, &e.Type, &e.Message, &data, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = time.UnixMicro(at).UTC()
		if data != "" {
			e.Data = json.RawMessage(data)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// happened records, inside tx, what happened to v: an entry of its event
// log (if log.Type is set) and the webhook event (if event is set and a
// webhook subscribes to it).
func (s *Store) happened(ctx context.Context, tx *txn, v *reel.Video, event string, log reel.VideoEvent) error {
	if log.Type != "" {
		if err := s.addEvent(ctx, tx, v.ID, log); err != nil {
			return err
		}
	}
	if event == "" || s.announce == nil {
		return nil
	}
	all, err := webhooks(ctx, tx)
	if err != nil {
		return fmt.Errorf("webhooks of %s: %w", event, err)
	}
	var hooks []*reel.Webhook
	for _, w := range all {
		if w.Subscribes(event) {
			hooks = append(hooks, w)
		}
	}
	if len(hooks) == 0 {
		return nil
	}
	if err := s.announce(ctx, tx.Tx, hooks, event, v); err != nil {
		return fmt.Errorf("announce %s: %w", event, err)
	}
	return nil
}

// change is one thing that happened to a video: a webhook event, a log
// entry, or both.
type change struct {
	event string
	log   reel.VideoEvent
}

// record records each change of v inside tx.
func (s *Store) record(ctx context.Context, tx *txn, v *reel.Video, changes ...change) error {
	for _, c := range changes {
		if err := s.happened(ctx, tx, v, c.event, c.log); err != nil {
			return err
		}
	}
	return nil
}

// transitions returns what the change from old to v means, in order.
func transitions(old, v *reel.Video) []change {
	var out []change
	if v.Playable && !old.Playable {
		out = append(out, change{reel.EventVideoPlayable,
			reel.VideoEvent{Type: reel.LogPlayable, Message: "The first segments are published: the video plays."}})
	}
	if v.Status == old.Status {
		return out
	}
	switch v.Status {
	case reel.StatusReady:
		out = append(out, change{reel.EventVideoReady, reel.VideoEvent{Type: reel.LogReady, Message: "Every rendition is published."}})
	case reel.StatusFailed:
		out = append(out, change{reel.EventVideoFailed, reel.VideoEvent{Type: reel.LogFailed, Message: v.Error, Detail: v.ErrorDetail}})
	case reel.StatusQueued:
		if old.Status == reel.StatusProcessing {
			out = append(out, change{"", reel.VideoEvent{Type: reel.LogRetried, Message: "The transcode was interrupted; it is queued again."}})
		}
	}
	return out
}
