-- +goose Up
-- Webhooks: endpoints that receive the events they subscribe to, signed
-- with their secret (Standard Webhooks). events is a JSON array.
CREATE TABLE webhooks (
    id         TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL DEFAULT '[]',
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL -- Unix microseconds, UTC
);

-- Every attempt to deliver an event; removed with its webhook.
CREATE TABLE webhook_deliveries (
    id         BIGSERIAL PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    event      TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    status     INTEGER NOT NULL DEFAULT 0,
    error      TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_newest ON webhook_deliveries (webhook_id, id);

-- Each video's event log, kept with the video and removed with it.
CREATE TABLE video_events (
    id       BIGSERIAL PRIMARY KEY,
    video_id TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    at       BIGINT NOT NULL,
    type     TEXT NOT NULL,
    message  TEXT NOT NULL DEFAULT '',
    data     TEXT NOT NULL DEFAULT '',
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX video_events_video ON video_events (video_id, id);

-- +goose Down
DROP TABLE video_events;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
