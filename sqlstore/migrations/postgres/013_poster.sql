-- +goose Up
ALTER TABLE videos ADD COLUMN poster TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE videos DROP COLUMN poster;
