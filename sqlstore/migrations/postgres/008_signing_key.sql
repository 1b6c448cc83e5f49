-- +goose Up
-- The key signing playback URLs when --signing-key is not given: created
-- once, by the first process to start, and read by every process.
CREATE TABLE signing_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1), -- one row
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL -- Unix microseconds, UTC
);

-- +goose Down
DROP TABLE signing_key;
