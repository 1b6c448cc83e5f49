-- +goose Up
-- Whether a video's segments are published encrypted (HLS AES-128): asked
-- for at upload, or set by the worker when reel encrypts every video.
ALTER TABLE videos ADD COLUMN encrypted BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE videos DROP COLUMN encrypted;
