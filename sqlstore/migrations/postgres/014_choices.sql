-- +goose Up
-- A video's own choice of video codecs ('h264,hevc', as --codecs takes
-- them) and of downloads, made at upload; '' and NULL mean the server's
-- default, until a worker starts the transcode and records what it makes.
ALTER TABLE videos ADD COLUMN codecs TEXT NOT NULL DEFAULT '';
ALTER TABLE videos ADD COLUMN downloads BOOLEAN;

-- +goose Down
ALTER TABLE videos DROP COLUMN downloads;
ALTER TABLE videos DROP COLUMN codecs;
