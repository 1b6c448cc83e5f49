-- +goose Up
ALTER TABLE videos ADD COLUMN encrypted BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE videos DROP COLUMN encrypted;
