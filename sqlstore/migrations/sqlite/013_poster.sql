-- +goose Up
-- The file, under the video's outputs, of the poster its owner chose (a
-- new name for each choice, since published files are immutable and
-- cached by name); '' for the poster the transcode made, poster.jpg.
ALTER TABLE videos ADD COLUMN poster TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE videos DROP COLUMN poster;
