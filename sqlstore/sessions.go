package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"reel"
)

// The sessions table holds the web page's sessions by the SHA-256 of their
// id, with the key they act as and when they end. Revoking a key deletes
// its sessions; a session of a revoked key is refused in any case.

var _ reel.SessionStore = (*Store)(nil)

// CreateSession stores a session of the key that ends at expires.
func (s *Store) CreateSession(ctx context.Context, hash []byte, keyID string, expires time.Time) (err error) {
	defer unavailable(&err)
	_, err = s.db.ExecContext(ctx, `INSERT INTO sessions (hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		hash, keyID, s.now().UTC().UnixMicro(), expires.UTC().UnixMicro())
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// SessionKey returns the valid key of the live session with the hash.
func (s *Store) SessionKey(ctx context.Context, hash []byte, now time.Time) (_ *reel.Key, err error) {
	defer unavailable(&err)
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT k.id, k.name, k.role, k.created_at, k.last_used_at, k.revoked_at
		FROM sessions s JOIN api_keys k ON k.id = s.key_id
		WHERE s.hash = ? AND s.expires_at > ? AND k.revoked_at = 0`, hash, now.UTC().UnixMicro()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, reel.Errorf(reel.ENOTFOUND, "No such session.")
	}
	return k, err
}

// DeleteSession removes the session with the hash, if any.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) (err error) {
	defer unavailable(&err)
	_, err = s.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
	return err
}

// DeleteExpiredSessions removes the sessions that ended by now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (err error) {
	defer unavailable(&err)
	_, err = s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.UTC().UnixMicro())
	return err
}
