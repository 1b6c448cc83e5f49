package api

import (
	"time"

	"reel"
)

// KeyCreate is the body of POST /api/keys.
type KeyCreate struct {
	Name string    `json:"name"` // who or what holds it, 1 to 100 printable characters
	Role reel.Role `json:"role"` // admin, uploader or viewer
}

// Key is an API key as the API shows it: the answer to POST /api/keys
// (with Secret, shown only then: reel keeps only its hash) and the items
// of GET /api/keys (without).
type Key struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       reel.Role  `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"` // absent if never used
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`   // absent while valid
	Secret     string     `json:"secret,omitempty"`
}

// KeyList is the answer to GET /api/keys: every key, revoked ones
// included, oldest first.
type KeyList struct {
	Keys []Key `json:"keys"`
}

// KeyOf returns k as the API shows it, without its secret.
func KeyOf(k *reel.Key) Key {
	j := Key{ID: k.ID, Name: k.Name, Role: k.Role, CreatedAt: k.CreatedAt}
	if !k.LastUsedAt.IsZero() {
		t := k.LastUsedAt
		j.LastUsedAt = &t
	}
	if k.Revoked() {
		t := k.RevokedAt
		j.RevokedAt = &t
	}
	return j
}
