// Package sqlstore keeps videos, API keys, sessions, upload state and the
// signing key in a SQL database through database/sql: SQLite
// (modernc.org/sqlite, no cgo) as the embedded default, or PostgreSQL
// (pgx's database/sql driver) shared by many reel processes. One Store
// serves both with the same queries (see dialect.go).
//
// The schema is migrated with goose, one folder per dialect
// (migrations/sqlite, migrations/postgres) with the same tables and
// numbering. Timestamps are Unix microseconds so that every dialect orders
// them the same way; renditions are a JSON array.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"reel"
)

// EnqueueFunc inserts the transcode job of a video inside tx and returns
// the job's id. The job queue provides it; the store calls it in the same
// transaction that marks the video queued.
type EnqueueFunc func(ctx context.Context, tx *sql.Tx, videoID string) (jobID int64, err error)

// Store is a reel.VideoStore on a SQL database.
type Store struct {
	db       conn
	enqueue  EnqueueFunc
	announce AnnounceFunc // nil: no webhooks
	cancel   CancelFunc   // nil: jobs of dropped pieces are not cancelled
	now      func() time.Time
}

// New returns a store on db (already migrated) whose Enqueue inserts jobs
// with enqueue.
func New(db *sql.DB, enqueue EnqueueFunc) *Store {
	return &Store{db: conn{db: db, pg: isPostgres(db)}, enqueue: enqueue, now: time.Now}
}

const columns = `id, title, status, progress, error, error_detail, filename, content_type,
	size, original_key, job_id, duration, width, height, renditions, warnings, playable, upload_id, created_at, updated_at, owner, visibility, encrypted,
	description, chunks, poster, codecs, downloads`

// Besides columns, every row keeps title_folded, its title as searches
// compare it (reel.FoldTitle): written with every title, never read.

