package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"reel"
)

// The state of resumable uploads: tables uploads (one row per video still
// uploading, deleted with its video), upload_parts (the parts of its S3
// multipart upload) and upload_locks (one lease per upload being written).
// The lock queries are single conditional statements, so they work across
// processes on SQLite (one writer at a time) and on PostgreSQL alike.

var _ reel.UploadStore = (*Store)(nil)

// CreateUpload inserts the video v and the upload u in one transaction.
func (s *Store) CreateUpload(ctx context.Context, u *reel.Upload, v *reel.Video) (err error) {
	defer unavailable(&err)
	now := s.now().UTC().Truncate(time.Microsecond)
	v.CreatedAt, v.UpdatedAt = now, now
	u.CreatedAt, u.UpdatedAt = now, now
	if v.Status == "" {
		v.Status = reel.StatusUploading
	}
	if v.Status != reel.StatusUploading || u.ID != v.ID {
		return fmt.Errorf("create upload %s: the video must be %s and have the upload's id", u.ID, reel.StatusUploading)
	}
	meta, err := json.Marshal(u.Metadata)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	// Only the columns an uploading video sets: the others keep their
	// defaults, whatever columns later migrations add.
	if v.Visibility == "" {
		v.Visibility = reel.DefaultVisibility
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO videos (id, title, status, filename, content_type,
		size, original_key, created_at, updated_at, owner, visibility, encrypted, description, title_folded, codecs, downloads)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.Title, v.Status, v.Filename, v.ContentType, v.Size, v.OriginalKey, now.UnixMicro(), now.UnixMicro(),
		v.Owner, string(v.Visibility), v.Encrypted, v.Description, reel.FoldTitle(v.Title), strings.Join(v.Codecs, ","), nullBool(v.Downloads))
	if isUniqueViolation(err) {
		return reel.Errorf(reel.ECONFLICT, "A video with this id or original exists already.")
	} else if err != nil {
		return fmt.Errorf("insert video: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO uploads (video_id, size, received, multipart_id,
		tail_size, tail_seq, metadata, expires_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Size, u.Offset, u.MultipartID, u.TailSize, u.TailSeq, string(meta),
		u.ExpiresAt.UTC().UnixMicro(), now.UnixMicro(), now.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert upload: %w", err)
	}
	return tx.Commit()
}

const uploadColumns = `video_id, size, received, multipart_id, tail_size, tail_seq, metadata, expires_at, created_at, updated_at`

// Upload returns the upload of the video id with its parts.
func (s *Store) Upload(ctx context.Context, id string) (_ *reel.Upload, err error) {
	defer unavailable(&err)
	u, err := scanUpload(s.db.QueryRowContext(ctx, `SELECT `+uploadColumns+` FROM uploads WHERE video_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, reel.Errorf(reel.ENOTFOUND, "Upload not found.")
	} else if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT number, etag, size FROM upload_parts WHERE video_id = ? ORDER BY number`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p reel.UploadPart
		if err := rows.Scan(&p.Number, &p.ETag, &p.Size); err != nil {
			return nil, err
		}
		u.Parts = append(u.Parts, p)
	}
	return u, rows.Err()
}

func scanUpload(row scanner) (*reel.Upload, error) {
	var u reel.Upload
	var meta string
	var expires, created, updated int64
	err := row.Scan(&u.ID, &u.Size, &u.Offset, &u.MultipartID, &u.TailSize, &u.TailSeq, &meta,
		&expires, &created, &updated)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(meta), &u.Metadata); err != nil {
		return nil, fmt.Errorf("upload %s metadata: %w", u.ID, err)
	}
	u.ExpiresAt = time.UnixMicro(expires).UTC()
	u.CreatedAt = time.UnixMicro(created).UTC()
	u.UpdatedAt = time.UnixMicro(updated).UTC()
	return &u, nil
}

// AdvanceUpload records a in one transaction if the offset is still from.
func (s *Store) AdvanceUpload(ctx context.Context, id string, from int64, a reel.UploadAdvance) (err error) {
	defer unavailable(&err)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	res, err := tx.ExecContext(ctx, `UPDATE uploads SET received = ?, tail_size = ?, tail_seq = ?,
		expires_at = ?, updated_at = ? WHERE video_id = ? AND received = ?`,
		a.Offset, a.TailSize, a.TailSeq, a.ExpiresAt.UTC().UnixMicro(), s.now().UTC().UnixMicro(), id, from)
	if err != nil {
		return fmt.Errorf("advance upload: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM uploads WHERE video_id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return reel.Errorf(reel.ENOTFOUND, "Upload not found.")
		} else if err != nil {
			return err
		}
		return reel.Errorf(reel.ECONFLICT, "The upload moved on meanwhile.")
	}
	for _, p := range a.Parts {
		// A part number uploaded again (after a request that failed before
		// recording it) replaces the earlier one.
		_, err := tx.ExecContext(ctx, `INSERT INTO upload_parts (video_id, number, etag, size) VALUES (?, ?, ?, ?)
			ON CONFLICT (video_id, number) DO UPDATE SET etag = excluded.etag, size = excluded.size`,
			id, p.Number, p.ETag, p.Size)
		if err != nil {
			return fmt.Errorf("record part %d: %w", p.Number, err)
		}
	}
	return tx.Commit()
}

// DeleteUpload removes the upload's state and parts.
func (s *Store) DeleteUpload(ctx context.Context, id string) (err error) {
	defer unavailable(&err)
	_, err = s.db.ExecContext(ctx, `DELETE FROM uploads WHERE video_id = ?`, id)
	return err
}

// ExpiredUploads returns up to limit uploads whose expiry is before t,
// the longest expired first.
func (s *Store) ExpiredUploads(ctx context.Context, t time.Time, limit int) (_ []*reel.Upload, err error) {
	defer unavailable(&err)
	ids, err := s.queryIDs(ctx, `SELECT video_id FROM uploads WHERE expires_at < ? ORDER BY expires_at LIMIT ?`,
		t.UTC().UnixMicro(), limit)
	if err != nil {
		return nil, err
	}
	var ups []*reel.Upload
	for _, id := range ids {
		u, err := s.Upload(ctx, id)
		if reel.ErrorCode(err) == reel.ENOTFOUND {
			continue // finished or removed since
		} else if err != nil {
			return ups, err
		}
		ups = append(ups, u)
	}
	return ups, nil
}

// LockUpload inserts owner's lease, or takes over one that ran out, in one
// statement: of two processes trying at once, exactly one gets the row.
func (s *Store) LockUpload(ctx context.Context, id, owner string, until time.Time) (_ bool, err error) {
	defer unavailable(&err)
	now := s.now().UTC().UnixMicro()
	res, err := s.db.ExecContext(ctx, `INSERT INTO upload_locks (upload_id, owner, expires_at, unlock_requested)
		VALUES (?, ?, ?, FALSE)
		ON CONFLICT (upload_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
			unlock_requested = FALSE
		WHERE upload_locks.expires_at < ?`,
		id, owner, until.UTC().UnixMicro(), now)
	if err != nil {
		return false, fmt.Errorf("lock upload %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RenewUploadLock extends owner's lease.
func (s *Store) RenewUploadLock(ctx context.Context, id, owner string, until time.Time) (_ bool, err error) {
	defer unavailable(&err)
	var requested bool
	err = s.db.QueryRowContext(ctx, `UPDATE upload_locks SET expires_at = ?
		WHERE upload_id = ? AND owner = ? RETURNING unlock_requested`,
		until.UTC().UnixMicro(), id, owner).Scan(&requested)
	if errors.Is(err, sql.ErrNoRows) {
		return false, reel.Errorf(reel.ECONFLICT, "The lock of upload %s was lost.", id)
	}
	return requested, err
}

// RequestUploadUnlock flags the lock so that its holder lets go.
func (s *Store) RequestUploadUnlock(ctx context.Context, id string) (err error) {
	defer unavailable(&err)
	_, err = s.db.ExecContext(ctx, `UPDATE upload_locks SET unlock_requested = TRUE WHERE upload_id = ?`, id)
	return err
}

// UnlockUpload deletes owner's lease.
func (s *Store) UnlockUpload(ctx context.Context, id, owner string) (err error) {
	defer unavailable(&err)
	_, err = s.db.ExecContext(ctx, `DELETE FROM upload_locks WHERE upload_id = ? AND owner = ?`, id, owner)
	return err
}

// DeleteStaleLocks deletes leases that ran out before t: their holders died.
func (s *Store) DeleteStaleLocks(ctx context.Context, t time.Time) (_ int, err error) {
	defer unavailable(&err)
	res, err := s.db.ExecContext(ctx, `DELETE FROM upload_locks WHERE expires_at < ?`, t.UTC().UnixMicro())
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
