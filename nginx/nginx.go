// Package nginx signs playback URLs so that nginx's secure_link module
// checks them at the edge, without calling reel.
//
// A token is one path segment, "<key-id>.<hash>,<expires>": expires in
// Unix seconds, decimal, and hash the base64url MD5 (no padding) of
// "<expires>:<video-id>:<key-id>:<secret>". docs/nginx.conf captures the
// parts with a location regex, maps the key id to its secret and checks
// the link with
//
//	secure_link     $link;  # "<hash>,<expires>"
//	secure_link_md5 "$secure_link_expires:$vid:$kid:$reel_secret";
//
// MD5 is what secure_link_md5 offers; the secret keeps it unforgeable, and
// a link only ever grants the files of one video until it expires. reel
// checks the same tokens itself when requests reach it directly.
package nginx

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"time"

	"reel"
)

// MinKeySize is the shortest secret a Signer accepts, in bytes.
const MinKeySize = 32

// DefaultKeyID names a key configured without an id: nginx's map needs one.
const DefaultKeyID = "0"

var (
	keyID = regexp.MustCompile(`^[a-z0-9]{1,8}$`)
	// secretText is what nginx.conf can hold in a quoted string as it is.
	secretText = regexp.MustCompile(`^[\x21\x23-\x26\x28-\x5b\x5d-\x7e]+$`)
)

// Signer is a reel.Signer making secure_link tokens with one key and
// verifying them with it and older ones.
type Signer struct {
	current string
	keys    map[string][]byte
}

// New returns a signer signing with current and verifying with current and
// old. An empty id stands for DefaultKeyID. Secrets go into nginx.conf as
// they are, so they must be printable ASCII with no quote, backslash,
// space or '$'.
func New(current reel.SigningKey, old ...reel.SigningKey) (*Signer, error) {
	s := &Signer{keys: map[string][]byte{}}
	for i, k := range append([]reel.SigningKey{current}, old...) {
		id := k.ID
		if id == "" {
			id = DefaultKeyID
		}
		switch {
		case !keyID.MatchString(id):
			return nil, reel.Errorf(reel.EINVALID, "signing key id %q: want 1 to 8 of a-z, 0-9", k.ID)
		case len(k.Secret) < MinKeySize:
			return nil, reel.Errorf(reel.EINVALID, "signing key %q is %d bytes, want at least %d", id, len(k.Secret), MinKeySize)
		case !secretText.Match(k.Secret) || strings.Contains(string(k.Secret), "$"):
			return nil, reel.Errorf(reel.EINVALID, "signing key %q: nginx needs printable ASCII without quotes, backslashes, spaces or '$'", id)
		}
		if _, dup := s.keys[id]; dup {
			return nil, reel.Errorf(reel.EINVALID, "signing key id %q given twice", id)
		}
		if i == 0 {
			s.current = id
		}
		s.keys[id] = append([]byte(nil), k.Secret...)
	}
	return s, nil
}

// Sign returns a token granting playback of videoID until expires.
func (s *Signer) Sign(videoID string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return s.current + "." + base64.RawURLEncoding.EncodeToString(hash(s.keys[s.current], s.current, videoID, exp)) + "," + exp
}

// Verify checks token for videoID at now as secure_link does: the hash
// first, then the expiry, which is the last second the link is valid.
func (s *Signer) Verify(token, videoID string, now time.Time) error {
	invalid := reel.Errorf(reel.EFORBIDDEN, "Invalid playback token.")
	id, rest, ok := strings.Cut(token, ".")
	key, known := s.keys[id]
	if !ok || !known {
		return invalid
	}
	hashText, exp, ok := strings.Cut(rest, ",")
	if !ok || len(hashText) != 22 || len(exp) == 0 || len(exp) > 12 || exp[0] == '0' {
		return invalid
	}
	for _, c := range []byte(exp) {
		if c < '0' || c > '9' {
			return invalid
		}
	}
	// Strict: one spelling per hash, though nginx's decoder is lenient.
	got, err := base64.RawURLEncoding.Strict().DecodeString(hashText)
	if err != nil || subtle.ConstantTimeCompare(got, hash(key, id, videoID, exp)) != 1 {
		return invalid
	}
	unix, _ := strconv.ParseInt(exp, 10, 64) // 12 digits at most: cannot fail
	if now.Unix() > unix {
		return reel.Errorf(reel.EEXPIRED, "The playback link has expired.")
	}
	return nil
}

// hash is secure_link_md5 "$secure_link_expires:$vid:$kid:$reel_secret".
func hash(secret []byte, id, videoID, exp string) []byte {
	h := md5.New()
	h.Write([]byte(exp + ":" + videoID + ":" + id + ":"))
	h.Write(secret)
	return h.Sum(nil)
}
