package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"reel"
)

// The API keys live in the api_keys table: id, name, role, the SHA-256 of
// the secret (never the secret), and Unix-microsecond times where 0 means
// never used or not revoked. A partial unique index keeps the names of
// valid keys distinct.

var _ reel.KeyStore = (*Store)(nil)

const keyColumns = `id, name, role, created_at, last_used_at, revoked_at`

// CreateKey stores k with the hash of its secret, filling ID and CreatedAt.
func (s *Store) CreateKey(ctx context.Context, k *reel.Key, hash []byte) (err error) {
	defer unavailable(&err)
	if !reel.ValidRole(k.Role) {
		return reel.Errorf(reel.EINVALID, "The role must be admin, uploader or viewer.")
	}
	k.ID = reel.NewID()
	k.CreatedAt = s.now().UTC().Truncate(time.Microsecond)
	_, err = s.db.ExecContext(ctx, `INSERT INTO api_keys (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		k.ID, k.Name, string(k.Role), hash, k.CreatedAt.UnixMicro())
	if isUniqueViolation(err) {
		return reel.Errorf(reel.ECONFLICT, "A valid key named %q exists already.", k.Name)
	} else if err != nil {
		return fmt.Errorf("insert key: %w", err)
	}
	return nil
}

// KeyByHash returns the key whose secret hashes to hash.
func (s *Store) KeyByHash(ctx context.Context, hash []byte) (_ *reel.Key, err error) {
	defer unavailable(&err)
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, reel.Errorf(reel.ENOTFOUND, "Unknown key.")
	}
	return k, err
}

// Keys returns every key, oldest first.
func (s *Store) Keys(ctx context.Context) (_ []*reel.Key, err error) {
	defer unavailable(&err)
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []*reel.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// RevokeKey revokes the key with the id, or else the valid key with the
// name, and deletes its sessions in the same transaction. Revoking a
// revoked key is ECONFLICT.
func (s *Store) RevokeKey(ctx context.Context, idOrName string, at time.Time) (_ *reel.Key, err error) {
	defer unavailable(&err)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() // a no-op after Commit
	k, err := scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys
		WHERE id = ? OR (name = ? AND revoked_at = 0) ORDER BY id = ? DESC LIMIT 1`, idOrName, idOrName, idOrName))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, reel.Errorf(reel.ENOTFOUND, "No key has the id or name %q.", idOrName)
	} else if err != nil {
		return nil, err
	}
	if k.Revoked() {
		return nil, reel.Errorf(reel.ECONFLICT, "The key %s (%s) was revoked already.", k.ID, k.Name)
	}
	k.RevokedAt = at.UTC().Truncate(time.Microsecond)
	if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, k.RevokedAt.UnixMicro(), k.ID); err != nil {
		return nil, fmt.Errorf("revoke key: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE key_id = ?`, k.ID); err != nil {
		return nil, fmt.Errorf("end sessions: %w", err)
	}
	return k, tx.Commit()
}

// TouchKey records the key's last use.
func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) (err error) {
	defer unavailable(&err)
	_, err = s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, at.UTC().UnixMicro(), id)
	return err
}

// HasValidKeys reports whether any key is not revoked.
func (s *Store) HasValidKeys(ctx context.Context) (_ bool, err error) {
	defer unavailable(&err)
	var ok bool
	err = s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at = 0)`).Scan(&ok)
	return ok, err
}

func scanKey(row scanner) (*reel.Key, error) {
	var k reel.Key
	var role string
	var created, used, revoked int64
	if err := row.Scan(&k.ID, &k.Name, &role, &created, &used, &revoked); err != nil {
		return nil, err
	}
	k.Role = reel.Role(role)
	k.CreatedAt = time.UnixMicro(created).UTC()
	if used != 0 {
		k.LastUsedAt = time.UnixMicro(used).UTC()
	}
	if revoked != 0 {
		k.RevokedAt = time.UnixMicro(revoked).UTC()
	}
	return &k, nil
}
