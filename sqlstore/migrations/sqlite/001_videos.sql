-- +goose Up
CREATE TABLE videos (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    progress     REAL NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    error_detail TEXT NOT NULL DEFAULT '',
    filename     TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0,
    original_key TEXT NOT NULL,
    job_id       INTEGER NOT NULL DEFAULT 0,
    duration     REAL NOT NULL DEFAULT 0,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    renditions   TEXT NOT NULL DEFAULT '[]',
    created_at   INTEGER NOT NULL, -- Unix microseconds, UTC
    updated_at   INTEGER NOT NULL
);
CREATE INDEX videos_newest ON videos (created_at DESC, id DESC);

-- +goose Down
DROP TABLE videos;
