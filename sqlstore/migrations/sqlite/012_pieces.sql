-- +goose Up
-- How many pieces a video was encoded in: 1 when transcoded whole.
ALTER TABLE videos ADD COLUMN chunks INTEGER NOT NULL DEFAULT 1;

-- The pieces of a split transcode, one row per piece (idx 0..chunks-1)
-- and one for the stitch that joins them (idx = chunks), written in the
-- same transaction as their River jobs. gen is the id of the transcode
-- job that split the video: a requeued video has another, so the jobs of
-- an earlier split recognise that they are stale. status is queued,
-- running or done; attempts counts the starts; updated_at is the
-- heartbeat of a running piece (Unix microseconds), by which a piece whose
-- worker died is found and queued again, alone.
CREATE TABLE pieces (
    video_id   TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    gen        INTEGER NOT NULL,
    start_s    REAL NOT NULL,
    end_s      REAL NOT NULL,
    is_last    BOOLEAN NOT NULL DEFAULT FALSE,
    status     TEXT NOT NULL,
    job_id     INTEGER NOT NULL DEFAULT 0,
    attempts   INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (video_id, idx)
);
CREATE INDEX pieces_running ON pieces (status, updated_at);

-- +goose Down
DROP TABLE pieces;
ALTER TABLE videos DROP COLUMN chunks;
