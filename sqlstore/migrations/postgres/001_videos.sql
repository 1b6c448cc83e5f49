-- +goose Up
-- The same tables as migrations/sqlite, version for version. Times are
-- Unix microseconds (BIGINT) as on SQLite, so both order them alike.
CREATE TABLE videos (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    progress     DOUBLE PRECISION NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    error_detail TEXT NOT NULL DEFAULT '',
    filename     TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size         BIGINT NOT NULL DEFAULT 0,
    original_key TEXT NOT NULL,
    job_id       BIGINT NOT NULL DEFAULT 0,
    duration     DOUBLE PRECISION NOT NULL DEFAULT 0,
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    renditions   TEXT NOT NULL DEFAULT '[]',
    created_at   BIGINT NOT NULL, -- Unix microseconds, UTC
    updated_at   BIGINT NOT NULL
);
CREATE INDEX videos_newest ON videos (created_at DESC, id DESC);

-- +goose Down
DROP TABLE videos;