// CreateVideo inserts v, filling its timestamps. A queued video's job is
// inserted in the same transaction.
func (s *Store) CreateVideo(ctx context.Context, v *reel.Video) (err error) {
	defer unavailable(&err)
	now := s.now().UTC().Truncate(time.Microsecond)
	v.CreatedAt, v.UpdatedAt = now, now
	if v.Status == "" {
		v.Status = reel.StatusUploading
	}
	if v.Visibility == "" {
		v.Visibility = reel.DefaultVisibility
	}
	renditions, err := json.Marshal(nonNil(v.Renditions))
	if err != nil {
		return err
	}
	warnings, err := json.Marshal(nonNil(v.Warnings))
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	if v.Status == reel.StatusQueued {
		if v.JobID, err = s.enqueue(ctx, tx.Tx, v.ID); err != nil {
			return fmt.Errorf("enqueue transcode: %w", err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO videos (`+columns+`, title_folded)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.Title, v.Status, v.Progress, v.Error, v.ErrorDetail, v.Filename, v.ContentType,
		v.Size, v.OriginalKey, v.JobID, v.Duration, v.Width, v.Height, string(renditions),
		string(warnings), v.Playable, v.UploadID, now.UnixMicro(), now.UnixMicro(), v.Owner, string(v.Visibility), v.Encrypted,
		v.Description, max(v.Chunks, 1), v.Poster, strings.Join(v.Codecs, ","), nullBool(v.Downloads), reel.FoldTitle(v.Title))
	if isUniqueViolation(err) {
		return reel.Errorf(reel.ECONFLICT, "A video for this original exists already.")
	} else if err != nil {
		return fmt.Errorf("insert video: %w", err)
	}
	changes := []change{{reel.EventVideoCreated, reel.VideoEvent{Type: reel.LogCreated, Time: now,
		Message: fmt.Sprintf("Created from %q.", v.Filename)}}}
	if v.Status == reel.StatusQueued {
		changes = append(changes, uploaded(v, now))
	}
	if err := s.record(ctx, tx, v, changes...); err != nil {
		return err
	}
	return tx.Commit()
}

// uploaded is the change of a video whose original is complete.
func uploaded(v *reel.Video, now time.Time) change {
	data, _ := json.Marshal(map[string]any{"size": v.Size})
	return change{reel.EventVideoUploaded, reel.VideoEvent{Type: reel.LogUploaded, Time: now, Data: data,
		Message: fmt.Sprintf("The original is complete (%d bytes); the transcode is queued.", v.Size)}}
}

// Video returns the video with id.
func (s *Store) Video(ctx context.Context, id string) (_ *reel.Video, err error) {
	defer unavailable(&err)
	return videoByID(ctx, s.db, id)
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func videoByID(ctx context.Context, q querier, id string) (*reel.Video, error) {
	v, err := scanVideo(q.QueryRowContext(ctx, `SELECT `+columns+` FROM videos WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, reel.Errorf(reel.ENOTFOUND, "Video not found.")
	}
	return v, err
}

// Videos returns a page of the videos f selects, newest first or oldest
// first.
func (s *Store) Videos(ctx context.Context, f reel.VideoFilter) (_ []*reel.Video, _ string, err error) {
	defer unavailable(&err)
	limit := f.Limit
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	// Keyset pagination: the cursor is the last row's (created_at, id). The
	// row comparison is one range of videos_newest on both databases; the
	// equivalent "created_at < ? OR (created_at = ? AND id < ?)" made deep
	// pages about 2-3 times slower (docs/benchmarks-db.md).
	cmp, order := "<", "DESC"
	after, afterID := int64(1<<62), ""
	if f.Oldest {
		cmp, order, after = ">", "ASC", -1
	}
	if f.Cursor != "" {
		var err error
		if after, afterID, err = decodeCursor(f.Cursor, f.Oldest); err != nil {
			return nil, "", err
		}
	}
	where, args := "", []any{after, afterID}
	if f.PublicOnly {
		where, args = where+" AND (visibility = ? OR (owner <> '' AND owner = ?))", append(args, string(reel.VisibilityPublic), f.Owner)
	}
	if f.Status != "" {
		where, args = where+" AND status = ?", append(args, string(f.Status))
	}
	if f.Query != "" {
		// A substring of the folded title, with LIKE's wildcards in the
		// query taken literally.
		where, args = where+` AND title_folded LIKE ? ESCAPE '\'`, append(args, "%"+likeEscaper.Replace(reel.FoldTitle(f.Query))+"%")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM videos
		WHERE (created_at, id) `+cmp+` (?, ?)`+where+`
		ORDER BY created_at `+order+`, id `+order+` LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var videos []*reel.Video
	for rows.Next() {
		v, err := scanVideo(rows)
		if err != nil {
			return nil, "", err
		}
		videos = append(videos, v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(videos) > limit {
		videos = videos[:limit]
		last := videos[limit-1]
		next = encodeCursor(last.CreatedAt.UnixMicro(), last.ID, f.Oldest)
	}
	return videos, next, nil
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// A cursor is base64 of "created:id", or of "a:created:id" when it
// continues an oldest-first listing.

func encodeCursor(created int64, id string, oldest bool) string {
	raw := strconv.FormatInt(created, 10) + ":" + id
	if oldest {
		raw = "a:" + raw
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c string, oldest bool) (int64, string, error) {
	bad := reel.Errorf(reel.EINVALID, "Invalid cursor.")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", bad
	}
	rest, asc := strings.CutPrefix(string(raw), "a:")
	if asc != oldest {
		return 0, "", reel.Errorf(reel.EINVALID, "The cursor continues a listing in the other order.")
	}
	ts, id, ok := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || !reel.ValidID(id) {
		return 0, "", bad
	}
	return n, id, nil
}

// UpdateVideo changes the fields u names. A change of status or
// playability is recorded in the video's log and announced to webhooks in
// the same transaction.
func (s *Store) UpdateVideo(ctx context.Context, id string, u reel.VideoUpdate) (_ *reel.Video, err error) {
	defer unavailable(&err)
	if u.Status != nil || u.Playable != nil {
		return s.updateRecorded(ctx, id, u)
	}
	sets, args := updateSets(u)
	sets = append(sets, "updated_at = ?")
	args = append(args, s.now().UTC().UnixMicro(), id)
	res, err := s.db.ExecContext(ctx, `UPDATE videos SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("update video: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, reel.Errorf(reel.ENOTFOUND, "Video not found.")
	}
	return s.Video(ctx, id)
}

// updateRecorded is UpdateVideo for the changes that are recorded.
func (s *Store) updateRecorded(ctx context.Context, id string, u reel.VideoUpdate) (*reel.Video, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() // a no-op after Commit
	old, err := videoByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	sets, args := updateSets(u)
	sets = append(sets, "updated_at = ?")
	args = append(args, s.now().UTC().UnixMicro(), id)
	if _, err := tx.ExecContext(ctx, `UPDATE videos SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...); err != nil {
		return nil, fmt.Errorf("update video: %w", err)
	}
	v, err := videoByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, tx, v, transitions(old, v)...); err != nil {
		return nil, err
	}
	return v, tx.Commit()
}

// updateSets returns the SET clauses and their arguments for u.
func updateSets(u reel.VideoUpdate) ([]string, []any) {
	var sets []string
	var args []any
	add := func(col string, v any) {
		sets = append(sets, col+" = ?")
		args = append(args, v)
	}
	if u.Title != nil {
		add("title", *u.Title)
		add("title_folded", reel.FoldTitle(*u.Title))
	}
	if u.Description != nil {
		add("description", *u.Description)
	}
	if u.Status != nil {
		add("status", string(*u.Status))
	}
	if u.Progress != nil {
		add("progress", *u.Progress)
	}
	if u.Encrypted != nil {
		add("encrypted", *u.Encrypted)
	}
	if u.Codecs != nil {
		add("codecs", strings.Join(u.Codecs, ","))
	}
	if u.Downloads != nil {
		add("downloads", *u.Downloads)
	}
	if u.Playable != nil {
		add("playable", *u.Playable)
	}
	if u.UploadID != nil {
		add("upload_id", *u.UploadID)
	}
	if u.Visibility != nil {
		add("visibility", string(*u.Visibility))
	}
	if u.Poster != nil {
		add("poster", *u.Poster)
	}
	if u.Error != nil {
		add("error", *u.Error)
	}
	if u.ErrorDetail != nil {
		add("error_detail", *u.ErrorDetail)
	}
	if u.Duration != nil {
		add("duration", *u.Duration)
	}
	if u.Width != nil {
		add("width", *u.Width)
	}
	if u.Height != nil {
		add("height", *u.Height)
	}
	// Slices of plain structs always marshal.
	if u.Renditions != nil {
		b, _ := json.Marshal(u.Renditions)
		add("renditions", string(b))
	}
	if u.Warnings != nil {
		b, _ := json.Marshal(u.Warnings)
		add("warnings", string(b))
	}
	return sets, args
}

// DeleteVideo removes the row of id, and with it the video's event log,
// and announces the deletion in the same transaction.
func (s *Store) DeleteVideo(ctx context.Context, id string) (err error) {
	defer unavailable(&err)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	v, err := videoByID(ctx, tx, id)
	if err != nil {
		return err
	}
	// Its pieces' rows go with it (foreign key); their jobs stop. The
	// video's row is locked before its pieces', as FinishPiece locks them.
	jobs, err := pieceJobs(ctx, tx, id, 0)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM videos WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete video: %w", err)
	}
	if err := s.cancelJobs(ctx, tx, jobs); err != nil {
		return err
	}
	if err := s.happened(ctx, tx, v, reel.EventVideoDeleted, reel.VideoEvent{}); err != nil {
		return err
	}
	return tx.Commit()
}

// Enqueue marks the video queued and inserts its transcode job in one
// transaction. Only an uploading or failed video can be queued.
func (s *Store) Enqueue(ctx context.Context, id string, size int64, title *string) (_ *reel.Video, err error) {
	defer unavailable(&err)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() // a no-op after Commit
	sets, args := []string{"size = ?"}, []any{size}
	if title != nil {
		sets = append(sets, "title = ?", "title_folded = ?")
		args = append(args, *title, reel.FoldTitle(*title))
	}
	old, v, err := s.queue(ctx, tx, id, sets, args, "status IN (?, ?)", string(reel.StatusUploading), string(reel.StatusFailed))
	if err != nil {
		return nil, err
	}
	c := uploaded(v, time.Time{})
	if old.Status == reel.StatusFailed {
		c = change{"", reel.VideoEvent{Type: reel.LogRetried, Message: "Retried after the failure; the transcode is queued again."}}
	}
	if err := s.record(ctx, tx, v, c); err != nil {
		return nil, err
	}
	return v, tx.Commit()
}

// queryIDs returns the first column of the query's rows. The rows are read
// to the end before the caller acts on them: SQLite has one connection.
func (s *Store) queryIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// RequeueStalled requeues the processing videos not updated since before.
func (s *Store) RequeueStalled(ctx context.Context, before time.Time) (_ []*reel.Video, err error) {
	defer unavailable(&err)
	// A split video's pieces have heartbeats of their own and are
	// rescued one by one (RequeueStalledPieces), never the whole video.
	ids, err := s.queryIDs(ctx, `SELECT id FROM videos WHERE status = ? AND updated_at < ?
		AND NOT EXISTS (SELECT 1 FROM pieces p WHERE p.video_id = videos.id)`,
		string(reel.StatusProcessing), before.UTC().UnixMicro())
	if err != nil {
		return nil, err
	}
	var requeued []*reel.Video
	for _, id := range ids {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return requeued, err
		}
		// The update repeats the staleness test: the worker may have come
		// back to life since the select.
		_, v, err := s.queue(ctx, tx, id, nil, nil, "status = ? AND updated_at < ?",
			string(reel.StatusProcessing), before.UTC().UnixMicro())
		if err == nil {
			err = s.record(ctx, tx, v, change{"", reel.VideoEvent{Type: reel.LogRetried,
				Message: "The transcode's worker stopped reporting progress; the transcode is queued again."}})
		}
		if err == nil {
			err = tx.Commit()
		} else if code := reel.ErrorCode(err); code == reel.ECONFLICT || code == reel.ENOTFOUND {
			tx.Rollback()
			continue
		}
		if err != nil {
			tx.Rollback()
			return requeued, err
		}
		requeued = append(requeued, v)
	}
	return requeued, nil
}

// queue sets the video queued within tx, with the extra sets, if cond
// holds, and inserts a new transcode job. It returns the video before and
// after.
func (s *Store) queue(ctx context.Context, tx *txn, id string, sets []string, args []any, cond string, condArgs ...any) (old, v *reel.Video, err error) {
	if old, err = videoByID(ctx, tx, id); err != nil {
		return nil, nil, err
	}
	sets = append(sets, "status = ?", "progress = 0", "playable = FALSE", "error = ''", "error_detail = ''", "chunks = 1", "updated_at = ?")
	args = append(args, string(reel.StatusQueued), s.now().UTC().UnixMicro(), id)
	args = append(args, condArgs...)
	res, err := tx.ExecContext(ctx, `UPDATE videos SET `+strings.Join(sets, ", ")+`
		WHERE id = ? AND `+cond, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("queue video: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil, reel.Errorf(reel.ECONFLICT, "The video is already queued, transcoding or ready.")
	}
	// An earlier split's pieces are dropped and their jobs stopped: the new
	// transcode plans afresh. (The video's row is locked first, as
	// FinishPiece locks it.)
	if err := s.dropPieces(ctx, tx, id, 0); err != nil {
		return nil, nil, err
	}
	jobID, err := s.enqueue(ctx, tx.Tx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("enqueue transcode: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE videos SET job_id = ? WHERE id = ?`, jobID, id); err != nil {
		return nil, nil, err
	}
	v, err = videoByID(ctx, tx, id)
	return old, v, err
}

// scanner is what *sql.Row and *sql.Rows share.
type scanner interface{ Scan(dest ...any) error }

func scanVideo(row scanner) (*reel.Video, error) {
	var v reel.Video
	var status, renditions, warnings, visibility, codecs string
	var created, updated int64
	var downloads sql.NullBool
	err := row.Scan(&v.ID, &v.Title, &status, &v.Progress, &v.Error, &v.ErrorDetail, &v.Filename,
		&v.ContentType, &v.Size, &v.OriginalKey, &v.JobID, &v.Duration, &v.Width, &v.Height,
		&renditions, &warnings, &v.Playable, &v.UploadID, &created, &updated, &v.Owner, &visibility, &v.Encrypted,
		&v.Description, &v.Chunks, &v.Poster, &codecs, &downloads)
	if err != nil {
		return nil, err
	}
	if codecs != "" {
		v.Codecs = strings.Split(codecs, ",")
	}
	if downloads.Valid {
		v.Downloads = &downloads.Bool
	}
	v.Status = reel.Status(status)
	v.Visibility = reel.Visibility(visibility)
	v.CreatedAt = time.UnixMicro(created).UTC()
	v.UpdatedAt = time.UnixMicro(updated).UTC()
	if err := json.Unmarshal([]byte(renditions), &v.Renditions); err != nil {
		return nil, fmt.Errorf("video %s renditions: %w", v.ID, err)
	}
	if err := json.Unmarshal([]byte(warnings), &v.Warnings); err != nil {
		return nil, fmt.Errorf("video %s warnings: %w", v.ID, err)
	}
	return &v, nil
}

// nullBool stores a nil *bool as NULL.
func nullBool(b *bool) sql.NullBool {
	if b == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *b, Valid: true}
}

// nonNil makes a nil slice marshal as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// isUniqueViolation reports whether err is a unique constraint failure,
// as SQLite and PostgreSQL word it.
func isUniqueViolation(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") ||
		strings.Contains(err.Error(), "duplicate key value violates unique constraint"))
}
