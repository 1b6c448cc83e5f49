package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// SigningKey returns the signing key kept in the database. If there is
// none yet, candidate becomes it: of processes starting at once, the first
// insert wins and every process reads back that one.
func (s *Store) SigningKey(ctx context.Context, candidate string) (key string, err error) {
	defer unavailable(&err)
	if candidate == "" {
		return "", errors.New("signing key: empty candidate")
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO signing_key (id, secret, created_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO NOTHING`, candidate, s.now().UTC().UnixMicro())
	if err != nil {
		return "", fmt.Errorf("store the signing key: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT secret FROM signing_key WHERE id = 1`).Scan(&key); err != nil {
		return "", fmt.Errorf("read the signing key: %w", err)
	}
	return key, nil
}
