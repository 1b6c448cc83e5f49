package reel

import "time"

// Signer makes and checks the tokens of playback URLs. A token is one path
// segment (/play/<token>/<video-id>/...), so every URI in a playlist,
// being relative, inherits it.
type Signer interface {
	// Sign returns a token that grants playback of the video until expires.
	Sign(videoID string, expires time.Time) string
	// Verify returns nil if token grants playback of the video at now, an
	// *Error with EEXPIRED if it did but has expired, and one with
	// EFORBIDDEN otherwise.
	Verify(token, videoID string, now time.Time) error
}

// SigningKey is one secret of a signing scheme with the id that tokens
// carry, so that a new key can sign while older ones still verify the
// URLs already handed out until they expire.
type SigningKey struct {
	// ID names the key in tokens: 1 to 8 of [a-z0-9]. Empty means the
	// reel scheme's id-less tokens (made before key ids existed), and "0"
	// to the nginx scheme, whose tokens always name their key.
	ID     string
	Secret []byte
}
