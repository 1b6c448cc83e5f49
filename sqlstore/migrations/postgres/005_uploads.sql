-- +goose Up
-- The state of resumable (tus) uploads: one per video still uploading.
-- Deleting the video deletes its upload.
CREATE TABLE uploads (
    video_id     TEXT PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
    size         BIGINT NOT NULL,
    received     BIGINT NOT NULL DEFAULT 0, -- the upload's offset
    multipart_id TEXT NOT NULL DEFAULT '',
    tail_size    BIGINT NOT NULL DEFAULT 0,
    tail_seq     BIGINT NOT NULL DEFAULT 0,
    metadata     TEXT NOT NULL DEFAULT '{}',
    expires_at   BIGINT NOT NULL, -- Unix microseconds, UTC
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX uploads_expiry ON uploads (expires_at);

-- The parts of an upload's S3 multipart upload.
CREATE TABLE upload_parts (
    video_id TEXT NOT NULL REFERENCES uploads (video_id) ON DELETE CASCADE,
    number   INTEGER NOT NULL,
    etag     TEXT NOT NULL,
    size     BIGINT NOT NULL,
    PRIMARY KEY (video_id, number)
);

-- One lease per upload being written, shared by every reel process.
CREATE TABLE upload_locks (
    upload_id        TEXT PRIMARY KEY,
    owner            TEXT NOT NULL,
    expires_at       BIGINT NOT NULL, -- Unix microseconds, UTC
    unlock_requested BOOLEAN NOT NULL DEFAULT FALSE
);

-- +goose Down
DROP TABLE upload_locks;
DROP TABLE upload_parts;
DROP TABLE uploads;
