package reel

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
)

// Role is what an API key may do.
type Role string

// The roles, from most to least powerful.
const (
	// RoleAdmin may do everything, to every video.
	RoleAdmin Role = "admin"
	// RoleUploader may upload videos and read, change, retry and delete
	// its own; it sees other keys' videos only as anonymous callers do.
	RoleUploader Role = "uploader"
	// RoleViewer may only read (GET), every video including private ones.
	RoleViewer Role = "viewer"
)

// ValidRole reports whether r is one of the roles.
func ValidRole(r Role) bool {
	return r == RoleAdmin || r == RoleUploader || r == RoleViewer
}

// Visibility is who may find and play a video.
type Visibility string

// The visibilities of a video.
const (
	// VisibilityPublic videos are listed to anyone and playable by anyone.
	VisibilityPublic Visibility = "public"
	// VisibilityUnlisted videos are not listed but playable by anyone who
	// has their id (the link); the default.
	VisibilityUnlisted Visibility = "unlisted"
	// VisibilityPrivate videos exist only for their owner, viewers and
	// admins; anyone else gets "not found".
	VisibilityPrivate Visibility = "private"
)

// DefaultVisibility is the visibility of a video uploaded without one.
const DefaultVisibility = VisibilityUnlisted

// ValidVisibility reports whether v is one of the visibilities.
func ValidVisibility(v Visibility) bool {
	return v == VisibilityPublic || v == VisibilityUnlisted || v == VisibilityPrivate
}

// ParseVisibility reads a visibility as every entry point receives it
// (form field, JSON, tus metadata): one of the three, surrounding space
// ignored, or "" when none was given, leaving the default to the store.
// Anything else is an EINVALID error, never a silent default.
func ParseVisibility(s string) (Visibility, error) {
	v := Visibility(strings.TrimSpace(s))
	if v != "" && !ValidVisibility(v) {
		return "", Errorf(EINVALID, "visibility must be public, unlisted or private.")
	}
	return v, nil
}

// ParseEncrypt reads the encrypt option of an upload as every entry point
// receives it as text (form field, tus metadata): true, 1, yes or on;
// false, 0, no, off or "" (not given), in any case. Anything else is an
// EINVALID error: an unknown spelling must never mean "not encrypted".
func ParseEncrypt(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "", "false", "0", "no", "off":
		return false, nil
	}
	return false, Errorf(EINVALID, "encrypt must be true or false.")
}

// Key is an API key as stored: never the secret itself, only its hash.
type Key struct {
	ID         string
	Name       string
	Role       Role
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
	RevokedAt  time.Time // zero while valid
}

// Revoked reports whether the key was revoked.
func (k *Key) Revoked() bool { return !k.RevokedAt.IsZero() }

// NewSecret returns a fresh random secret of 256 bits, spelled in URL-safe
// base64 (43 characters): an API key or a session id.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashSecret returns the SHA-256 of a secret, which is what stores keep.
// Secrets are 256 random bits, so a fast unsalted hash is enough: there
// is nothing to guess, and looking a hash up compares no secret bytes.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Principal is who makes a request.
type Principal struct {
	KeyID string // the key, or "" in open mode
	Name  string // the key's name
	Role  Role
	// Open is true when no key is configured and reel runs open on a
	// loopback address: every request acts as admin.
	Open bool
}

// CanUpload reports whether p may create videos.
func (p Principal) CanUpload() bool { return p.Role == RoleAdmin || p.Role == RoleUploader }

// CanManage reports whether p may change, retry or delete v.
func (p Principal) CanManage(v *Video) bool {
	return p.Role == RoleAdmin || p.Role == RoleUploader && v.Owner != "" && v.Owner == p.KeyID
}

// CanSee reports whether p may read v and get its playback URLs. Anyone
// may see public and unlisted videos; private ones only their owner,
// viewers and admins.
func (p Principal) CanSee(v *Video) bool {
	if v.Visibility != VisibilityPrivate {
		return true
	}
	return p.Role == RoleAdmin || p.Role == RoleViewer || p.CanManage(v)
}

// ListFilter returns the filter that lists what p may see in listings:
// admins and viewers every video, uploaders their own and the public
// ones, anyone else (a nil p) only the public ones.
func ListFilter(p *Principal) VideoFilter {
	switch {
	case p == nil:
		return VideoFilter{PublicOnly: true}
	case p.Role == RoleUploader:
		return VideoFilter{PublicOnly: true, Owner: p.KeyID}
	}
	return VideoFilter{}
}

// KeyStore keeps API keys. Implementations return *Error with ENOTFOUND
// for an unknown key.
type KeyStore interface {
	// CreateKey stores k with the hash of its secret, filling ID and
	// CreatedAt. A name already used by a valid key is ECONFLICT.
	CreateKey(ctx context.Context, k *Key, hash []byte) error
	// KeyByHash returns the key whose secret hashes to hash, revoked or not.
	KeyByHash(ctx context.Context, hash []byte) (*Key, error)
	// Keys returns every key, revoked ones included, oldest first.
	Keys(ctx context.Context) ([]*Key, error)
	// RevokeKey revokes the key with the id or, failing that, the valid
	// key with the name, ends its sessions, and returns it.
	RevokeKey(ctx context.Context, idOrName string, at time.Time) (*Key, error)
	// TouchKey records that the key was used at the time.
	TouchKey(ctx context.Context, id string, at time.Time) error
	// HasValidKeys reports whether any key is not revoked.
	HasValidKeys(ctx context.Context) (bool, error)
}

// SessionStore keeps the sessions of the web page, by the hash of their
// id.
type SessionStore interface {
	// CreateSession stores a session of the key that ends at expires.
	CreateSession(ctx context.Context, hash []byte, keyID string, expires time.Time) error
	// SessionKey returns the key of the session with the hash if the
	// session has not expired at now and its key is not revoked, else
	// ENOTFOUND.
	SessionKey(ctx context.Context, hash []byte, now time.Time) (*Key, error)
	// DeleteSession removes the session, if any.
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteExpiredSessions removes the sessions expired at now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
}

// MaxKeyNameBytes is the longest name of an API key.
const MaxKeyNameBytes = 100

// CleanKeyName returns a key's name as stored, its surrounding space
// trimmed, or an EINVALID error when it is empty, longer than
// MaxKeyNameBytes, or holds characters that cannot be shown.
func CleanKeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > MaxKeyNameBytes || Sanitize(name, MaxKeyNameBytes) != name {
		return "", Errorf(EINVALID, "The name must be 1 to %d printable characters.", MaxKeyNameBytes)
	}
	return name, nil
}
