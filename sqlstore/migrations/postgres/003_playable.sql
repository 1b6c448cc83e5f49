-- +goose Up
ALTER TABLE videos ADD COLUMN playable BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE videos DROP COLUMN playable;
