-- +goose Up
-- Who created a video and who may see it, as on SQLite.
ALTER TABLE videos ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE videos ADD COLUMN visibility TEXT NOT NULL DEFAULT 'unlisted';
CREATE INDEX videos_owner ON videos (owner, created_at DESC, id DESC);

-- API keys: only the SHA-256 of the secret is kept. Times are Unix
-- microseconds; 0 means never (last_used_at) or not revoked (revoked_at).
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    hash         BYTEA NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    revoked_at   BIGINT NOT NULL DEFAULT 0
);
-- A name names one valid key, so `reel keys revoke NAME` is unambiguous.
CREATE UNIQUE INDEX api_keys_valid_name ON api_keys (name) WHERE revoked_at = 0;

-- Sessions of the web page, by the SHA-256 of their id.
CREATE TABLE sessions (
    hash       BYTEA PRIMARY KEY,
    key_id     TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- +goose Down
DROP TABLE sessions;
DROP TABLE api_keys;
DROP INDEX videos_owner;
ALTER TABLE videos DROP COLUMN visibility;
ALTER TABLE videos DROP COLUMN owner;
