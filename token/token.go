// Package token signs playback URLs with HMAC-SHA256.
//
// A token is "<expiry>.<mac>", or "<key-id>.<expiry>.<mac>" when the key
// has an id: the expiry in Unix seconds, base 36, and the base64url
// HMAC-SHA256 of "<video-id>\n<expiry>" (or "<key-id>\n<video-id>\n<expiry>")
// under the key. It is one URL path segment, so playlists' relative URIs
// inherit it. The key id lets a new key sign while the old ones still
// verify the URLs handed out before a rotation.
//
// A token minted for a private video has "-p" after its expiry
// ("<expiry>-p"), inside the MAC: /play/ accepts only such tokens while a
// video is private, so the URLs handed out while it was public or
// unlisted stop working when it turns private. Tokens without it verify
// as before.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"time"

	"reel"
)

// MinKeySize is the shortest key a Signer accepts, in bytes.
const MinKeySize = 32

// keyID is what a key id may be: short, and free of the token's separators.
var keyID = regexp.MustCompile(`^[a-z0-9]{1,8}$`)

// ValidKeyID reports whether id may name a key: 1 to 8 of [a-z0-9].
func ValidKeyID(id string) bool { return keyID.MatchString(id) }

// Signer is a reel.Signer that signs with one key and verifies with it and
// any older ones.
type Signer struct {
	current string            // id of the signing key
	keys    map[string][]byte // every key that verifies, by id
}

// New returns a signer using key, which must be at least MinKeySize bytes,
// with no key id (the tokens of reel before key rotation).
func New(key []byte) (*Signer, error) {
	return NewKeys(reel.SigningKey{Secret: key})
}

// NewKeys returns a signer that signs with current and verifies tokens of
// current and of old keys. Ids must be distinct and valid (ValidKeyID, or
// empty for the id-less tokens), keys at least MinKeySize bytes.
func NewKeys(current reel.SigningKey, old ...reel.SigningKey) (*Signer, error) {
	s := &Signer{current: current.ID, keys: map[string][]byte{}}
	for _, k := range append([]reel.SigningKey{current}, old...) {
		if len(k.Secret) < MinKeySize {
			return nil, reel.Errorf(reel.EINVALID, "signing key %q is %d bytes, want at least %d", k.ID, len(k.Secret), MinKeySize)
		}
		if k.ID != "" && !ValidKeyID(k.ID) {
			return nil, reel.Errorf(reel.EINVALID, "signing key id %q: want 1 to 8 of a-z, 0-9", k.ID)
		}
		if _, dup := s.keys[k.ID]; dup {
			return nil, reel.Errorf(reel.EINVALID, "signing key id %q given twice", k.ID)
		}
		s.keys[k.ID] = append([]byte(nil), k.Secret...)
	}
	return s, nil
}

// privateMark follows the expiry in tokens minted for a private video.
const privateMark = "-p"

// Sign returns a token granting playback of videoID until expires.
func (s *Signer) Sign(videoID string, expires time.Time) string {
	return s.sign(videoID, strconv.FormatInt(expires.Unix(), 36))
}

// SignPrivate is Sign for a video that is private: the token says so
// (MintedPrivate).
func (s *Signer) SignPrivate(videoID string, expires time.Time) string {
	return s.sign(videoID, strconv.FormatInt(expires.Unix(), 36)+privateMark)
}

// MintedPrivate reports whether token, already verified, was made by
// SignPrivate.
func (s *Signer) MintedPrivate(token string) bool {
	parts := strings.Split(token, ".")
	return len(parts) >= 2 && strings.HasSuffix(parts[len(parts)-2], privateMark)
}

func (s *Signer) sign(videoID, exp string) string {
	tok := exp + "." + base64.RawURLEncoding.EncodeToString(mac(s.keys[s.current], s.current, videoID, exp))
	if s.current != "" {
		tok = s.current + "." + tok
	}
	return tok
}

// Verify checks token for videoID at now. The MAC is checked before the
// expiry, so an expired answer is only ever given for a genuine token; a
// token naming a key this signer does not hold is refused.
func (s *Signer) Verify(token, videoID string, now time.Time) error {
	invalid := reel.Errorf(reel.EFORBIDDEN, "Invalid playback token.")
	var id string
	if strings.Count(token, ".") == 2 {
		id, token, _ = strings.Cut(token, ".")
		if id == "" {
			return invalid // the id-less spelling is the two-part one
		}
	}
	key, ok := s.keys[id]
	if !ok {
		return invalid
	}
	exp, macText, ok := strings.Cut(token, ".")
	if !ok || len(exp) == 0 || len(exp) > 13+len(privateMark) || len(macText) != 43 {
		return invalid
	}
	// Strict: the last character carries spare bits that a lenient decoder
	// ignores, which would give one MAC several spellings.
	got, err := base64.RawURLEncoding.Strict().DecodeString(macText)
	if err != nil || !hmac.Equal(got, mac(key, id, videoID, exp)) {
		return invalid
	}
	unix, err := strconv.ParseInt(strings.TrimSuffix(exp, privateMark), 36, 64)
	if err != nil {
		return invalid
	}
	if now.Unix() >= unix {
		return reel.Errorf(reel.EEXPIRED, "The playback link has expired.")
	}
	return nil
}

// mac is the token's MAC. The id-less input is the one tokens had before
// key ids, so their URLs still verify.
func mac(key []byte, id, videoID, exp string) []byte {
	h := hmac.New(sha256.New, key)
	if id != "" {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	h.Write([]byte(videoID))
	h.Write([]byte{'\n'})
	h.Write([]byte(exp))
	return h.Sum(nil)
}
