-- +goose Up
-- A video's description, written by its uploader (may span lines).
ALTER TABLE videos ADD COLUMN description TEXT NOT NULL DEFAULT '';
-- The title in lower case (reel.FoldTitle, written by the store with every
-- title), which searches by title compare with: the same case folding on
-- every database, where SQLite's own lower() and LIKE fold only ASCII.
-- Titles from before are folded here by the database's lower(): fully on
-- PostgreSQL, ASCII only on SQLite, until their title next changes.
ALTER TABLE videos ADD COLUMN title_folded TEXT NOT NULL DEFAULT '';
UPDATE videos SET title_folded = lower(title);

-- +goose Down
ALTER TABLE videos DROP COLUMN title_folded;
ALTER TABLE videos DROP COLUMN description;
