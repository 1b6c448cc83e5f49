// Package token signs playback URLs with HMAC-SHA256.
//
// A token is "<expiry>.<mac>": the expiry in Unix seconds, base 36, and the
// base64url HMAC-SHA256 of "<video-id>\n<expiry>" under the server key. It
// is one URL path segment, so playlists' relative URIs inherit it.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"reel"
)

// MinKeySize is the shortest key a Signer accepts, in bytes.
const MinKeySize = 32

// Signer is a reel.Signer keyed with one secret.
type Signer struct {
	key []byte
}

// New returns a signer using key, which must be at least MinKeySize bytes.
func New(key []byte) (*Signer, error) {
	if len(key) < MinKeySize {
		return nil, reel.Errorf(reel.EINVALID, "signing key is %d bytes, want at least %d", len(key), MinKeySize)
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// Sign returns a token granting playback of videoID until expires.
func (s *Signer) Sign(videoID string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 36)
	return exp + "." + base64.RawURLEncoding.EncodeToString(s.mac(videoID, exp))
}

// Verify checks token for videoID at now. The MAC is checked before the
// expiry, so an expired answer is only ever given for a genuine token.
func (s *Signer) Verify(token, videoID string, now time.Time) error {
	exp, macText, ok := strings.Cut(token, ".")
	if !ok || len(exp) == 0 || len(exp) > 13 || len(macText) != 43 {
		return reel.Errorf(reel.EFORBIDDEN, "Invalid playback token.")
	}
	// Strict: the last character carries spare bits that a lenient decoder
	// ignores, which would give one MAC several spellings.
	mac, err := base64.RawURLEncoding.Strict().DecodeString(macText)
	if err != nil || !hmac.Equal(mac, s.mac(videoID, exp)) {
		return reel.Errorf(reel.EFORBIDDEN, "Invalid playback token.")
	}
	unix, err := strconv.ParseInt(exp, 36, 64)
	if err != nil {
		return reel.Errorf(reel.EFORBIDDEN, "Invalid playback token.")
	}
	if now.Unix() >= unix {
		return reel.Errorf(reel.EEXPIRED, "The playback link has expired.")
	}
	return nil
}

func (s *Signer) mac(videoID, exp string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(videoID))
	h.Write([]byte{'\n'})
	h.Write([]byte(exp))
	return h.Sum(nil)
}
