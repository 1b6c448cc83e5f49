-- +goose Up
ALTER TABLE videos ADD COLUMN upload_id TEXT NOT NULL DEFAULT '';
-- One video per original: a repeated storage event for the same object
-- finds the video already there.
CREATE UNIQUE INDEX videos_original_key ON videos (original_key);

-- +goose Down
DROP INDEX videos_original_key;
ALTER TABLE videos DROP COLUMN upload_id;
