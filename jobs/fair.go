package jobs

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Transcodes are shared fairly across owners through River's priorities
// (1 runs first, 4 last; equal priorities run oldest first). A video's job
// gets priority 1 + the number of its owner's transcodes already queued or
// running, capped at 4: everyone's first video in line is priority 1, so a
// newcomer's video waits for the transcodes running and at most one queued
// video per other owner, never for one owner's whole backlog.
//
// The owner is read from the videos table (the same transaction as the
// insert), and the owner's jobs are those whose id is the job_id of one of
// the owner's videos; videos whose row does not exist yet (a storage event
// inserts its video after its job) count as the owner-less ones, which is
// what they are. The query goes through River's own job list, so its named
// arguments are bound by whichever driver runs the queue, SQLite or
// PostgreSQL.

// lowestPriority is River's last priority.
const lowestPriority = 4

// ownerBacklog selects the queued or running transcodes of the owner of
// the video @video_id, other than that video's own.
const ownerBacklog = `id IN (SELECT w.job_id FROM videos w
	WHERE w.owner = COALESCE((SELECT v.owner FROM videos v WHERE v.id = @video_id), '')
	AND w.id <> @video_id AND w.job_id <> 0)`

// transcodePriority returns the priority of a new transcode job of videoID
// within tx, from its owner's backlog.
func (q *Queue) transcodePriority(ctx context.Context, tx *sql.Tx, videoID string) (int, error) {
	params := river.NewJobListParams().
		Kinds(TranscodeArgs{}.Kind()).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled).
		Where(ownerBacklog, river.NamedArgs{"video_id": videoID}).
		First(lowestPriority - 1)
	res, err := q.client.JobListTx(ctx, tx, params)
	if err != nil {
		return 0, fmt.Errorf("count the owner's transcodes: %w", err)
	}
	return 1 + len(res.Jobs), nil
}
