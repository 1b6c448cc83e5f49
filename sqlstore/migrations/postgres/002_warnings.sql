-- +goose Up
ALTER TABLE videos ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE videos DROP COLUMN warnings;
